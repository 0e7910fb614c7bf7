package version

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSlotOf(t *testing.T) {
	for line, want := range map[string]string{
		"root=/dev/mmcblk0p2 rootfstype=squashfs ro rootwait rauc.slot=A console=ttyAMA0 quiet\n": "A",
		"root=/dev/vda3 rauc.slot=B":            "B",
		"rauc.slot=A rauc.slot=B":               "B",
		"root=/dev/sda1 quiet":                  "",
		"rauc.slotx=A":                          "",
		"xrauc.slot=A rauc.slot=B":              "B",
		"rauc.slot=" + string(make([]byte, 17)): "",
	} {
		if got := SlotOf(line); got != want {
			t.Errorf("SlotOf(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestBootedSlot(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cmdline")
	if err := os.WriteFile(p, []byte("ro rauc.slot=B panic=5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := CmdlinePath
	t.Cleanup(func() { CmdlinePath = old })
	CmdlinePath = p
	if s := BootedSlot(); s != "B" {
		t.Errorf("BootedSlot = %q, want B", s)
	}
	CmdlinePath = filepath.Join(t.TempDir(), "missing")
	if s := BootedSlot(); s != "" {
		t.Errorf("BootedSlot without a cmdline = %q, want empty", s)
	}
}
