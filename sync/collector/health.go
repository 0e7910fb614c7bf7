package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scangate/scangate/sync/wire"
)

// DeviceHealth is what the collector knows of one device's state: when it
// last made a signed request, and the last health report it sent (nil for
// a device that never sent one).
type DeviceHealth struct {
	Device     string       `json:"device"`
	Venue      string       `json:"venue"`
	Hardware   string       `json:"hardware"`
	EnrolledAt time.Time    `json:"enrolled_at"`
	RevokedAt  time.Time    `json:"revoked_at,omitzero"`
	LastSeen   time.Time    `json:"last_seen,omitzero"` // zero: never since enrollment
	ReportedAt time.Time    `json:"reported_at,omitzero"`
	Health     *wire.Health `json:"health,omitempty"`
}

// HealthStore is a Backend that keeps the latest health report of each
// device; both built-in backends are. Without it the fleet view is empty.
type HealthStore interface {
	// SaveHealth records that the device was seen at seen, with its
	// report h when not nil; an older report is kept when h is nil.
	SaveHealth(ctx context.Context, device string, h *wire.Health, seen time.Time) error
	// Fleet returns every enrolled device with what is known of its
	// health, ordered by venue and id.
	Fleet(ctx context.Context) ([]DeviceHealth, error)
}

// DeskHardware is the Hardware of the staff desk's pseudo devices (one per
// venue, holding manual check-ins): they have no health and never alarm.
const DeskHardware = "staff desk"

// IsDesk reports whether d is a staff desk's pseudo device.
func (d DeviceHealth) IsDesk() bool {
	return d.Hardware == DeskHardware && strings.HasPrefix(d.Device, "desk-")
}

// FleetRules say when a device's state turns amber or red.
type FleetRules struct {
	// UnseenRed: not seen for longer is red; 0 means 15 minutes.
	UnseenRed time.Duration
	// UnseenAmber: not seen for longer is amber; 0 means 3 minutes.
	UnseenAmber time.Duration
	// RefuseRedWithin: cards refused (stale trust data) within this is red;
	// 0 means 3 days. Already refusing is always red.
	RefuseRedWithin time.Duration
	// RefuseAmberWithin: cards refused within this is amber; 0 means 5
	// days. A kiosk in touch is a venue's max_trust_age (default 7 days)
	// from refusing, so this stays below it.
	RefuseAmberWithin time.Duration
	// ClockAmber: a clock offset beyond this is amber; 0 means a minute.
	ClockAmber time.Duration
	// OutboxAmber: an oldest unsent check-in older than this is amber; 0
	// means 10 minutes.
	OutboxAmber time.Duration
}

// WithDefaults fills the zero fields.
func (r FleetRules) WithDefaults() FleetRules {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&r.UnseenRed, 15*time.Minute)
	def(&r.UnseenAmber, 3*time.Minute)
	def(&r.RefuseRedWithin, 3*24*time.Hour)
	def(&r.RefuseAmberWithin, 5*24*time.Hour)
	def(&r.ClockAmber, time.Minute)
	def(&r.OutboxAmber, 10*time.Minute)
	return r
}

// Check reports the first problem with r (after WithDefaults).
func (r FleetRules) Check() error {
	for _, d := range []time.Duration{r.UnseenRed, r.UnseenAmber, r.RefuseRedWithin, r.RefuseAmberWithin, r.ClockAmber, r.OutboxAmber} {
		if d < 0 {
			return fmt.Errorf("%w: fleet rule %s is negative", ErrBadRequest, d)
		}
	}
	return nil
}

// Fleet states, in order of gravity. They are the state label values of
// scangate_collector_device_health.
const (
	StateGreen   = "green"
	StateAmber   = "amber"
	StateRed     = "red"
	StateRevoked = "revoked" // may no longer write; never alarms
)

// FleetStates lists the state label values of
// scangate_collector_device_health, in order.
var FleetStates = []string{StateGreen, StateAmber, StateRed, StateRevoked}

// Judgement is a device's state and why: Reasons are short codes
// (unseen, late, never_seen, refusing, refuse_soon, clock, outbox, error).
type Judgement struct {
	State   string   `json:"state"`
	Reasons []string `json:"reasons,omitempty"`
}

