package tlsconf

import (
	"crypto/tls"
	"strings"
)

// suite is one TLS 1.2 suite OpenSSL 3 knows by name, with the attributes its suite
// strings select on. id is Go's suite, 0 where crypto/tls has none (DHE and the like):
// such a suite counts for the question OpenSSL asks ("is the list empty?") but is never
// offered.
type suite struct {
	name  string
	id    uint16
	attrs []string // key exchange, authentication, encryption, MAC and strength aliases
	def   bool     // in OpenSSL 3's DEFAULT list
}

// suites are the OpenSSL 3.0 TLS 1.2 suites a deployment plausibly names, with the
// aliases that select each as Debian's OpenSSL 3 evaluates them (TestCiphersMatchOpenSSL
// checks them against its openssl command): SHA256 and SHA384 name a MAC, so AEAD suites
// lack them; TLSv1.2, TLSv1.0 and SSLv3 name a suite's minimum version. 3DES and RC4 are
// absent, as they are from that OpenSSL. A name not here is unknown to us and ignored, as
// OpenSSL ignores names it does not know.
var suites = []suite{
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA AES AES256 AESGCM HIGH TLSv1.2"), true},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, a("kECDHE ECDHE EECDH kEECDH aRSA AES AES256 AESGCM HIGH TLSv1.2"), true},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA CHACHA20 HIGH TLSv1.2"), true},
	{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, a("kECDHE ECDHE EECDH kEECDH aRSA CHACHA20 HIGH TLSv1.2"), true},
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA AES AES128 AESGCM HIGH TLSv1.2"), true},
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, a("kECDHE ECDHE EECDH kEECDH aRSA AES AES128 AESGCM HIGH TLSv1.2"), true},
	{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA AES AES128 SHA256 HIGH TLSv1.2"), true},
	{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, a("kECDHE ECDHE EECDH kEECDH aRSA AES AES128 SHA256 HIGH TLSv1.2"), true},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA AES AES256 SHA1 SHA HIGH TLSv1 TLSv1.0"), true},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, a("kECDHE ECDHE EECDH kEECDH aRSA AES AES256 SHA1 SHA HIGH TLSv1 TLSv1.0"), true},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA AES AES128 SHA1 SHA HIGH TLSv1 TLSv1.0"), true},
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, a("kECDHE ECDHE EECDH kEECDH aRSA AES AES128 SHA1 SHA HIGH TLSv1 TLSv1.0"), true},
	{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, a("kRSA RSA aRSA AES AES256 AESGCM HIGH TLSv1.2"), true},
	{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, a("kRSA RSA aRSA AES AES128 AESGCM HIGH TLSv1.2"), true},
	{"AES128-SHA256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256, a("kRSA RSA aRSA AES AES128 SHA256 HIGH TLSv1.2"), true},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, a("kRSA RSA aRSA AES AES256 SHA1 SHA HIGH SSLv3"), true},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, a("kRSA RSA aRSA AES AES128 SHA1 SHA HIGH SSLv3"), true},
	// OpenSSL has these; Go's crypto/tls does not.
	{"ECDHE-ECDSA-AES256-SHA384", 0, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA AES AES256 SHA384 HIGH TLSv1.2"), true},
	{"ECDHE-RSA-AES256-SHA384", 0, a("kECDHE ECDHE EECDH kEECDH aRSA AES AES256 SHA384 HIGH TLSv1.2"), true},
	{"AES256-SHA256", 0, a("kRSA RSA aRSA AES AES256 SHA256 HIGH TLSv1.2"), true},
	{"DHE-RSA-AES256-GCM-SHA384", 0, a("kDHE DHE EDH kEDH aRSA AES AES256 AESGCM HIGH TLSv1.2"), true},
	{"DHE-RSA-AES128-GCM-SHA256", 0, a("kDHE DHE EDH kEDH aRSA AES AES128 AESGCM HIGH TLSv1.2"), true},
	{"DHE-RSA-CHACHA20-POLY1305", 0, a("kDHE DHE EDH kEDH aRSA CHACHA20 HIGH TLSv1.2"), true},
	{"DHE-RSA-AES256-SHA256", 0, a("kDHE DHE EDH kEDH aRSA AES AES256 SHA256 HIGH TLSv1.2"), true},
	{"DHE-RSA-AES128-SHA256", 0, a("kDHE DHE EDH kEDH aRSA AES AES128 SHA256 HIGH TLSv1.2"), true},
	{"DHE-RSA-AES256-SHA", 0, a("kDHE DHE EDH kEDH aRSA AES AES256 SHA1 SHA HIGH SSLv3"), true},
	{"DHE-RSA-AES128-SHA", 0, a("kDHE DHE EDH kEDH aRSA AES AES128 SHA1 SHA HIGH SSLv3"), true},
	{"ECDHE-ECDSA-CAMELLIA256-SHA384", 0, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA CAMELLIA CAMELLIA256 SHA384 HIGH TLSv1.2"), false},
	{"ECDHE-RSA-CAMELLIA256-SHA384", 0, a("kECDHE ECDHE EECDH kEECDH aRSA CAMELLIA CAMELLIA256 SHA384 HIGH TLSv1.2"), false},
	{"ECDHE-ECDSA-ARIA256-GCM-SHA384", 0, a("kECDHE ECDHE EECDH kEECDH aECDSA ECDSA ARIA ARIAGCM ARIA256 HIGH TLSv1.2"), false},
	{"ECDHE-ARIA256-GCM-SHA384", 0, a("kECDHE ECDHE EECDH kEECDH aRSA ARIA ARIAGCM ARIA256 HIGH TLSv1.2"), false},
	{"PSK-AES256-GCM-SHA384", 0, a("kPSK PSK aPSK AES AES256 AESGCM HIGH TLSv1.2"), true},
	{"PSK-AES128-GCM-SHA256", 0, a("kPSK PSK aPSK AES AES128 AESGCM HIGH TLSv1.2"), true},
}

func a(s string) []string { return strings.Fields(s) }

// ParseCiphers evaluates an OpenSSL cipher string (tls-ciphers) over the table: elements
// separated by ':', ',' or ' '; each a name or alias, "A+B" for suites with both; a
// leading '!' removes for good, '-' removes, '+' moves to the end (order is moot: Go
// orders suites itself); "@STRENGTH" and "@SECLEVEL=n" are accepted and ignored. known
// counts the suites OpenSSL would keep; ids are those Go can offer. OpenSSL fails
// SSL_CTX_set_cipher_list only when known is 0, and so does Load.
func ParseCiphers(v string) (known int, ids []uint16) {
	in := make([]bool, len(suites))
	killed := make([]bool, len(suites))
	for _, el := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if strings.HasPrefix(el, "@") {
			continue
		}
		op := byte(0)
		if el[0] == '!' || el[0] == '-' || el[0] == '+' {
			op, el = el[0], el[1:]
		}
		for i, c := range suites {
			if !matches(c, el) {
				continue
			}
			switch op {
			case '!':
				killed[i], in[i] = true, false
			case '-':
				in[i] = false
			case '+':
			default:
				if !killed[i] {
					in[i] = true
				}
			}
		}
	}
	for i, c := range suites {
		if in[i] {
			known++
			if c.id != 0 {
				ids = append(ids, c.id)
			}
		}
	}
	return known, ids
}

// matches reports whether c is selected by one element: a suite name, an alias, or
// aliases joined by '+', all of which must hold.
func matches(c suite, el string) bool {
	if el == "" {
		return false
	}
	if el == c.name {
		return true
	}
	for _, part := range strings.Split(el, "+") {
		if !hasAlias(c, part) {
			return false
		}
	}
	return true
}

func hasAlias(c suite, alias string) bool {
	switch alias {
	case "ALL":
		return true
	case "COMPLEMENTOFDEFAULT":
		return !c.def
	case "DEFAULT":
		return c.def
	}
	for _, at := range c.attrs {
		if at == alias {
			return true
		}
	}
	return false
}

// tls13Suites are OpenSSL 3's TLS 1.3 suite names, with whether Go has them. Go always
// offers all of its three and cannot be restricted (crypto/tls's documented choice), so a
// subset is accepted but not enforced; OpenSSL's CCM suites Go lacks are refused.
var tls13Suites = map[string]bool{
	"TLS_AES_128_GCM_SHA256":       true,
	"TLS_AES_256_GCM_SHA384":       true,
	"TLS_CHACHA20_POLY1305_SHA256": true,
	"TLS_AES_128_CCM_SHA256":       false,
	"TLS_AES_128_CCM_8_SHA256":     false,
}

// ParseCiphersuites reads tls-ciphersuites (names separated by ':'): known counts the
// names OpenSSL knows, which must be one at least for SSL_CTX_set_ciphersuites to
// succeed; unsupported are those among them Go cannot offer.
func ParseCiphersuites(v string) (known int, unsupported []string) {
	for _, name := range strings.Split(v, ":") {
		goHas, ok := tls13Suites[name]
		if !ok {
			continue
		}
		known++
		if !goHas {
			unsupported = append(unsupported, name)
		}
	}
	return known, unsupported
}
