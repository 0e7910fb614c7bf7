// Command hostscan plays the USB serial barcode scanner of `make vmtest`
// from the host. QEMU exposes the guest's FTDI adapter as a Unix socket
// (--scanner) and a second guest UART as another (--control); each line
// "SCAN text" the guest writes to that UART is typed into the scanner as
// text followed by CR, as a scanner module does.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func dial(path string) (net.Conn, error) {
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var c net.Conn
		if c, err = net.Dial("unix", path); err == nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("hostscan: connect %s: %w", path, err)
}

func main() {
	scanPath := flag.String("scanner", "", "QEMU chardev socket of the guest's USB serial scanner")
	ctlPath := flag.String("control", "", "QEMU chardev socket of the guest's control UART")
	flag.Parse()
	if err := run(*scanPath, *ctlPath); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(scanPath, ctlPath string) error {
	scan, err := dial(scanPath)
	if err != nil {
		return err
	}
	defer scan.Close()
	ctl, err := dial(ctlPath)
	if err != nil {
		return err
	}
	defer ctl.Close()
	go func() { // the guest never writes to the scanner; drain anyway
		buf := make([]byte, 512)
		for {
			if _, err := scan.Read(buf); err != nil {
				return
			}
		}
	}()
	lines := bufio.NewScanner(ctl)
	for lines.Scan() {
		text, ok := strings.CutPrefix(strings.TrimRight(lines.Text(), "\r"), "SCAN ")
		if !ok {
			continue
		}
		if _, err := scan.Write([]byte(text + "\r")); err != nil {
			return fmt.Errorf("hostscan: write to scanner: %w", err)
		}
	}
	return lines.Err()
}
