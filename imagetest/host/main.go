// Command imagetest-host boots the scangate SD card image under QEMU and
// walks it through what a kiosk lives through: first boot, check-ins
// uploaded to a collector, a streamed update, a bad update, a kernel that
// panics, a config typo and power cuts. Each scenario prints one
// "imagetest: PASS|FAIL name: detail" line; any FAIL fails the run.
// scripts/imagetest.sh builds the image and runs this.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

type options struct {
	work, qemu, bios, disk, bundles, scangate, compatible string
	agentPort, httpPort, collectorPort                    int
	timeout                                               time.Duration
}

func (o options) consoleLog() string { return o.work + "/qemu.log" }

var passed, failed int

func check(name string, ok bool, format string, a ...any) bool {
	word := "PASS"
	if ok {
		passed++
	} else {
		word = "FAIL"
		failed++
	}
	fmt.Printf("imagetest: %s %s: %s\n", word, name, fmt.Sprintf(format, a...))
	return ok
}

func main() {
	var o options
	flag.StringVar(&o.work, "work", "", "work directory")
	flag.StringVar(&o.qemu, "qemu", "qemu-system-aarch64", "QEMU binary")
	flag.StringVar(&o.bios, "bios", "", "u-boot.bin")
	flag.StringVar(&o.disk, "disk", "", "sdcard.img (copied)")
	flag.StringVar(&o.bundles, "bundles", "", "directory with b/, badtest/, panic/ from post-image.sh")
	flag.StringVar(&o.scangate, "scangate", "scangate", "host scangate CLI (collector, cards)")
	flag.StringVar(&o.compatible, "compatible", "", "RAUC compatible of the image")
	flag.DurationVar(&o.timeout, "timeout", 40*time.Minute, "whole run (a hang guard: boot waits stretch while the guest prints, see patience.go)")
	flag.Parse()
	o.agentPort, o.httpPort, o.collectorPort = 17070, 18080, 18480
	go func() {
		time.Sleep(o.timeout)
		fmt.Printf("imagetest: FAIL timeout: the scenario did not finish within %v\n", o.timeout)
		os.Exit(1)
	}()
	if err := run(o); err != nil {
		check("setup", false, "%v", err)
	}
	fmt.Printf("imagetest: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		if b, err := os.ReadFile(o.work + "/serial.log"); err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) > 80 {
				lines = lines[len(lines)-80:]
			}
			fmt.Printf("imagetest: last console lines:\n%s\n", strings.Join(lines, "\n"))
		}
		os.Exit(1)
	}
}
