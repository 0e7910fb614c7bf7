package kiosk

import "testing"

func TestBootedSlot(t *testing.T) {
	for cmdline, want := range map[string]string{
		"root=/dev/mmcblk0p2 rootfstype=squashfs ro rootwait rauc.slot=B quiet": "B",
		"rauc.slot=A":              "A",
		"root=/dev/sda1 quiet":     "",
		"rauc.slot=C rauc.slot=":   "",
		"xrauc.slot=A rauc.slot=B": "B",
	} {
		if got := bootedSlot(cmdline); got != want {
			t.Errorf("%q: %q, want %q", cmdline, got, want)
		}
	}
}
