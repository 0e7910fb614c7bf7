package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/idcode"
)

// TrustSource hands out the current trust data; nil when there is none.
type TrustSource interface {
	Trust() *idcode.Trust
}

// unpinned is implemented by a TrustSource that can tell "no trust data
// because no list key is pinned" (the configuration's fault) from data
// that is merely missing or old (trust.Source).
type unpinned interface{ Unpinned() bool }

// ClockState says whether the wall clock has been confirmed.
type ClockState interface {
	SinceSync() (d time.Duration, ok bool)
}

// Gate decides. It is safe for concurrent use; decisions are serialised so
// that duplicate and companion rules see every earlier decision.
type Gate struct {
	ledger door.Ledger
	trust  TrustSource
	clock  clock.Clock
	sync   ClockState
	log    *slog.Logger
	exit   func(source string) bool
	occ    door.Occupancy
	loc    *time.Location

	mu     sync.Mutex
	policy door.Policy
	group  struct {
		id    int64
		until time.Time
	}
}

// Options wires a Gate.
type Options struct {
	Ledger door.Ledger
	Trust  TrustSource
	Clock  clock.Clock // default clock.Real
	Sync   ClockState  // nil: the clock is never called unconfirmed
	Policy door.Policy
	Logger *slog.Logger
	// Exit tells whether a source is an exit (nil: none is): a card seen
	// there records an Exit, never an admission.
	Exit func(source string) bool
	// Occupancy counts who is inside, for Policy.Capacity and for a
	// second exit; nil: the Ledger's own when it has one.
	Occupancy door.Occupancy
	// Location is the venue's time zone: capacity counts from its
	// midnight. Default UTC.
	Location *time.Location
}