// Judge classifies d at now. Desk devices are always green.
func (r FleetRules) Judge(d DeviceHealth, now time.Time) Judgement {
	r = r.WithDefaults()
	if !d.RevokedAt.IsZero() {
		return Judgement{State: StateRevoked}
	}
	if d.IsDesk() {
		return Judgement{State: StateGreen}
	}
	var red, amber []string
	switch seen := now.Sub(d.LastSeen); {
	case d.LastSeen.IsZero():
		// Enrolled but never seen since: late once it had time to call.
		if now.Sub(d.EnrolledAt) > r.UnseenRed {
			red = append(red, "never_seen")
		} else {
			amber = append(amber, "never_seen")
		}
	case seen > r.UnseenRed:
		red = append(red, "unseen")
	case seen > r.UnseenAmber:
		amber = append(amber, "late")
	}
	if h := d.Health; h != nil {
		switch {
		case !h.TrustKnown:
			red = append(red, "refusing")
		case h.RefuseFrom != nil && !h.RefuseFrom.After(now):
			red = append(red, "refusing")
		case h.RefuseFrom != nil && h.RefuseFrom.Sub(now) <= r.RefuseRedWithin:
			red = append(red, "refuse_soon")
		case h.RefuseFrom != nil && h.RefuseFrom.Sub(now) <= r.RefuseAmberWithin:
			amber = append(amber, "refuse_soon")
		}
		if off := time.Duration(h.ClockOffsetMS) * time.Millisecond; h.ClockMeasured && (off > r.ClockAmber || off < -r.ClockAmber) {
			amber = append(amber, "clock")
		}
		if h.OutboxDepth > 0 && time.Duration(h.OutboxOldest) > r.OutboxAmber {
			amber = append(amber, "outbox")
		}
		if h.LastError != "" {
			amber = append(amber, "error")
		}
	}
	switch {
	case len(red) > 0:
		return Judgement{State: StateRed, Reasons: append(red, amber...)}
	case len(amber) > 0:
		return Judgement{State: StateAmber, Reasons: amber}
	}
	return Judgement{State: StateGreen}
}

// FleetDevice is one row of the fleet view.
type FleetDevice struct {
	DeviceHealth
	Judgement
}

// Fleet returns every device with its state under the server's rules, at
// the server's now: the one view the fleet page and the metrics share.
func (s *Server) Fleet(ctx context.Context) ([]FleetDevice, error) {
	hs, ok := s.cfg.Backend.(HealthStore)
	if !ok {
		return nil, nil
	}
	ds, err := hs.Fleet(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]FleetDevice, len(ds))
	for i, d := range ds {
		out[i] = FleetDevice{d, s.cfg.Fleet.Judge(d, now)}
	}
	return out, nil
}

// FleetRules returns the rules the server judges devices by.
func (s *Server) FleetRules() FleetRules { return s.cfg.Fleet.WithDefaults() }

// noteHealth records a signed request of d (its report h, if any). A
// failure is logged and counted, never fails the request: the device's
// check-ins matter more than its report.
func (s *Server) noteHealth(ctx context.Context, d Device, h *wire.Health, now time.Time) {
	hs, ok := s.cfg.Backend.(HealthStore)
	if !ok {
		return
	}
	if err := hs.SaveHealth(ctx, d.ID, h, now); err != nil && !errors.Is(err, context.Canceled) {
		s.metrics.DBErrors.Add(1)
		s.log.Warn("collector: save device health", "device", d.ID, "err", err)
	}
}

// bundleHealth reads the health report of a bundle request; a malformed
// one is refused like a malformed batch.
func bundleHealth(q string) (*wire.Health, error) {
	if q == "" {
		return nil, nil
	}
	h, err := wire.DecodeHealthParam(q)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// The health table, the same on both backends but for the types.
const (
	sqliteHealth = `
CREATE TABLE device_health (
  device TEXT PRIMARY KEY REFERENCES devices(id), seen_at INTEGER NOT NULL, reported_at INTEGER, health TEXT);`
	pgHealth = `
CREATE TABLE device_health (
  device text PRIMARY KEY REFERENCES devices(id), seen_at timestamptz NOT NULL, reported_at timestamptz, health jsonb);`
)
