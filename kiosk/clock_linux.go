package kiosk

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// stepClock sets the system clock to the collector's signed time: a Pi has
// no RTC and may run without NTP at a venue; the uplink calls this only
// when the device clock is off by more than its tolerance.
func stepClock(t time.Time) error {
	tv := unix.NsecToTimeval(t.UnixNano())
	if err := unix.Settimeofday(&tv); err != nil {
		return fmt.Errorf("kiosk: set clock: %w", err)
	}
	return nil
}