// New returns a Gate.
func New(o Options) (*Gate, error) {
	if o.Ledger == nil {
		return nil, errors.New("gate: no ledger")
	}
	if o.Trust == nil && !o.Policy.LogOnly {
		return nil, errors.New("gate: no trust source in verify mode")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Occupancy == nil {
		o.Occupancy, _ = o.Ledger.(door.Occupancy)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	g := &Gate{ledger: o.Ledger, trust: o.Trust, clock: o.Clock, sync: o.Sync, log: o.Logger,
		exit: o.Exit, occ: o.Occupancy, loc: o.Location}
	g.SetPolicy(o.Policy)
	return g, nil
}

// SetPolicy replaces the policy (the collector may push a new one).
func (g *Gate) SetPolicy(p door.Policy) {
	if p.DuplicateWindow <= 0 {
		p.DuplicateWindow = 10 * time.Minute
	}
	if p.CompanionWindow <= 0 {
		p.CompanionWindow = 30 * time.Second
	}
	g.mu.Lock()
	g.policy = p
	g.mu.Unlock()
}

// Policy returns the policy in force.
func (g *Gate) Policy() door.Policy {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.policy
}

// Decide turns one scanned code into a decision. Admitting decisions are
// durable in the ledger when Decide returns.
func (g *Gate) Decide(ctx context.Context, code door.Code) door.Decision {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	d := door.Decision{Source: code.Source, SeenAt: code.SeenAt}
	e := door.Entry{At: now, Source: code.Source, Synced: g.synced()}
	exit := g.exit != nil && g.exit(code.Source)

	if g.policy.LogOnly {
		e.Holder = g.ledger.Pseudonym(code.Text)
		e.CardID = e.Holder
		d.CardID = e.Holder
		if exit {
			return g.leave(ctx, d, e, now, door.ReasonExit)
		}
		d.Outcome, d.Reason = door.Pass, door.ReasonLogged
		if dup, err := g.ledger.AdmittedSince(ctx, e.CardID, now.Add(-g.policy.DuplicateWindow)); err != nil {
			return g.fault(d, door.ReasonStorage, fmt.Errorf("duplicate lookup: %w", err))
		} else if dup {
			d.Outcome, d.Reason = door.AlreadyIn, door.ReasonAlreadyIn
		}
		if d, full, err := g.full(ctx, d, now); err != nil || full {
			return g.commitOrFault(ctx, d, e, now, err)
		}
		return g.commit(ctx, d, e, now)
	}

	card, err := idcode.Parse(code.Text)
	if err != nil {
		d.Outcome, d.Reason, d.Detail = door.Fail, door.ReasonMalformed, err.Error()
		return g.commit(ctx, d, e, now)
	}
	d.Name, d.Category, d.CardID = card.Name, card.Category, card.CardIDHex()
	e.Name, e.Category, e.CardID, e.Holder = card.Name, card.Category, d.CardID, card.Subject

	trust := g.trust.Trust()
	v := idcode.Verify(card, trust, now)
	reason, known := verdictReason(v.Reason)
	if !known {
		// A verdict this build cannot name is the device's problem, never
		// the card's.
		return g.fault(d, door.ReasonDeviceFault, fmt.Errorf("unknown verdict %q", v.Reason))
	}
	d.Reason, d.Detail = reason, v.Detail
	if v.Reason == idcode.ReasonValid {
		d.Reason = door.ReasonPass
	}
	// A verdict that depends on the time is only as good as the clock.
	switch v.Reason {
	case idcode.ReasonValid, idcode.ReasonExpired, idcode.ReasonNotYetValid, idcode.ReasonTrustStale:
		signed := v.Reason != idcode.ReasonTrustStale
		if why := g.clockDoubt(now, card, trust, signed); why != "" {
			d.Reason, d.Detail = door.ReasonClock, why
		}
	}
	if d.Reason == door.ReasonTrustStale && trust == nil && g.unpinned() {
		d.Reason, d.Detail = door.ReasonConfig, "no list key pinned"
	}
	if exit {
		switch d.Reason {
		case door.ReasonUnknownIssuer, door.ReasonBadSignature, door.ReasonMalformed:
			// Not a card of ours: it cannot stand for anyone inside.
			d.Outcome = door.Fail
			return g.commit(ctx, d, e, now)
		case door.ReasonPass:
			return g.leave(ctx, d, e, now, door.ReasonExit)
		}
		// A genuine card with a problem, or one the device cannot check:
		// the person leaves all the same, and the reason flags it.
		return g.leave(ctx, d, e, now, d.Reason)
	}
	if d.Reason.Device() {
		// Stale data, a doubtful clock, no pinned key: the device cannot
		// tell whether the card is good, so it must not say it is bad.
		d.Outcome = door.Fault
		return g.commit(ctx, d, e, now)
	}
	if d.Reason != door.ReasonPass {
		d.Outcome = door.Fail
		return g.commit(ctx, d, e, now)
	}
	if len(g.policy.Categories) > 0 && !slices.Contains(g.policy.Categories, card.Category) {
		d.Outcome, d.Reason = door.Fail, door.ReasonCategory
		return g.commit(ctx, d, e, now)
	}
	d.Outcome = door.Pass
	dup, err := g.ledger.AdmittedSince(ctx, d.CardID, now.Add(-g.policy.DuplicateWindow))
	if err != nil {
		return g.fault(d, door.ReasonStorage, fmt.Errorf("duplicate lookup: %w", err))
	}
	if dup {
		d.Outcome, d.Reason = door.AlreadyIn, door.ReasonAlreadyIn
	}
	if d, full, err := g.full(ctx, d, now); err != nil || full {
		return g.commitOrFault(ctx, d, e, now, err)
	}
	// Companions: a companion card opens a group; other cards within the
	// window join it. Another companion starts a new group.
	if card.Category != idcode.CategoryCompanion && g.group.id != 0 && now.Before(g.group.until) {
		d.Group = g.group.id
		g.group.until = now.Add(g.policy.CompanionWindow)
	}
	d = g.commit(ctx, d, e, now)
	if card.Category == idcode.CategoryCompanion && d.Outcome == door.Pass && d.Seq != 0 {
		g.group.id, g.group.until = d.Seq, now.Add(g.policy.CompanionWindow)
	}
	return d
}

// leave records an exit with reason why (ReasonExit, or a card's trouble
// as a flag); a card already out since its last pass within the duplicate
// window is recorded as already_exited and not counted again.
func (g *Gate) leave(ctx context.Context, d door.Decision, e door.Entry, now time.Time, why door.Reason) door.Decision {
	d.Outcome, d.Reason = door.Exit, why
	if g.occ != nil {
		out, err := g.occ.ExitedSince(ctx, d.CardID, now.Add(-g.policy.DuplicateWindow))
		if err != nil {
			return g.fault(d, door.ReasonStorage, fmt.Errorf("exit lookup: %w", err))
		}
		if out {
			d.Reason = door.ReasonAlreadyOut
		}
	}
	return g.commit(ctx, d, e, now)
}

// full turns a pass into a venue_full refusal while people in now (since
// the venue's midnight) is at capacity. Only a new pass is checked:
// someone already in is not refused for being counted.
func (g *Gate) full(ctx context.Context, d door.Decision, now time.Time) (door.Decision, bool, error) {
	if d.Outcome != door.Pass || g.policy.Capacity <= 0 {
		return d, false, nil
	}
	if g.occ == nil {
		d.Outcome, d.Reason = door.Fault, door.ReasonConfig
		return d, true, nil
	}
	n, err := g.occ.PeopleIn(ctx, g.midnight(now))
	if err != nil {
		return d, false, fmt.Errorf("people in: %w", err)
	}
	if n < g.policy.Capacity {
		return d, false, nil
	}
	d.Outcome, d.Reason, d.Detail = door.Full, door.ReasonVenueFull, fmt.Sprintf("%d in, capacity %d", n, g.policy.Capacity)
	return d, true, nil
}

// PeopleIn is who is inside now (since the venue's midnight) and the
// capacity in force (0: none), for status and the staff desk.
func (g *Gate) PeopleIn(ctx context.Context) (in, capacity int, err error) {
	g.mu.Lock()
	capacity = g.policy.Capacity
	g.mu.Unlock()
	if g.occ == nil {
		return 0, capacity, errors.New("gate: no occupancy count")
	}
	in, err = g.occ.PeopleIn(ctx, g.midnight(g.clock.Now()))
	return in, capacity, err
}

// midnight is the start of the venue's day containing t: the count starts
// afresh then (nobody is assumed to stay overnight).
func (g *Gate) midnight(t time.Time) time.Time {
	l := t.In(g.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, g.loc)
}

// commitOrFault commits d unless err says the count could not be read.
func (g *Gate) commitOrFault(ctx context.Context, d door.Decision, e door.Entry, now time.Time, err error) door.Decision {
	if err != nil {
		return g.fault(d, door.ReasonStorage, err)
	}
	return g.commit(ctx, d, e, now)
}

// commit records the decision and returns it; a ledger failure becomes a
// device fault (or an unrecorded admission under fail-open).
func (g *Gate) commit(ctx context.Context, d door.Decision, e door.Entry, now time.Time) door.Decision {
	e.Outcome, e.Reason, e.Group = d.Outcome, d.Reason, d.Group
	seq, err := g.ledger.Record(ctx, e)
	if err != nil {
		return g.fault(d, door.ReasonStorage, fmt.Errorf("record check-in: %w", err))
	}
	d.Seq = seq
	d.DecidedAt = g.clock.Now()
	g.log.Info("decision", "outcome", d.Outcome.String(), "reason", string(d.Reason), "source", d.Source, "seq", seq)
	g.log.Debug("decision detail", "card", d.CardID, "name", d.Name, "detail", d.Detail)
	return d
}

// fault is a decision the device could not make or record; under
// fail-open an admission stands, unrecorded.
func (g *Gate) fault(d door.Decision, why door.Reason, err error) door.Decision {
	g.log.Error("gate: device fault", "reason", string(why), "err", err, "fail_open", g.policy.FailOpen)
	d.DecidedAt = g.clock.Now()
	if why == door.ReasonStorage && g.policy.FailOpen && d.Admitted() {
		d.Detail = "not recorded: " + err.Error()
		return d
	}
	d.Outcome, d.Reason, d.Detail = door.Fault, why, err.Error()
	return d
}

func (g *Gate) unpinned() bool {
	u, ok := g.trust.(unpinned)
	return ok && u.Unpinned()
}

// Refusing says why no card can pass right now (every valid card would be
// a Fault with this reason), or "" when cards are being decided. The kiosk
// shows it on the idle screen, before anyone is turned away. Storage
// faults are the store's to report: the gate learns of them only when a
// write fails.
func (g *Gate) Refusing() (door.Reason, string) {
	g.mu.Lock()
	p := g.policy
	g.mu.Unlock()
	if p.LogOnly {
		return "", ""
	}
	now := g.clock.Now()
	t := g.trust.Trust()
	if t == nil && g.unpinned() {
		return door.ReasonConfig, "no list key pinned"
	}
	if why := g.clockDoubtWith(p, now, nil, t, false); why != "" {
		return door.ReasonClock, why
	}
	if why := t.Stale(now); why != "" {
		return door.ReasonTrustStale, why
	}
	return "", ""
}

func (g *Gate) synced() bool {
	if g.sync == nil {
		return true
	}
	_, ok := g.sync.SinceSync()
	return ok
}

// clockDoubt says why the clock cannot be trusted for a time-based verdict,
// or "". signed tells whether card.IssuedAt is covered by a good signature.
func (g *Gate) clockDoubt(now time.Time, card *idcode.Card, t *idcode.Trust, signed bool) string {
	return g.clockDoubtWith(g.policy, now, card, t, signed)
}

func (g *Gate) clockDoubtWith(p door.Policy, now time.Time, card *idcode.Card, t *idcode.Trust, signed bool) string {
	if signed && card != nil && now.Before(card.IssuedAt) {
		return "device clock " + now.UTC().Format(time.RFC3339) + " is earlier than the card's issue time"
	}
	if t != nil && t.List != nil && now.Before(t.List.IssuedAt) {
		return "device clock is earlier than the trust list's issue time"
	}
	if p.MaxUnsynced > 0 && g.sync != nil {
		if d, ok := g.sync.SinceSync(); !ok || d > p.MaxUnsynced {
			return fmt.Sprintf("clock not confirmed for longer than %s", p.MaxUnsynced)
		}
	}
	return ""
}

func verdictReason(r idcode.Reason) (door.Reason, bool) {
	switch r {
	case idcode.ReasonValid:
		return door.ReasonPass, true
	case idcode.ReasonMalformed:
		return door.ReasonMalformed, true
	case idcode.ReasonUnknownKey:
		return door.ReasonUnknownIssuer, true
	case idcode.ReasonBadSignature:
		return door.ReasonBadSignature, true
	case idcode.ReasonNotYetValid:
		return door.ReasonNotYetValid, true
	case idcode.ReasonExpired:
		return door.ReasonExpired, true
	case idcode.ReasonRevoked:
		return door.ReasonRevoked, true
	case idcode.ReasonIssuerVenue:
		return door.ReasonIssuerVenue, true
	case idcode.ReasonTrustStale:
		return door.ReasonTrustStale, true
	}
	return door.ReasonDeviceFault, false
}
