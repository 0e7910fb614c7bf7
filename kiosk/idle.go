package kiosk

import (
	"context"
	"time"

	"github.com/scangate/scangate/display"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/store"
)

// refusing says why every card would be refused now ("" when cards are
// decided): the gate's view (trust data, clock, configuration), or a store
// that takes no writes while the venue did not choose fail-open.
func (k *Kiosk) refusing() door.Reason {
	if r, _ := k.gate.Refusing(); r != "" {
		return r
	}
	if k.store.Health().State != store.StateOK && !k.gate.Policy().FailOpen {
		return door.ReasonStorage
	}
	return ""
}

// refusedFrom is when the trust data in force will refuse every card, in
// the device's time zone; zero when there is none (or log-only mode).
func (k *Kiosk) refusedFrom() time.Time {
	if k.gate.Policy().LogOnly {
		return time.Time{}
	}
	t := k.trust.Trust()
	if t == nil || t.StaleFrom().IsZero() {
		return time.Time{}
	}
	return t.StaleFrom().In(k.loc)
}

// warning reports whether trust.warn_days before refusedFrom has begun.
func (k *Kiosk) warning(now time.Time) bool {
	from := k.refusedFrom()
	days := k.cfg.Trust.WarnDays
	return days > 0 && !from.IsZero() && !now.Before(from.AddDate(0, 0, -days))
}

// full reports whether the venue is at its capacity, for an entry kiosk
// (an exit-only kiosk never says so: its people are leaving).
func (k *Kiosk) full() bool {
	if k.cfg.Device.Exit || k.gate.Policy().Capacity <= 0 {
		return false
	}
	in, capacity, err := k.gate.PeopleIn(context.Background())
	return err == nil && capacity > 0 && in >= capacity
}

// updateIdle sets what the door shows between cards: that it refuses
// every card and why (amber), that the venue is full, a warning to renew
// the trust data, or the invitation to show a card.
func (k *Kiosk) updateIdle() {
	if k.display != nil {
		k.display.SetIdle(k.idleState())
	}
}

func (k *Kiosk) idleState() display.Idle {
	switch r := k.refusing(); {
	case r != "":
		return display.Idle{Message: display.RefusingMessage(r), Amber: true}
	case k.full():
		return display.Idle{Message: display.FullMessage()}
	case k.warning(k.clock.Now()):
		return display.Idle{Message: display.WarnMessage(k.refusedFrom())}
	}
	return display.Idle{Message: display.IdleMessage()}
}

// watchIdle keeps the idle screen in step with the device every second
// (the display draws only changes).
func (k *Kiosk) watchIdle(ctx context.Context) {
	tick := k.clock.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
			k.updateIdle()
		}
	}
}
