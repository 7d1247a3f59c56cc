package daemon

import (
	"errors"
	"net"
	"os"
	"time"
)

// notifyTimeout bounds a notification, so a stuck supervisor cannot hold up startup or
// shutdown; systemd reads its socket promptly, so this never fires in practice.
const notifyTimeout = 5 * time.Second

// sdNotify sends state (e.g. "READY=1\n") as one datagram to the socket systemd names in
// NOTIFY_SOCKET, the sd_notify protocol, without linking libsystemd. With NOTIFY_SOCKET unset
// it does nothing, as sd_notify does. A name starting with '@' is in Linux's abstract
// namespace; the Go runtime maps that '@' to the leading NUL the kernel expects.
//
// Redis sends "STATUS=Ready to accept connections\n" and "READY=1\n" as two datagrams once it
// is ready, and "STOPPING=1\n" when it starts shutting down; one datagram carrying several
// newline-separated assignments is equivalent to systemd.
func sdNotify(state string) error {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	// sd_notify accepts only absolute paths and abstract names.
	if name[0] != '/' && name[0] != '@' {
		return errors.New("sd_notify: NOTIFY_SOCKET is neither an absolute path nor an abstract socket name: " + name)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(notifyTimeout)); err != nil {
		return err
	}
	_, err = conn.Write([]byte(state))
	return err
}
