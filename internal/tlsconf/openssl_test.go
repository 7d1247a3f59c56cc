package tlsconf

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCiphersMatchOpenSSL evaluates common tls-ciphers strings with ours and with the
// OpenSSL the system's redis links (its command-line tool, the same library): over the
// suites our table knows, both select the same ones. Skipped without the tool.
func TestCiphersMatchOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl command")
	}
	known := map[string]bool{}
	for _, s := range suites {
		known[s.name] = true
	}
	for _, str := range []string{
		"HIGH:!aNULL:!MD5", "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL", "DEFAULT:!kRSA", "DEFAULT", "ALL",
		"HIGH", "MEDIUM", "3DES", "SHA256", "SHA384", "SHA1", "SHA", "AESGCM", "AES128", "AES256:-SHA1",
		"kEECDH+ECDSA", "EECDH+AESGCM:EDH+AESGCM", "CHACHA20", "ECDSA", "aRSA", "RSA", "kRSA", "DHE",
		"TLSv1.2", "TLSv1.0", "SSLv3", "TLSv1", "ECDHE-RSA-AES128-GCM-SHA256:!ECDHE", "-ALL:AESGCM", "!ALL:AESGCM",
		"COMPLEMENTOFDEFAULT", "ECDHE-ECDSA-AES128-GCM-SHA256:FOO", "FOO", "HIGH:@STRENGTH", "DEFAULT:@SECLEVEL=2",
	} {
		out, err := exec.Command(bin, "ciphers", "--", str).Output()
		var want []string
		if err == nil {
			for n := range strings.SplitSeq(strings.TrimSpace(string(out)), ":") {
				if known[n] {
					want = append(want, n)
				}
			}
		}
		var got []string
		for _, s := range suites {
			if selects(str, s) {
				got = append(got, s.name)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%q\nopenssl %v\nours    %v", str, want, got)
		}
	}
}

// selects evaluates str over a table of s alone.
func selects(str string, s suite) bool {
	all := suites
	defer func() { suites = all }()
	suites = []suite{s}
	n, _ := ParseCiphers(str)
	return n == 1
}

// TestCiphersuitesMatchOpenSSL: a tls-ciphersuites value fails for us exactly when
// OpenSSL's SSL_CTX_set_ciphersuites fails for it (through the openssl command).
func TestCiphersuitesMatchOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl command")
	}
	for _, str := range []string{
		"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256:FOO", "FOO", "tls_aes_128_gcm_sha256",
		"TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384", ":TLS_AES_128_GCM_SHA256",
		"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
	} {
		opensslOK := exec.Command(bin, "ciphers", "-ciphersuites", str).Run() == nil
		known, _ := ParseCiphersuites(str)
		if opensslOK != (known > 0) {
			t.Errorf("%q: openssl accepts it: %v; ours knows %d suites", str, opensslOK, known)
		}
	}
}
