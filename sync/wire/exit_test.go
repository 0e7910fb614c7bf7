package wire

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
)

// Exits and full-venue refusals travel as decisions of their own, and a
// venue's capacity in the bundle's policy.
func TestExitAndFullRecordsCheck(t *testing.T) {
	for _, d := range []string{DecisionExit, DecisionFull} {
		r := Record{Seq: 4, At: time.Unix(1_800_000_000, 0).UTC(), Source: "serial0", Decision: d, Reason: "exit", CardID: "ab"}
		if err := r.Check(); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

func TestPolicyCapacity(t *testing.T) {
	p := DefaultPolicy()
	for _, c := range []int{-1, MaxCapacity + 1} {
		p.Capacity = c
		if err := p.Check(); err == nil {
			t.Errorf("capacity %d passed", c)
		}
	}
	pub, key, _ := ed25519.GenerateKey(nil)
	b := Bundle{Version: Version, Device: "d", Venue: "v", Revision: "r1", Policy: DefaultPolicy(), ServerTime: time.Now().UTC()}
	data, err := SignBundle(b, key)
	if err != nil {
		t.Fatal(err)
	}
	// No capacity, no key: a kiosk from before capacities (strict
	// decoder) still opens the bundle of a venue that has none.
	if strings.Contains(string(data), "capacity") {
		t.Fatalf("a policy without capacity carries the key: %s", data)
	}
	b.Policy.Capacity = 120
	if data, err = SignBundle(b, key); err != nil {
		t.Fatal(err)
	}
	got, err := OpenBundle(data, pub)
	if err != nil || got.Policy.Capacity != 120 {
		t.Fatalf("capacity through the bundle: %+v, %v", got.Policy, err)
	}
}
