package uplink

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/downlink"

	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/wire"
)

// The verified signed bundle is kept as the store's policy blob: after a
// restart its policy applies at once and its ETag makes the first poll a
// cheap 304.

// downlinkLoop polls the bundle every PollInterval; after a failure it
// waits the longer of the backoff and the poll interval.
func (u *Uplink) downlinkLoop(ctx context.Context) {
	rp := u.newRetryPolicy()
	for {
		err := u.pollBundle(ctx)
		if ctx.Err() != nil {
			return
		}
		d := u.opts.PollInterval
		if err != nil {
			u.failed("bundle", err)
			d = max(d, rp.next(err))
		} else {
			rp.reset()
		}
		if !u.wait(ctx, d) {
			return
		}
	}
}

// pollBundle fetches the bundle once and applies it when it changed.
func (u *Uplink) pollBundle(ctx context.Context) error {
	id := u.ident()
	u.mu.Lock()
	etag := u.etag
	refresh := u.signedTime.IsZero() || time.Since(u.signedTime) >= u.opts.TimeRefresh
	u.mu.Unlock()
	hdr := http.Header{}
	if etag != "" && !refresh {
		hdr.Set("If-None-Match", etag)
	}
	resp, err := u.do(ctx, http.MethodGet, "/v1/devices/"+url.PathEscape(id)+"/bundle"+u.healthQuery(ctx), nil, hdr, wire.MaxBundleBytes)
	if err != nil {
		var he *httpError
		if errors.As(err, &he) && he.refusedDevice() {
			u.setRefused(ctx, he)
		}
		return err
	}
	u.clearRefused(ctx)
	now := u.opts.Clock.Now()
	if resp.status == http.StatusNotModified {
		u.touch(ctx, now)
		u.succeeded()
		return nil
	}
	return u.applyBundle(ctx, resp.body, resp.header.Get("ETag"), now, resp.rtt, true)
}

// touch records that the collector confirmed the trust data in force, so
// its age counts from now.
func (u *Uplink) touch(ctx context.Context, now time.Time) {
	changed := false
	for _, kind := range []string{downlink.KindTrustList, downlink.KindRevocations, downlink.KindPolicy} {
		err := u.opts.Store.TouchBlob(ctx, kind, now)
		switch {
		case err == nil:
			changed = changed || kind != downlink.KindPolicy
		case !errors.Is(err, store.ErrNotFound):
			u.log.Warn("uplink: touch downlink data", "kind", kind, "err", err)
		}
	}
	if changed && u.opts.Trust != nil {
		if err := u.opts.Trust.Reload(ctx); err != nil {
			u.log.Warn("uplink: reload trust data", "err", err)
		}
	}
}

// applyBundle verifies a signed bundle and applies it: trust list,
// revocations, then the bundle itself (policy and ETag) last, so a crash in
// between makes the next poll fetch it all again rather than answer 304.
// fresh is false for the copy read back from the store at start.
func (u *Uplink) applyBundle(ctx context.Context, data []byte, etag string, now time.Time, rtt time.Duration, fresh bool) error {
	b, err := wire.OpenBundle(data, u.opts.CollectorKey)
	if err != nil {
		return fmt.Errorf("uplink: bundle refused: %w", err)
	}
	u.mu.Lock()
	id, venue := u.deviceID, u.venue
	u.mu.Unlock()
	if b.Device != id || b.Venue != venue {
		return fmt.Errorf("uplink: bundle for device %q at venue %q, this is %q at %q", b.Device, b.Venue, id, venue)
	}
	if etag == "" {
		etag = `"` + b.Revision + `"`
	}
	if fresh {
		// Time first: it holds even if the lists below are refused.
		u.anchorClock(ctx, b.ServerTime, now, rtt)
		if u.opts.Trust != nil {
			if len(b.TrustList) > 0 {
				if err := u.opts.Trust.InstallTrustList(ctx, b.TrustList, etag, now); err != nil {
					return fmt.Errorf("uplink: install trust list: %w", err)
				}
			}
			if len(b.Revocations) > 0 {
				if err := u.opts.Trust.InstallRevocations(ctx, b.Revocations, etag, now); err != nil {
					return fmt.Errorf("uplink: install revocations: %w", err)
				}
			}
		}
		err := u.opts.Store.PutBlob(ctx, downlink.KindPolicy, revisionNumber(b.Revision), data, etag, now)
		if err != nil {
			return fmt.Errorf("uplink: store bundle: %w", err)
		}
	}
	if u.opts.ApplyPolicy != nil {
		u.opts.ApplyPolicy(venuePolicy(b.Policy))
	}
	u.mu.Lock()
	u.etag = etag
	u.mu.Unlock()
	if fresh {
		u.succeeded()
		u.log.Info("uplink: bundle applied", "revision", b.Revision, "mode", b.Policy.Mode)
	}
	return nil
}

