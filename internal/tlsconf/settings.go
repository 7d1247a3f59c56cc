package tlsconf

import (
	"strconv"
	"time"
)

// Settings are the tls-* directives as Redis reads them. The zero value is not Redis's
// default: use FromOptions, or Defaults and set fields.
type Settings struct {
	Port        int  // tls-port; 0: no TLS listener
	Replication bool // tls-replication: links to instances and peers use TLS
	Cluster     bool // tls-cluster: meaningless for a sentinel, but it makes Redis configure TLS

	CertFile, KeyFile, KeyFilePass                   string
	ClientCertFile, ClientKeyFile, ClientKeyFilePass string
	CAFile, CADir                                    string
	// AuthClients is "yes" (default), "no" or "optional".
	AuthClients string
	// Protocols, Ciphers and Ciphersuites are as written; "" is unset (Redis's NULL).
	Protocols, Ciphers, Ciphersuites string
	PreferServerCiphers              bool
	SessionCaching                   bool          // default yes
	SessionCacheSize                 int           // default 20480
	SessionCacheTimeout              time.Duration // default 300 s
	DHParamsFile                     string
}

// Defaults returns Redis 7.0's defaults.
func Defaults() Settings {
	return Settings{AuthClients: "yes", SessionCaching: true, SessionCacheSize: 20 * 1024,
		SessionCacheTimeout: 300 * time.Second}
}

// FromOptions reads the settings from config.Config.Options, which holds a directive only
// when it differs from its default and has already validated every value.
func FromOptions(opts map[string][]string) Settings {
	s := Defaults()
	str := func(name string) string {
		if v := opts[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	num := func(name string, def int) int {
		if n, err := strconv.Atoi(str(name)); err == nil {
			return n
		}
		return def
	}
	yes := func(name string, def bool) bool {
		switch str(name) {
		case "yes":
			return true
		case "no":
			return false
		}
		return def
	}
	s.Port = num("tls-port", 0)
	s.Replication = yes("tls-replication", false)
	s.Cluster = yes("tls-cluster", false)
	s.CertFile, s.KeyFile, s.KeyFilePass = str("tls-cert-file"), str("tls-key-file"), str("tls-key-file-pass")
	s.ClientCertFile, s.ClientKeyFile = str("tls-client-cert-file"), str("tls-client-key-file")
	s.ClientKeyFilePass = str("tls-client-key-file-pass")
	s.CAFile, s.CADir = str("tls-ca-cert-file"), str("tls-ca-cert-dir")
	if v := str("tls-auth-clients"); v != "" {
		s.AuthClients = v
	}
	s.Protocols, s.Ciphers, s.Ciphersuites = str("tls-protocols"), str("tls-ciphers"), str("tls-ciphersuites")
	s.PreferServerCiphers = yes("tls-prefer-server-ciphers", false)
	s.SessionCaching = yes("tls-session-caching", true)
	s.SessionCacheSize = num("tls-session-cache-size", s.SessionCacheSize)
	s.SessionCacheTimeout = time.Duration(num("tls-session-cache-timeout", 300)) * time.Second
	s.DHParamsFile = str("tls-dh-params-file")
	return s
}

// Enabled reports whether Redis would configure TLS at start-up (initServer does when
// tls-port, tls-replication or tls-cluster is set), and so whether Load must succeed.
func (s Settings) Enabled() bool { return s.Port != 0 || s.Replication || s.Cluster }

// hasClientPair reports whether the client side has a pair of its own: Redis builds a
// client context only when both files are set, and otherwise presents the server pair.
func (s Settings) hasClientPair() bool { return s.ClientCertFile != "" && s.ClientKeyFile != "" }
