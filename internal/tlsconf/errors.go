package tlsconf

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

// ErrConfig is wrapped by every error Load returns.
var ErrConfig = errors.New("tlsconf: TLS not configured")

// Error is a configuration Redis would refuse, as the warning line redis-sentinel logs
// for it; the daemon logs Line, then Redis's "Failed to configure TLS" line, and exits.
type Error struct {
	Line string
	Err  error // the cause, when there is one
}

func (e *Error) Error() string { return e.Line }
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrConfig, e.Err}
	}
	return []error{ErrConfig}
}

func errorf(cause error, format string, args ...any) *Error {
	return &Error{Line: fmt.Sprintf(format, args...), Err: cause}
}

// FailedLine is what Redis logs after any of Load's errors, before exiting with 1.
const FailedLine = "Failed to configure TLS. Check logs for more info."

// OpenSSL 3's error strings (ERR_error_string_n) for the failures a config file commonly
// has, as Debian's OpenSSL 3.0 prints them, so a log parser or an operator's runbook that
// matches them keeps working. Failures without an entry here get a Go description.
const (
	sslNoStartLine     = "error:0480006C:PEM routines::no start line"
	sslDecoderUnsupp   = "error:1E08010C:DECODER routines::unsupported"
	sslKeyMismatch     = "error:05800074:x509 certificate routines::key values mismatch"
	sslNoCertOrCRL     = "error:05800088:x509 certificate routines::no certificate or crl found"
	sslBadDecrypt      = "error:1C800064:Provider routines::bad decrypt"
	sslInterrupted     = "error:07880109:common libcrypto routines::interrupted or cancelled"
	sslSystemLibFormat = "error:%08X:system library::%s"
)

// opensslSys is OpenSSL 3's string for a failed system call: ERR_SYSTEM_FLAG with errno,
// and strerror's text (glibc's capitalised wording, which Go's lower-cases).
func opensslSys(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	return fmt.Sprintf(sslSystemLibFormat, 0x80000000|uint32(errno), strerror(errno))
}

// strerror is glibc's text for errno: Go's with the first letter upper case, which is
// glibc's wording for every errno a file open returns.
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pathErrno is the errno behind a failed open or read, if any.
func pathErrno(err error) (syscall.Errno, bool) {
	var pe *fs.PathError
	var errno syscall.Errno
	if errors.As(err, &pe) && errors.As(pe.Err, &errno) {
		return errno, true
	}
	return 0, false
}
