package main

import (
	"fmt"
	"net"
	"os"
)

// sdNotify sends one sd_notify datagram; a no-op outside systemd.
func sdNotify(state string) error {
	p := os.Getenv("NOTIFY_SOCKET")
	if p == "" {
		return nil
	}
	if p[0] == '@' {
		p = "\x00" + p[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: p, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// notifyWatchdog feeds systemd's WatchdogSec while the error is shown.
func notifyWatchdog() error { return sdNotify("WATCHDOG=1") }
