package kiosk

import (
	"os"
	"strings"

	"github.com/scangate/scangate/sync/wire"
	"github.com/scangate/scangate/version"
)

// uplinkHealth is the kiosk's part of the health report the uplink sends
// with each batch and bundle request; the uplink adds the outbox, the
// clock offset and its own last error.
func (k *Kiosk) uplinkHealth() wire.Health {
	now := k.clock.Now()
	h := wire.Health{Software: version.Version, Slot: bootedSlot(readCmdline())}
	// A log-only venue needs no trust data: nothing is refused for it.
	h.TrustKnown = k.gate.Policy().LogOnly
	if t := k.trust.Trust(); t != nil {
		h.TrustKnown = true
		ref := t.FetchedAt
		if ref.IsZero() {
			ref = t.List.IssuedAt
		}
		h.TrustAge = wire.Duration(max(now.Sub(ref), 0))
		if from := k.refusedFrom(); !from.IsZero() {
			from = from.UTC()
			h.RefuseFrom = &from
		}
	}
	if r := k.refusing(); r != "" {
		h.LastError = "refusing every card: " + string(r)
	} else if e := k.store.Health().Err; e != "" {
		h.LastError = "store: " + e
	}
	return h
}

func readCmdline() string {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return ""
	}
	return string(b)
}

// bootedSlot is the A/B root slot the bootloader booted (rauc.slot= on the
// kernel command line, buildroot/board/scangate/slot.cmd.in); "" elsewhere.
func bootedSlot(cmdline string) string {
	for _, f := range strings.Fields(cmdline) {
		if s, ok := strings.CutPrefix(f, "rauc.slot="); ok && (s == "A" || s == "B") {
			return s
		}
	}
	return ""
}
