package sentinel_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-go/sentinel/e2e/realredis"
	"github.com/sentinel-go/sentinel/internal/tlstest"
)

// tlsFiles is a kit plus the broken files the fatal cases name, written once per test.
type tlsFiles struct {
	dir string
	k   *tlstest.Kit
}

func newTLSFiles(t *testing.T) *tlsFiles {
	t.Helper()
	dir := t.TempDir()
	k, err := tlstest.NewKit(dir)
	if err != nil {
		t.Fatal(err)
	}
	other, err := k.CA.Leaf(tlstest.LeafOptions{CommonName: "other"})
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := k.Pair.EncryptLegacy("secret")
	if err != nil {
		t.Fatal(err)
	}
	p8, err := k.Pair.EncryptPKCS8("secret")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"other.key": other.KeyPEM, "garbage.pem": []byte("hello\n"), "legacy.key": legacy, "p8.key": p8,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &tlsFiles{dir: dir, k: k}
}

func (f *tlsFiles) path(name string) string { return filepath.Join(f.dir, name) }

// fromLoaded is a log from its "Configuration loaded" line on: the banner before it
// names the binary and its version, which differ by design.
func fromLoaded(log string) string {
	if i := strings.Index(log, "# Configuration loaded\n"); i >= 0 {
		return log[i:]
	}
	return log
}

