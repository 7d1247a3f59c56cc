// Package tlsconf turns Redis 7.0's tls-* directives into crypto/tls configurations for the
// sentinel's listener (server side) and its links to instances and peers (client side),
// with the semantics of Redis's tlsConfigure and createSSLContext (src/tls.c), and reloads
// the certificates without a restart, which redis-sentinel cannot do.
//
// Invariants:
//   - Load and New check the directives in tlsConfigure's order and fail on the first
//     problem with the warning line Redis logs for it (OpenSSL 3's error strings for the
//     common cases, see errors.go); the daemon prints it, then FailedLine, and exits 1.
//   - A Store's configurations read the current Material at every handshake, so a reload
//     is seen by the next connection and never touches an established one. A Material is
//     never changed once built; a reload that fails keeps the previous one.
//   - Outgoing connections verify the peer's chain, validity and serverAuth usage against
//     the CA, never its host name, and send no SNI, as redis-sentinel does (its
//     instanceLinkNegotiateTLS calls neither SSL_set1_host nor SSL_set_tlsext_host_name):
//     sentinels dial the IPs they learn from INFO and hellos, which certificates rarely name.
//   - Handshakes never run on a listener's accept loop nor under a lock: Listener hands
//     each accepted connection to its own goroutine, bounded by a deadline and by a cap on
//     handshakes in flight.
//   - Only crypto/tls and the standard library: no cgo, no OpenSSL.
//
// How each directive maps (Redis's wording for errors; "ours:" marks what differs):
//
//	tls-port                   listener on every bind address, beside `port` or alone (port 0);
//	                           the Running-mode line and INFO's tcp_port show it when port is 0
//	tls-replication            every link (master, replicas, peer sentinels) is TLS; hellos announce
//	                           tls-port unless announce-port is set (sentinelSendHello)
//	tls-cluster                only makes TLS configured at start-up, as in Redis
//	tls-cert-file, -key-file   server pair; the leaf first, then its chain. Also the client pair,
//	                           unless both tls-client-* files are set (Redis builds a client context
//	                           only then)
//	tls-key-file-pass          legacy "Proc-Type: 4,ENCRYPTED" PEM (x509.DecryptPEMBlock) and PKCS#8
//	                           "ENCRYPTED PRIVATE KEY" with PBES2 (PBKDF2-HMAC-SHA1/224/256/384/512,
//	                           AES-128/192/256-CBC): what OpenSSL 3 writes. ours: PBES1, scrypt and
//	                           3DES-encrypted PKCS#8 are refused at start-up, naming the scheme
//	tls-client-cert-file, ...  client pair, with tls-client-key-file-pass
//	tls-ca-cert-file           PEM certificates; one pool verifies clients and the servers we dial
//	tls-ca-cert-dir            every PEM certificate of every file in the directory (OpenSSL looks up
//	                           hashed names lazily; reading all of them finds a superset). A missing
//	                           directory is not an error at start-up, as with OpenSSL
//	tls-auth-clients           yes: RequireAndVerifyClientCert; optional: VerifyClientCertIfGiven;
//	                           no: NoClientCert. A certificate that fails verification is refused
//	                           under yes and optional, as SSL_VERIFY_PEER refuses it
//	tls-protocols              names split on single spaces, case-insensitive, Redis's error for any
//	                           other. TLSv1.2/TLSv1.3 -> Min/MaxVersion. ours: TLSv1 and TLSv1.1 are
//	                           accepted but never negotiated (Debian's OpenSSL 3 refuses them at its
//	                           default security level too); a list of only those fails every handshake
//	tls-ciphers                OpenSSL cipher string (names, aliases, A+B, ! - +, @STRENGTH,
//	                           @SECLEVEL) over OpenSSL 3's TLS 1.2 suites; Redis's error when none is
//	                           selected. ours: suites Go lacks (DHE, CAMELLIA, ARIA, PSK, the SHA384
//	                           CBC ones) are never offered, and a list with only those is refused at
//	                           start-up; names outside our table count as unknown; order is Go's
//	tls-ciphersuites           TLS 1.3 names; Redis's error when none is known. ours: Go always offers
//	                           its three TLS 1.3 suites (crypto/tls cannot restrict them); the CCM
//	                           suites, which Go lacks, are refused at start-up
//	tls-prefer-server-ciphers  accepted; ours: crypto/tls orders suites itself either way
//	tls-session-caching        no -> SessionTicketsDisabled
//	tls-session-cache-timeout  a ticket older than this is not resumed; 0 disables resumption.
//	                           ours: stateless tickets replace OpenSSL's server-side cache
//	tls-session-cache-size     validated (by config) only; ours: tickets keep no server-side cache
//	                           whose size could be bounded
//	tls-dh-params-file         read and checked as Redis does (same lines for a missing or non-DH
//	                           file); ours: Go has no finite-field DHE, so the parameters are unused
//
// Beyond redis-sentinel: the certificates, keys and CA are reloaded on SIGHUP and when their
// files change (size, mtime, inode, through symlinks), logging the new certificate's
// subject, serial and expiry; a certificate within 7 days of its NotAfter draws a warning
// at start-up and once a day. A plaintext client on the TLS port is logged once per
// address, not once per attempt (redis/redis#7068, #9952); a stalled handshake is dropped
// after 10 s (Redis has no such bound).
package tlsconf
