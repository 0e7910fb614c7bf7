package kiosk

import (
	"github.com/scangate/scangate/sync/wire"
	"github.com/scangate/scangate/version"
)

// uplinkHealth is the kiosk's part of the health report the uplink sends
// with each batch and bundle request; the uplink adds the outbox, the
// clock offset and its own last error.
func (k *Kiosk) uplinkHealth() wire.Health {
	now := k.clock.Now()
	h := wire.Health{Software: version.Version, Slot: k.slot}
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
