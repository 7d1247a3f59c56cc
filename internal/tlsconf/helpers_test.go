package tlsconf

import "crypto/x509"

func verifyOpts(m *Material) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: m.CAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}
