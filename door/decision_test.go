package door_test

import (
	"testing"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/internal/constcheck"
)

func TestReasonsListsEveryConstant(t *testing.T) {
	var listed []string
	for _, r := range door.Reasons() {
		listed = append(listed, string(r))
	}
	missing, extra, err := constcheck.Listed(".", "Reason", listed)
	if err != nil || len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("door.Reasons() misses %v, lists unknown %v (%v)", missing, extra, err)
	}
}

// The device's own troubles are never the card's: exactly these reasons
// are faults, and the outcome strings are what the wire carries.
func TestDeviceReasons(t *testing.T) {
	device := map[door.Reason]bool{door.ReasonTrustStale: true, door.ReasonClock: true, door.ReasonDeviceFault: true,
		door.ReasonStorage: true, door.ReasonConfig: true}
	for _, r := range door.Reasons() {
		if r.Device() != device[r] {
			t.Errorf("%s: Device() = %v", r, r.Device())
		}
	}
	for o, s := range map[door.Outcome]string{door.Pass: "pass", door.AlreadyIn: "already", door.Fail: "fail", door.Fault: "fault",
		door.Exit: "exit", door.Full: "full"} {
		if o.String() != s {
			t.Errorf("%d.String() = %q, want %q", o, o.String(), s)
		}
	}
}
