package tlstest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// CA is a certificate authority that signs leaf certificates.
type CA struct {
	Cert    *x509.Certificate
	CertPEM []byte
	key     *ecdsa.PrivateKey
}

// Pair is a certificate and its private key, PEM-encoded, as Redis's tls-cert-file and
// tls-key-file hold them.
type Pair struct {
	Cert    *x509.Certificate
	CertPEM []byte
	KeyPEM  []byte
}

// serial numbers certificates uniquely within the process, so a rotated certificate is
// told from the one it replaces.
var serial atomic.Int64

// NewCA returns a fresh self-signed CA valid from an hour ago for a day.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"sentinel tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, CertPEM: pemBlock("CERTIFICATE", der), key: key}, nil
}

// LeafOptions shapes a leaf certificate. The zero value is a certificate for both server
// and client use, for 127.0.0.1, ::1 and localhost, valid for a day.
type LeafOptions struct {
	CommonName string
	// Hosts are DNS names or IP addresses; default 127.0.0.1, ::1 and localhost.
	Hosts []string
	// NotAfter defaults to a day from now; set it near to test expiry warnings.
	NotAfter time.Time
}

// Leaf issues a certificate signed by the CA.
func (ca *CA) Leaf(o LeafOptions) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if o.CommonName == "" {
		o.CommonName = "localhost"
	}
	if len(o.Hosts) == 0 {
		o.Hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = now.Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: o.CommonName, Organization: []string{"sentinel tests"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Pair{Cert: cert, CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("PRIVATE KEY", kder)}, nil
}

// TLS returns the pair as a tls.Certificate.
func (p *Pair) TLS() (tls.Certificate, error) {
	return tls.X509KeyPair(p.CertPEM, p.KeyPEM)
}

// Pool returns a pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// Files are the paths WriteFiles wrote.
type Files struct {
	CA, Cert, Key string
}

// WriteFiles writes the CA certificate and the pair to dir as ca.crt, <name>.crt and
// <name>.key (the key readable by the owner only, as a real deployment keeps it).
func (ca *CA) WriteFiles(dir, name string, p *Pair) (Files, error) {
	f := Files{
		CA:   filepath.Join(dir, "ca.crt"),
		Cert: filepath.Join(dir, name+".crt"),
		Key:  filepath.Join(dir, name+".key"),
	}
	if err := os.WriteFile(f.CA, ca.CertPEM, 0o644); err != nil {
		return Files{}, err
	}
	if err := os.WriteFile(f.Cert, p.CertPEM, 0o644); err != nil {
		return Files{}, err
	}
	if err := os.WriteFile(f.Key, p.KeyPEM, 0o600); err != nil {
		return Files{}, err
	}
	return f, nil
}

// Kit is what most tests want: a CA with one server/client pair written to a directory.
type Kit struct {
	CA    *CA
	Pair  *Pair
	Files Files
}

// NewKit makes a CA and one pair for the default hosts and writes them to dir.
func NewKit(dir string) (*Kit, error) {
	ca, err := NewCA("sentinel test CA")
	if err != nil {
		return nil, err
	}
	p, err := ca.Leaf(LeafOptions{})
	if err != nil {
		return nil, err
	}
	f, err := ca.WriteFiles(dir, "server", p)
	if err != nil {
		return nil, err
	}
	return &Kit{CA: ca, Pair: p, Files: f}, nil
}

// ClientConfig is a client-side tls.Config trusting the kit's CA and presenting its pair.
func (k *Kit) ClientConfig() (*tls.Config, error) {
	cert, err := k.Pair.TLS()
	if err != nil {
		return nil, fmt.Errorf("tlstest: %w", err)
	}
	return &tls.Config{RootCAs: k.CA.Pool(), Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// EncryptLegacy returns the pair's key as OpenSSL 1.x's traditional encrypted PEM
// ("Proc-Type: 4,ENCRYPTED", AES-256-CBC), which `openssl ec -aes256` still writes.
func (p *Pair) EncryptLegacy(pass string) ([]byte, error) {
	key, err := x509.ParsePKCS8PrivateKey(pemBytes(p.KeyPEM))
	if err != nil {
		return nil, err
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("tlstest: not an ECDSA key")
	}
	der, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		return nil, err
	}
	//lint:ignore SA1019 the test fixture is this very legacy format
	b, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", der, []byte(pass), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(b), nil
}

// EncryptPKCS8 returns the pair's key as OpenSSL 3's default encrypted PKCS#8
// ("ENCRYPTED PRIVATE KEY": PBES2, PBKDF2 with HMAC-SHA256, AES-256-CBC), what
// `openssl pkcs8 -topk8` writes.
func (p *Pair) EncryptPKCS8(pass string) ([]byte, error) {
	plain := pemBytes(p.KeyPEM)
	salt := make([]byte, 16)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	const iter = 2048
	key, err := pbkdf2.Key(sha256.New, pass, salt, iter, 32)
	if err != nil {
		return nil, err
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	data := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)

	type algo struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	raw := func(v any) asn1.RawValue {
		b, err := asn1.Marshal(v)
		if err != nil {
			panic(err)
		}
		return asn1.RawValue{FullBytes: b}
	}
	kdf := algo{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}, raw(struct {
		Salt []byte
		Iter int
		PRF  algo
	}{salt, iter, algo{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, asn1.NullRawValue}})}
	enc := algo{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, raw(iv)}
	der, err := asn1.Marshal(struct {
		Algo algo
		Data []byte
	}{algo{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}, raw(struct{ KDF, Enc algo }{kdf, enc})}, data})
	if err != nil {
		return nil, err
	}
	return pemBlock("ENCRYPTED PRIVATE KEY", der), nil
}

func pemBytes(b []byte) []byte {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil
	}
	return blk.Bytes
}
