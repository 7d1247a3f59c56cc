// Package tlstest makes throwaway certificate authorities and certificates for tests, so no
// key is ever committed.
//
// Invariants: every key is generated fresh (ECDSA P-256) in memory and lives only in the
// value returned and the files a test asks for; a leaf certificate is always signed by the
// CA it came from and valid for 127.0.0.1, ::1 and localhost unless the caller names other
// hosts; besides tests, only the demo (cmd/sentinel-demo --tls) imports it, whose
// instances (e2e/redistest) are test code too and whose CA lives only for the run, so one
// generator serves both. The daemon, cmd/sentinel, never links it.
package tlstest
