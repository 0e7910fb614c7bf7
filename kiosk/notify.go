package kiosk

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// notifier speaks systemd's sd_notify protocol: datagrams to the socket in
// $NOTIFY_SOCKET. Without that variable (not under systemd) it is a no-op,
// so the same binary runs by hand, under busybox init and in tests.
type notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration // from $WATCHDOG_USEC; 0 when off
}

func newNotifier() *notifier {
	n := &notifier{}
	if p := os.Getenv("NOTIFY_SOCKET"); p != "" {
		if p[0] == '@' { // abstract namespace
			p = "\x00" + p[1:]
		}
		n.addr = &net.UnixAddr{Name: p, Net: "unixgram"}
	}
	if us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64); err == nil && us > 0 {
		if pid := os.Getenv("WATCHDOG_PID"); pid == "" || pid == strconv.Itoa(os.Getpid()) {
			n.watchdog = time.Duration(us) * time.Microsecond
		}
	}
	return n
}

func (n *notifier) send(state string) error {
	if n.addr == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}
