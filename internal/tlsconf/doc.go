// Package tlsconf turns Redis 7.0's tls-* directives into crypto/tls configurations for the
// sentinel's listener (server side) and its links to instances and peers (client side), with
// the semantics of Redis's tlsConfigure and createSSLContext (src/tls.c), and reloads the
// certificates without a restart.
//
// Invariants:
//   - Load checks the directives in the order tlsConfigure does and fails on the first
//     problem with the warning line Redis logs for it (OpenSSL's error strings included for
//     the common cases); the daemon prints them, then Redis's "Failed to configure TLS".
//   - A Store's configurations read the current Material on every handshake, so a reload is
//     seen by the next connection and never touches an established one. A Material is
//     immutable once built; a reload that fails keeps the previous one.
//   - Outgoing connections verify the peer's chain against the CA, never its host name,
//     as redis-sentinel does (it calls no SSL_set1_host): sentinels dial the IPs they learn
//     from INFO and hellos, which certificates rarely name.
//   - Handshakes never run on a listener's accept loop: Listener hands each accepted
//     connection to its own goroutine, bounded by a deadline.
//   - Nothing here uses cgo or a TLS library other than crypto/tls.
//
// The mapping of each directive, and where Go cannot do what OpenSSL does, is in
// settings.go's comments and in the package's table in README-style comments below.
//
//	tls-port                    listener port (daemon)
//	tls-cert-file/key-file      server pair; also the client pair unless both client files are set
//	tls-key-file-pass           legacy "Proc-Type: 4,ENCRYPTED" PEM and PKCS#8 PBES2 (PBKDF2 + AES-CBC)
//	tls-client-*                client pair, used only when cert and key are both set (as Redis)
//	tls-ca-cert-file/dir        one pool for both sides; the dir: every PEM certificate in it
//	tls-auth-clients            yes: RequireAndVerifyClientCert, optional: VerifyClientCertIfGiven, no: NoClientCert
//	tls-protocols               TLSv1.2/TLSv1.3 -> Min/MaxVersion; TLSv1, TLSv1.1 accepted, never negotiated
//	tls-ciphers                 OpenSSL cipher string -> CipherSuites (TLS 1.2); DHE, CAMELLIA... never offered
//	tls-ciphersuites            TLS 1.3 names checked; Go always offers its three TLS 1.3 suites
//	tls-prefer-server-ciphers   accepted; Go always orders suites itself
//	tls-session-caching         no -> SessionTicketsDisabled
//	tls-session-cache-timeout   a ticket older than this is not resumed
//	tls-session-cache-size      validated only: tickets keep no server-side cache to size
//	tls-dh-params-file          read and checked as Redis does; Go has no DHE, so it is never used
package tlsconf