// TestTLSFatalConfig runs TLS configs that redis-sentinel refuses through both binaries:
// exit code 1, the same stderr, and the same log lines from "Configuration loaded" on
// (pid and time masked), OpenSSL's error strings included.
func TestTLSFatalConfig(t *testing.T) {
	t.Parallel()
	realBin := requireReal(t)
	ourBin := requireOurs(t)
	f := newTLSFiles(t)
	k := f.k
	// base has everything but the cert and key lines, tls-port on a port nothing may take:
	// a binary that wrongly starts is killed before it matters.
	base := "port 0\ntls-port 1\ntls-ca-cert-file " + k.Files.CA + "\n"
	pair := "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + k.Files.Key + "\n"
	cases := []struct{ name, conf string }{
		{"no cert configured", "port 0\ntls-port 1\n"},
		{"no key configured", "port 0\ntls-port 1\ntls-cert-file " + k.Files.Cert + "\n"},
		{"no CA with auth-clients yes", "port 0\ntls-port 1\n" + pair},
		{"tls-replication alone", "port 0\ntls-replication yes\n"},
		{"tls-cluster alone", "port 0\ntls-cluster yes\n"},
		{"missing cert", base + "tls-cert-file " + f.path("none.crt") + "\ntls-key-file " + f.path("none.key") + "\n"},
		{"missing key", base + "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + f.path("none.key") + "\n"},
		{"cert not PEM", base + "tls-cert-file " + f.path("garbage.pem") + "\ntls-key-file " + k.Files.Key + "\n"},
		{"key not PEM", base + "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + f.path("garbage.pem") + "\n"},
		{"cert is a directory", base + "tls-cert-file " + f.dir + "\ntls-key-file " + k.Files.Key + "\n"},
		{"key file holds the certificate", base + "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + k.Files.Cert + "\n"},
		{"CA is a directory", "port 0\ntls-port 1\ntls-ca-cert-file " + f.dir + "\n" + pair},
		{"dh params a directory", base + pair + "tls-dh-params-file " + f.dir + "\n"},
		{"key of another cert", base + "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + f.path("other.key") + "\n"},
		{"encrypted key, no pass", base + "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + f.path("legacy.key") + "\n"},
		{"encrypted key, wrong pass", base + "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + f.path("legacy.key") + "\ntls-key-file-pass wrong\n"},
		{"PKCS#8 key, no pass", base + "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + f.path("p8.key") + "\n"},
		{"PKCS#8 key, wrong pass", base + "tls-cert-file " + k.Files.Cert + "\ntls-key-file " + f.path("p8.key") + "\ntls-key-file-pass wrong\n"},
		{"missing CA", "port 0\ntls-port 1\ntls-ca-cert-file " + f.path("none.crt") + "\n" + pair},
		{"CA not PEM", "port 0\ntls-port 1\ntls-ca-cert-file " + f.path("garbage.pem") + "\n" + pair},
		{"bad tls-protocols", base + pair + "tls-protocols \"TLSv1.2 TLSv9\"\n"},
		{"tls-protocols double space", base + pair + "tls-protocols \"TLSv1.2  TLSv1.3\"\n"},
		{"bad tls-auth-clients", "port 0\ntls-auth-clients maybe\n"},
		{"unknown ciphers", base + pair + "tls-ciphers FOO:BAR\n"},
		{"unknown ciphersuites", base + pair + "tls-ciphersuites FOO\n"},
		{"missing dh params", base + pair + "tls-dh-params-file " + f.path("none.pem") + "\n"},
		{"dh params not PEM", base + pair + "tls-dh-params-file " + f.path("garbage.pem") + "\n"},
		{"missing client cert", base + pair + "tls-client-cert-file " + f.path("none.crt") + "\ntls-client-key-file " + k.Files.Key + "\n"},
		{"bad tls-port", "port 0\ntls-port 70000\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runToExit(t, realBin, fatalCase{conf: c.conf})
			o := runToExit(t, ourBin, fatalCase{conf: c.conf})
			if r.code != 1 {
				t.Fatalf("the real redis-sentinel exited %d, so this case tests nothing\nstdout: %q", r.code, r.stdout)
			}
			if o.code != 1 {
				t.Errorf("exit code %d, want 1", o.code)
			}
			if o.stderr != r.stderr {
				t.Errorf("stderr differs\nreal: %q\nours: %q", r.stderr, o.stderr)
			}
			ro, oo := fromLoaded(r.stdout), fromLoaded(o.stdout)
			t.Logf("both print:\n%s", strings.ReplaceAll(oo, f.dir, "<tls>"))
			if ro != oo {
				t.Errorf("log from \"Configuration loaded\" on differs\nreal: %q\nours: %q", ro, oo)
			}
		})
	}
}

// TestTLSAuthClientsDifferential: with tls-auth-clients yes both sentinels refuse a TLS
// client without a certificate, with optional and no both accept it, and both serve a
// client with one; a plaintext client on the TLS port gets nowhere with either.
func TestTLSAuthClientsDifferential(t *testing.T) {
	t.Parallel()
	requireReal(t)
	f := newTLSFiles(t)
	withCert, err := f.k.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	noCert := &tls.Config{RootCAs: f.k.CA.Pool(), MinVersion: tls.VersionTLS12}
	foreignCA, err := tlstest.NewCA("foreign CA")
	if err != nil {
		t.Fatal(err)
	}
	foreignPair, err := foreignCA.Leaf(tlstest.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := foreignPair.TLS()
	if err != nil {
		t.Fatal(err)
	}
	// Sent whatever CAs the server names: crypto/tls would otherwise withhold it.
	wrongCert := &tls.Config{RootCAs: f.k.CA.Pool(), MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign, nil }}
	ping := func(port int, cfg *tls.Config) error {
		c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), TLSConfig: cfg,
			MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, Protocol: 2, DisableIdentity: true})
		defer c.Close()
		return c.Ping(context.Background()).Err()
	}
	for _, mode := range []string{"yes", "optional", "no"} {
		outcome := map[string]string{}
		for _, kind := range []string{real, ours} {
			port, tlsPort := realredis.FreePort(t), realredis.FreePort(t)
			body := fmt.Sprintf("port %d\nbind 127.0.0.1\ntls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-auth-clients %s\n",
				port, tlsPort, f.k.Files.Cert, f.k.Files.Key, f.k.Files.CA, mode)
			p := startSentinel(t, kind, port, body)
			res := fmt.Sprintf("with cert: %v; without: %v; another CA's: %v; plaintext: %v",
				ping(tlsPort, withCert) == nil, ping(tlsPort, noCert) == nil, ping(tlsPort, wrongCert) == nil,
				ping(tlsPort, nil) == nil)
			outcome[kind] = res
			p.Proc.Stop()
		}
		if outcome[real] != outcome[ours] {
			t.Errorf("tls-auth-clients %s\nreal: %s\nours: %s", mode, outcome[real], outcome[ours])
		}
		want := map[string]string{"yes": "with cert: true; without: false; another CA's: false; plaintext: false",
			"optional": "with cert: true; without: true; another CA's: false; plaintext: false",
			"no":       "with cert: true; without: true; another CA's: true; plaintext: false"}[mode]
		if outcome[ours] != want {
			t.Errorf("tls-auth-clients %s: ours %s, want %s", mode, outcome[ours], want)
		}
	}
}

// TestTLSPeersDifferential runs Debian's redis-sentinel and ours side by side with
// tls-replication over a master reachable only by TLS: each must see the master through a
// TLS link, hear the other's hellos, and list it at its TLS port (sentinelSendHello
// announces tls-port when tls-replication is on), and reach it there: the link to the
// peer is TLS too, so its PINGs are answered.
func TestTLSPeersDifferential(t *testing.T) {
	t.Parallel()
	requireReal(t)
	f := newTLSFiles(t)
	k := f.k
	masterTLS := realredis.FreePort(t)
	realredis.StartServer(t, 10*time.Second, "--tls-port", strconv.Itoa(masterTLS),
		"--tls-cert-file", k.Files.Cert, "--tls-key-file", k.Files.Key, "--tls-ca-cert-file", k.Files.CA)
	type side struct {
		p       *proc
		tlsPort int
	}
	var sides []side
	for _, kind := range []string{real, ours} {
		port, tlsPort := realredis.FreePort(t), realredis.FreePort(t)
		body := sentinelConf(port, masterTLS, 2,
			"tls-port "+strconv.Itoa(tlsPort), "tls-replication yes",
			"tls-cert-file "+k.Files.Cert, "tls-key-file "+k.Files.Key, "tls-ca-cert-file "+k.Files.CA)
		sides = append(sides, side{startSentinel(t, kind, port, body), tlsPort})
	}
	for i, s := range sides {
		other := sides[1-i]
		waitFor(t, 20*time.Second, s.p.String()+" to see the master and its TLS peer", func() bool {
			m := s.p.master()
			if m == nil || m["flags"] != "master" || len(m["runid"]) != 40 {
				return false
			}
			sens := s.p.instances("SENTINELS")
			if len(sens) != 1 {
				return false
			}
			ms, err := strconv.Atoi(sens[0]["last-ok-ping-reply"])
			return sens[0]["port"] == strconv.Itoa(other.tlsPort) && sens[0]["flags"] == "sentinel" &&
				err == nil && ms < 2000
		})
	}
}
