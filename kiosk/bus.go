package kiosk

import (
	"sync"
	"time"

	"github.com/scangate/scangate/door"

	"github.com/scangate/scangate/control"
)

// bus fans decisions out to waiting `present` calls and keeps the last few
// for status, masked.
type bus struct {
	mu   sync.Mutex
	subs map[chan door.Shown]struct{}
	last []control.DecisionInfo
}

const keepLast = 10

func newBus() *bus { return &bus{subs: map[chan door.Shown]struct{}{}} }

func (b *bus) subscribe() (<-chan door.Shown, func()) {
	ch := make(chan door.Shown, 4)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

func (b *bus) publish(d door.Shown) {
	info := control.DecisionInfo{
		At: d.DecidedAt, Outcome: d.Outcome.String(), Reason: string(d.Reason),
		Name: d.Name, Category: d.Category, Source: d.Source,
		LatencyMS: float64(d.ShownAt.Sub(d.SeenAt).Microseconds()) / 1000,
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = append(b.last, info)
	if len(b.last) > keepLast {
		b.last = b.last[len(b.last)-keepLast:]
	}
	for ch := range b.subs {
		select {
		case ch <- d:
		default: // a slow reader misses decisions, never blocks the door
		}
	}
}

// recent is the last decisions with their times in loc.
func (b *bus) recent(loc *time.Location) []control.DecisionInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]control.DecisionInfo, len(b.last))
	copy(out, b.last)
	for i := range out {
		out[i].At = out[i].At.In(loc)
	}
	return out
}
