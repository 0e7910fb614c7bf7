package kiosk

import (
	"fmt"
	"testing"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/trust"
)

// A file refused because the store failed is tried again; one refused for
// itself is not, until it changes.
func TestStorageFaultIsRetried(t *testing.T) {
	for err, want := range map[error]bool{
		fmt.Errorf("trust: store trust list: %w", store.ErrFull):      true,
		fmt.Errorf("trust: store revocations: %w", store.ErrReadOnly): true,
		fmt.Errorf("trust: %w", idcode.ErrListKeyUnknown):             false,
		fmt.Errorf("trust: trust list v1: %w (v2)", trust.ErrOlder):   false,
	} {
		if storageFault(err) != want {
			t.Errorf("%v: storageFault %v", err, !want)
		}
	}
	k := &Kiosk{}
	k.files.seen = map[string][32]byte{"/boot/trust.json": {1}}
	k.forget("/boot/trust.json")
	if len(k.files.seen) != 0 {
		t.Error("forget kept the file")
	}
}
