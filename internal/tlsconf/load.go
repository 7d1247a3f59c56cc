package tlsconf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// Material is one loaded set of certificates: what a reload replaces whole.
type Material struct {
	Server tls.Certificate // tls-cert-file and tls-key-file; Leaf is set
	// Client is the pair presented on outgoing links: the tls-client-* pair when both
	// files are set, else the server pair, as Redis's single context does.
	Client tls.Certificate
	// CAs verifies client certificates and the instances and peers we dial.
	CAs *x509.CertPool
}

// params are what the directives fix for good at start-up (a reload rereads files only).
type params struct {
	min, max     uint16
	authClients  tls.ClientAuthType
	tickets      bool
	ticketMaxAge time.Duration
}

// Load checks s as Redis's tlsConfigure does, in its order, and loads the files. Every
// error is an *Error carrying the line redis-sentinel logs.
func Load(s Settings) (*Material, error) {
	if _, err := check(s); err != nil {
		return nil, err
	}
	return loadFiles(s)
}

// check validates what does not depend on the files' contents, in tlsConfigure's order up
// to the first file access, then the parts of createSSLContext that follow the files.
func check(s Settings) (params, error) {
	var p params
	if s.CertFile == "" {
		return p, errorf(nil, "No tls-cert-file configured!")
	}
	if s.KeyFile == "" {
		return p, errorf(nil, "No tls-key-file configured!")
	}
	if (s.AuthClients != "no" || s.Cluster || s.Replication) && s.CAFile == "" && s.CADir == "" {
		return p, errorf(nil, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	}
	min, max, err := ParseProtocols(s.Protocols)
	if err != nil {
		return p, err
	}
	p.min, p.max = min, max
	switch s.AuthClients {
	case "no":
		p.authClients = tls.NoClientCert
	case "optional":
		p.authClients = tls.VerifyClientCertIfGiven
	default: // "yes", and fail-secure on anything else, as connCreateAcceptedTLS
		p.authClients = tls.RequireAndVerifyClientCert
	}
	p.tickets = s.SessionCaching
	p.ticketMaxAge = s.SessionCacheTimeout
	return p, nil
}

// loadFiles is the file part of tlsConfigure: the server context (pair, CA, ciphers,
// ciphersuites), the DH parameters, then the client context when it has its own pair.
func loadFiles(s Settings) (*Material, error) {
	m := &Material{}
	var err error
	if m.Server, err = loadPair(s.CertFile, s.KeyFile, s.KeyFilePass); err != nil {
		return nil, err
	}
	if m.CAs, err = loadCAs(s.CAFile, s.CADir); err != nil {
		return nil, err
	}
	if _, err := cipherSuites(s); err != nil {
		return nil, err
	}
	if s.DHParamsFile != "" {
		if err := checkDHParams(s.DHParamsFile); err != nil {
			return nil, err
		}
	}
	m.Client = m.Server
	if s.hasClientPair() {
		if m.Client, err = loadPair(s.ClientCertFile, s.ClientKeyFile, s.ClientKeyFilePass); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// cipherSuites checks tls-ciphers and tls-ciphersuites as createSSLContext does, then
// what Go cannot do; it returns the TLS 1.2 suites (nil: Go's defaults).
func cipherSuites(s Settings) ([]uint16, error) {
	var suites []uint16
	if s.Ciphers != "" {
		known, ids := ParseCiphers(s.Ciphers)
		if known == 0 {
			return nil, errorf(nil, "Failed to configure ciphers: %s", s.Ciphers)
		}
		if len(ids) == 0 {
			return nil, errorf(nil, "Failed to configure ciphers: %s: none of them is one Go's crypto/tls offers (DHE, CAMELLIA, ARIA and PSK suites are not available)", s.Ciphers)
		}
		suites = ids
	}
	if s.Ciphersuites != "" {
		known, unsupported := ParseCiphersuites(s.Ciphersuites)
		if known == 0 {
			return nil, errorf(nil, "Failed to configure ciphersuites: %s", s.Ciphersuites)
		}
		if len(unsupported) > 0 {
			return nil, errorf(nil, "Failed to configure ciphersuites: %s: %s not available in Go's crypto/tls", s.Ciphersuites, joinNames(unsupported))
		}
	}
	return suites, nil
}

func joinNames(n []string) string {
	var b bytes.Buffer
	for i, s := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// loadPair is SSL_CTX_use_certificate_chain_file then SSL_CTX_use_PrivateKey_file, with
// the lines Redis logs for each.
func loadPair(certFile, keyFile, pass string) (tls.Certificate, error) {
	var c tls.Certificate
	chain, err := readCerts(certFile)
	if err != nil {
		return c, errorf(err, "Failed to load certificate: %s: %s", certFile, opensslCertErr(err))
	}
	key, err := readKey(keyFile, pass)
	if err != nil {
		return c, errorf(err, "Failed to load private key: %s: %s", keyFile, opensslKeyErr(err))
	}
	leaf := chain[0]
	pub, ok := key.(crypto.Signer)
	if !ok || !publicEqual(pub.Public(), leaf.PublicKey) {
		return c, errorf(errKeyMismatch, "Failed to load private key: %s: %s", keyFile, sslKeyMismatch)
	}
	for _, cert := range chain {
		c.Certificate = append(c.Certificate, cert.Raw)
	}
	c.PrivateKey, c.Leaf = key, leaf
	return c, nil
}

func publicEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

var (
	errNoPEM       = errors.New("no PEM data found")
	errNoKey       = errors.New("no PEM private key found")
	errNoPass      = errors.New("the key is encrypted and no password is configured")
	errBadDecrypt  = errors.New("wrong password, or a damaged key")
	errKeyMismatch = errors.New("the private key does not belong to the certificate")
	errNoCerts     = errors.New("no certificate found")
)

// certTypes are the PEM labels OpenSSL's PEM_read_bio_X509 accepts.
var certTypes = map[string]bool{"CERTIFICATE": true, "X509 CERTIFICATE": true, "TRUSTED CERTIFICATE": true}

// readCerts reads a PEM chain: the leaf first, then its intermediates.
func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var chain []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if !certTypes[b.Type] {
			if len(chain) == 0 {
				continue // OpenSSL skips to the first certificate's "BEGIN" line
			}
			break
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, errNoPEM
	}
	return chain, nil
}

// readKey reads the first private key of a PEM file, decrypting it with pass when it
// is encrypted (the legacy Proc-Type header, or PKCS#8 PBES2).
func readKey(path, pass string) (crypto.PrivateKey, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parseKeyPEM(data, pass)
}

// parseKeyPEM is readKey after the read: the key file's contents are outside input.
func parseKeyPEM(data []byte, pass string) (crypto.PrivateKey, error) {
	var err error
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errNoKey
		}
		switch b.Type {
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		default:
			continue
		}
		der := b.Bytes
		switch {
		case b.Type == "ENCRYPTED PRIVATE KEY":
			if pass == "" {
				return nil, errNoPass
			}
			if der, err = decryptPKCS8(der, []byte(pass)); err != nil {
				return nil, err
			}
		//lint:ignore SA1019 Redis accepts these keys, so we must read them; the weakness is the key file's.
		case x509.IsEncryptedPEMBlock(b): //nolint:staticcheck
			if pass == "" {
				return nil, errNoPass
			}
			//lint:ignore SA1019 see above
			if der, err = x509.DecryptPEMBlock(b, []byte(pass)); err != nil { //nolint:staticcheck
				return nil, errBadDecrypt
			}
		}
		key, err := parseKey(der)
		if err != nil {
			if b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "" {
				// A wrong password passes the padding check about once in 256 tries; OpenSSL
				// then fails to decode what it decrypted, and says so, not "bad decrypt".
				return nil, errNoKey
			}
			return nil, err
		}
		return key, nil
	}
}

func parseKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		switch k.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			return k, nil
		}
		return nil, errors.New("unsupported key type")
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return x509.ParseECPrivateKey(der)
}

