package clock

import "golang.org/x/sys/unix"

// KernelSynced asks adjtimex(2): the kernel clears STA_UNSYNC once an NTP
// client (chrony, systemd-timesyncd) disciplines the clock.
func KernelSynced() bool {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
}
