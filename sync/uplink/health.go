package uplink

import (
	"context"
	"time"

	"github.com/scangate/scangate/sync/wire"
)

// health is the report sent with a batch or a bundle request: the kiosk's
// part (Options.Health) with the uplink's own (outbox, clock offset, last
// error). Nil when the kiosk wired none, or the collector refused reports.
func (u *Uplink) health(ctx context.Context) *wire.Health {
	if u.opts.Health == nil || u.noHealth.Load() {
		return nil
	}
	h := u.opts.Health()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if ob, err := u.opts.Store.OutboxStats(ctx); err == nil {
		h.OutboxDepth = int64(ob.Depth)
		if !ob.Oldest.IsZero() {
			h.OutboxOldest = wire.Duration(max(u.opts.Clock.Now().Sub(ob.Oldest), 0))
		}
	} else if h.LastError == "" {
		h.LastError = "outbox: " + err.Error()
	}
	u.mu.Lock()
	// The uplink's offset is the collector's clock minus the device's.
	h.ClockOffsetMS, h.ClockMeasured = -u.offset.Milliseconds(), u.haveOffset
	if h.LastError == "" {
		h.LastError = u.lastError
	}
	u.mu.Unlock()
	h.LastError = wire.ShortError(h.LastError)
	if err := h.Check(); err != nil {
		u.log.Warn("uplink: health report not sent", "err", err)
		return nil
	}
	return &h
}

// healthQuery is the bundle request's query carrying the report, or "".
func (u *Uplink) healthQuery(ctx context.Context) string {
	h := u.health(ctx)
	if h == nil {
		return ""
	}
	q, err := wire.EncodeHealthParam(*h)
	if err != nil {
		u.log.Warn("uplink: health report not sent", "err", err)
		return ""
	}
	return "?" + wire.HealthParam + "=" + q
}
