package tlstest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
)

// TestKitHandshake checks that a server and a client made from one kit complete a mutual
// TLS handshake, so tests that build on it fail for their own reasons only.
func TestKitHandshake(t *testing.T) {
	k, err := NewKit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(k.Files.Cert, k.Files.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv := &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: k.CA.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	cc, err := k.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	handshake(t, srv, cc)
	if _, err := k.Pair.Cert.Verify(x509.VerifyOptions{Roots: k.CA.Pool(), DNSName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if len(k.Pair.Cert.IPAddresses) != 2 || !k.Pair.Cert.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
		t.Fatalf("IP SANs = %v", k.Pair.Cert.IPAddresses)
	}
}

// TestNewT checks that NewT's two configs complete a mutual handshake with each other.
func TestNewT(t *testing.T) {
	c := NewT(t)
	handshake(t, c.Server, c.Client)
}

// handshake runs one TLS handshake between srv and cli on loopback and fails t unless it
// completes with the client presenting a certificate.
func handshake(t *testing.T, srv, cli *tls.Config) {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	errs := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			tc := c.(*tls.Conn)
			if err = tc.Handshake(); err == nil && len(tc.ConnectionState().PeerCertificates) != 1 {
				err = errors.New("the server saw no client certificate")
			}
			c.Close()
		}
		errs <- err
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), cli)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}
