package store

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// CurrentBootID is the kernel's random id of this boot. Records with the
// same boot id share one monotonic clock, which is what makes a later clock
// correction possible.
func CurrentBootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("store: boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// SinceBoot reads CLOCK_BOOTTIME: monotonic, and unlike CLOCK_MONOTONIC it
// keeps counting through suspend.
func SinceBoot() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, fmt.Errorf("store: clock_gettime(CLOCK_BOOTTIME): %w", err)
	}
	return time.Duration(ts.Nano()), nil
}
