package tlstest

import (
	"crypto/tls"
	"fmt"
)

// TB is the part of testing.TB that NewT uses; naming it here keeps package testing out of
// this package's imports.
type TB interface {
	Helper()
	TempDir() string
	Fatal(args ...any)
}

// Configs is a kit with the two tls.Configs most tests want. They are shared: clone one
// before changing it.
type Configs struct {
	*Kit
	// Client trusts the CA and presents the pair, as a sentinel's links and redis-cli with
	// --cacert, --cert and --key do.
	Client *tls.Config
	// Server presents the pair and requires a client certificate the CA signed, as Redis's
	// tls-auth-clients yes does.
	Server *tls.Config
}

// NewT makes a kit in t.TempDir() and both configs, failing t on any error.
func NewT(t TB) *Configs {
	t.Helper()
	k, err := NewKit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	return &Configs{Kit: k, Client: c, Server: s}
}

// ServerConfig is a server-side tls.Config presenting the kit's pair and requiring clients
// to present a certificate the kit's CA signed (tls-auth-clients yes).
func (k *Kit) ServerConfig() (*tls.Config, error) {
	cert, err := k.Pair.TLS()
	if err != nil {
		return nil, fmt.Errorf("tlstest: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: k.CA.Pool(),
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}, nil
}