// opensslCertErr is OpenSSL's string for a failed SSL_CTX_use_certificate_chain_file.
func opensslCertErr(err error) string {
	if _, ok := pathErrno(err); ok {
		return opensslSys(err)
	}
	if errors.Is(err, errNoPEM) {
		return sslNoStartLine
	}
	return err.Error()
}

// opensslKeyErr is OpenSSL's string for a failed SSL_CTX_use_PrivateKey_file.
func opensslKeyErr(err error) string {
	if _, ok := pathErrno(err); ok {
		return opensslSys(err)
	}
	switch {
	case errors.Is(err, errNoKey):
		return sslDecoderUnsupp
	case errors.Is(err, errNoPass):
		return sslInterrupted
	case errors.Is(err, errBadDecrypt):
		return sslBadDecrypt
	}
	return err.Error()
}

// loadCAs is SSL_CTX_load_verify_locations: every certificate of the file, and every
// certificate file in the directory. OpenSSL reads a directory lazily, by subject hash,
// so a missing directory is not an error at start-up (nothing verifies against it); we
// read it whole, which also finds certificates not named by their hash.
func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if file != "" {
		data, err := readFile(file)
		if err != nil {
			return nil, errorf(err, "Failed to configure CA certificate(s) file/directory: %s", opensslSys(err))
		}
		n, err := addCerts(pool, data)
		if err != nil || n == 0 {
			return nil, errorf(errNoCerts, "Failed to configure CA certificate(s) file/directory: %s", sslNoCertOrCRL)
		}
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return pool, nil
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, name := range names {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				continue // a subdirectory or an unreadable file: OpenSSL would not use it either
			}
			_, _ = addCerts(pool, data)
		}
	}
	return pool, nil
}

func addCerts(pool *x509.CertPool, data []byte) (int, error) {
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return n, nil
		}
		if !certTypes[b.Type] {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return n, err
		}
		pool.AddCert(cert)
		n++
	}
}

// checkDHParams reads tls-dh-params-file as Redis does, so a wrong path or a file that is
// not DH parameters fails the same way. Go's crypto/tls has no finite-field DHE, so the
// parameters are never used.
func checkDHParams(path string) error {
	data, err := readFile(path)
	if err != nil {
		if errno, ok := pathErrno(err); ok {
			return errorf(err, "Failed to load %s: %s", path, strerror(errno))
		}
		return errorf(err, "Failed to load %s: %v", path, err)
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return errorf(nil, "%s: failed to read DH params.", path)
		}
		if b.Type != "DH PARAMETERS" && b.Type != "X9.42 DH PARAMETERS" {
			continue
		}
		var dh struct {
			P, G *big.Int
			Rest asn1.RawValue `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(b.Bytes, &dh); err != nil || dh.P.Sign() <= 0 || dh.G.Sign() <= 0 {
			return errorf(nil, "%s: failed to read DH params.", path)
		}
		return nil
	}
}

// describe names a certificate for the logs: its subject and expiry.
func describe(c *x509.Certificate) string {
	return fmt.Sprintf("subject %q, serial %s, expires %s", c.Subject.String(), c.SerialNumber.String(), c.NotAfter.UTC().Format(time.RFC3339))
}

// readFile reads a file as OpenSSL's BIO does: a directory opens, and reads as empty.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errno, ok := pathErrno(err); ok && errno == syscall.EISDIR {
		return nil, nil
	}
	return data, err
}