// revisionNumber is the collector's revision counter: the part of the
// revision before the first dash, or 0.
func revisionNumber(rev string) int64 {
	n, _, _ := strings.Cut(rev, "-")
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// loadStoredBundle applies the bundle kept from an earlier run, verified
// again (the store is not trusted more than the network).
func (u *Uplink) loadStoredBundle(ctx context.Context) {
	bl, err := u.opts.Store.Blob(ctx, downlink.KindPolicy)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err == nil {
		err = u.applyBundle(ctx, bl.Data, bl.ETag, bl.FetchedAt, 0, false)
	}
	if err != nil {
		u.log.Warn("uplink: stored bundle unusable; fetching a new one", "err", err)
	}
}

// anchorClock compares the collector's signed time with the device clock.
// serverTime was stamped about rtt/2 before the answer arrived at local
// wall time now. When they agree the clock is confirmed; when not, the
// clock is stepped if the daemon allows it. Either way the records of this
// boot made before the clock was trusted get a corrected time from their
// monotonic clock.
func (u *Uplink) anchorClock(ctx context.Context, serverTime, now time.Time, rtt time.Duration) {
	if serverTime.IsZero() {
		return
	}
	mono, err := u.opts.SinceBoot()
	if err != nil {
		u.log.Warn("uplink: read monotonic clock", "err", err)
		return
	}
	truth := serverTime.Add(rtt / 2)
	off := truth.Sub(now)
	u.mu.Lock()
	u.signedTime = time.Now()
	u.mu.Unlock()
	synced := absDur(off) <= u.opts.ClockTolerance+rtt/2
	if !synced && u.opts.StepClock != nil {
		if err := u.opts.StepClock(truth); err != nil {
			u.log.Warn("uplink: set the clock from the collector's time", "err", err, "offset", off)
		} else {
			u.log.Info("uplink: clock set from the collector's time", "offset", off)
			synced = true
		}
	}
	if synced {
		if u.opts.Sync != nil {
			u.opts.Sync.MarkSynced()
		}
	} else {
		u.log.Warn("uplink: device clock differs from the collector's", "offset", off)
	}
	n, err := u.opts.Store.CorrectClock(ctx, u.opts.BootID, store.ClockAnchor{Mono: mono, Wall: truth})
	if err != nil {
		u.log.Warn("uplink: correct record times", "err", err)
		return
	}
	if n > 0 {
		u.log.Info("uplink: corrected the times of records made before the clock was confirmed", "records", n, "offset", off)
	}
}

// venuePolicy reads the collector's venue policy into the device's shape.
// The bundle's fail_open (admit on stale trust data) is not the device's
// fail-open (admit when the disk fails), which stays the device's own.
func venuePolicy(p wire.Policy) door.Policy {
	return door.Policy{
		LogOnly:         p.Mode == wire.ModeLogOnly,
		DuplicateWindow: time.Duration(p.DuplicateWindow),
		Categories:      p.Categories,
		CompanionWindow: time.Duration(p.CompanionWindow),
		MaxTrustAge:     time.Duration(p.MaxTrustAge),
		Capacity:        p.Capacity,
	}
}
