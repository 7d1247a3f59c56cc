package tlstest

import (
	"crypto/tls"
	"crypto/x509"
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
	l, err := tls.Listen("tcp", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	errs := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		errs <- err
	}()
	cc, err := k.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", l.Addr().String(), cc)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if _, err := k.Pair.Cert.Verify(x509.VerifyOptions{Roots: k.CA.Pool(), DNSName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if len(k.Pair.Cert.IPAddresses) != 2 || !k.Pair.Cert.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
		t.Fatalf("IP SANs = %v", k.Pair.Cert.IPAddresses)
	}
}
