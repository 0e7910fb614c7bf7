package uplink

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/wire"
)

// batchBytes is what the uplink asks of store.Outbox: the wire cap less
// room for the batch envelope and the difference between the store's and
// the wire's JSON of a record.
const batchBytes = wire.MaxBatchBytes - 16<<10

// drainLoop uploads until the outbox is empty, then waits for the next
// commit (or PollInterval, in case a signal was missed). After a failure it
// waits out the backoff and ignores commits: an offline device must not
// try once per check-in.
func (u *Uplink) drainLoop(ctx context.Context) {
	rp := u.newRetryPolicy()
	idle := u.opts.Clock.NewTimer(u.opts.PollInterval)
	defer idle.Stop()
	for {
		more, err := u.drainOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			u.failed("upload", err)
			if !u.wait(ctx, rp.next(err)) {
				return
			}
			continue
		}
		rp.reset()
		if more {
			continue
		}
		idle.Reset(u.opts.PollInterval)
		select {
		case <-ctx.Done():
			return
		case <-u.opts.Store.Committed():
		case <-idle.Chan():
		}
	}
}

// errNoProgress is a batch whose ack did not move.
var errNoProgress = errors.New("uplink: collector did not take the batch")

// drainOnce sends one batch. more is true when it sent a batch (the next
// call may find more).
func (u *Uplink) drainOnce(ctx context.Context) (more bool, err error) {
	recs, err := u.opts.Store.Outbox(ctx, u.opts.BatchRecords, batchBytes)
	if err != nil {
		return false, fmt.Errorf("uplink: read outbox: %w", err)
	}
	if len(recs) == 0 {
		return false, nil
	}
	mono, err := u.opts.SinceBoot()
	if err != nil {
		mono = 0 // the collector then anchors from the records' own boot, if known
	}
	// Every record of the batch is of one ledger, the oldest queued; all of
	// that ledger below the first was acknowledged or lost, so the first
	// seq less one is the floor.
	batch := wire.CheckinBatch{Version: wire.Version, Device: u.ident(), Ledger: recs[0].Ledger,
		Floor: uint64(recs[0].Seq - 1), BootID: u.opts.BootID, MonoNS: int64(mono), Recoveries: u.recoveries(ctx)}
	if batch.Purged, err = u.purged(ctx, batch.Ledger, batch.Floor); err != nil {
		return false, err
	}
	batch.Health = u.health(ctx)
	var body []byte
	for n := len(recs); ; n /= 2 {
		batch.Records = toWire(recs[:n], u)
		body, err = wire.EncodeBatch(batch)
		if err == nil || n == 1 {
			recs = recs[:n]
			break
		}
	}
	if err != nil {
		return false, fmt.Errorf("uplink: record %d cannot be sent: %w", recs[0].Seq, err)
	}
	resp, err := u.do(ctx, http.MethodPost, "/v1/checkins", body,
		http.Header{"Content-Encoding": {"gzip"}}, wire.MaxSmallBody)
	var he *httpError
	if batch.Health != nil && errors.As(err, &he) && he.status == http.StatusBadRequest && strings.Contains(he.message, `"health"`) {
		// A collector from before health reports refuses the field.
		u.log.Warn("uplink: the collector does not know health reports; sending none")
		u.noHealth.Store(true)
		return true, nil
	}
	if len(batch.Purged) > 0 && errors.As(err, &he) && he.status == http.StatusBadRequest && strings.Contains(he.message, `"purged"`) {
		// A collector from before purged ranges refuses the field: send
		// without, so the queue drains (it then counts the gap as lost).
		u.log.Warn("uplink: the collector does not know purged ranges; the gap they explain will show as lost", "ranges", len(batch.Purged))
		u.mu.Lock()
		u.noPurged = true
		u.mu.Unlock()
		return true, nil
	}
	if err != nil {
		if errors.As(err, &he) && he.refusedDevice() {
			u.setRefused(ctx, he)
		}
		return false, err
	}
	u.clearRefused(ctx)
	ack, err := wire.DecodeAck(resp.body)
	if err != nil {
		return false, fmt.Errorf("uplink: %w", err)
	}
	if ack.Device != batch.Device || ack.Ledger != batch.Ledger {
		return false, fmt.Errorf("uplink: ack for device %q ledger %q, sent as %q ledger %q", ack.Device, ack.Ledger, batch.Device, batch.Ledger)
	}
	if ack.Conflicts > 0 {
		// The collector kept them aside; an operator must look.
		u.mu.Lock()
		u.conflicts += ack.Conflicts
		u.mu.Unlock()
		u.log.Error("uplink: collector already held different check-ins under these seqs; it kept both",
			"conflicts", ack.Conflicts, "ledger", batch.Ledger)
	}
	first, last := recs[0].Seq, recs[len(recs)-1].Seq
	if ack.AckSeq+1 < uint64(first) {
		// The collector lacks records this device already deleted after an
		// earlier ack: its database lost data. Nothing here can resend them.
		return false, fmt.Errorf("uplink: collector holds only up to seq %d, the outbox starts at %d: the collector lost acknowledged check-ins", ack.AckSeq, first)
	}
	if ack.AckSeq < uint64(first) {
		return false, fmt.Errorf("%w (records %d..%d, ack %d)", errNoProgress, first, last, ack.AckSeq)
	}
	n, err := u.opts.Store.AckLedger(ctx, batch.Ledger, int64(ack.AckSeq))
	if err != nil {
		if errors.Is(err, store.ErrAckAhead) {
			return false, fmt.Errorf("uplink: collector acked seq %d this device never made: %w", ack.AckSeq, err)
		}
		return false, fmt.Errorf("uplink: ack: %w", err)
	}
	u.mu.Lock()
	u.uploaded += uint64(n)
	u.batches++
	u.mu.Unlock()
	u.succeeded()
	u.log.Debug("uplink: batch acked", "records", len(recs), "ack", ack.AckSeq, "rtt", resp.rtt)
	return true, nil
}

// purged returns the ledger's purged ranges at or below floor in wire
// form, at most wire.MaxPurgedRanges. Nothing at or below the floor is
// queued, so whatever lies between two such ranges was acknowledged: past
// the limit the rest fold into the last range, and the collector, which
// holds those acknowledged seqs, counts none of them as purged.
func (u *Uplink) purged(ctx context.Context, ledger string, floor uint64) ([]wire.SeqRange, error) {
	u.mu.Lock()
	off := u.noPurged
	u.mu.Unlock()
	if off {
		return nil, nil
	}
	rs, err := u.opts.Store.PurgedRanges(ctx, ledger, int64(floor))
	if err != nil {
		return nil, fmt.Errorf("uplink: read purged ranges: %w", err)
	}
	out := make([]wire.SeqRange, 0, min(len(rs), wire.MaxPurgedRanges))
	for _, r := range rs {
		if len(out) == wire.MaxPurgedRanges {
			out[len(out)-1].Hi = uint64(rs[len(rs)-1].Hi)
			break
		}
		out = append(out, wire.SeqRange{Lo: uint64(r.Lo), Hi: uint64(r.Hi)})
	}
	return out, nil
}

// recoveries returns the store's recoveries in wire form, newest last,
// within the wire's limit. A read error sends none: the batch matters more.
func (u *Uplink) recoveries(ctx context.Context) []wire.Recovery {
	rs, err := u.opts.Store.Recoveries(ctx)
	if err != nil {
		u.log.Warn("uplink: read recoveries", "err", err)
		return nil
	}
	if len(rs) > wire.MaxRecoveries {
		rs = rs[len(rs)-wire.MaxRecoveries:]
	}
	var out []wire.Recovery
	for _, r := range rs {
		w := wire.Recovery{At: r.At.UTC(), Ledger: r.Ledger, Salvaged: r.Salvaged, Lost: max(r.Lost, -1)}
		if w.Check() == nil {
			out = append(out, w)
		}
	}
	return out
}

// toWire converts outbox records, repairing what the collector would
// refuse: one unreadable record must not stall the queue behind it.
func toWire(recs []store.OutboxRecord, u *Uplink) []wire.Record {
	out := make([]wire.Record, len(recs))
	for i, r := range recs {
		w := wire.Record{
			Seq: uint64(r.Seq), At: r.At, BootID: r.BootID, MonoNS: int64(r.Mono), ClockSynced: r.ClockSynced,
			Source: r.Source, Decision: r.Decision, Reason: r.Reason, CardID: r.CardID, Holder: r.Holder,
			Category: r.Category, Group: r.Group, Name: r.Name,
		}
		if !r.CorrectedAt.IsZero() {
			c := r.CorrectedAt.UTC()
			w.CorrectedAt = &c
		}
		if w.Check() != nil {
			repair(&w)
			u.log.Warn("uplink: repaired a record the collector would refuse", "seq", r.Seq)
		}
		out[i] = w
	}
	return out
}

// repair makes w acceptable to wire.Record.Check, keeping what it can.
func repair(w *wire.Record) {
	clip := func(s string, n int) string {
		s = strings.ToValidUTF8(s, "\uFFFD")
		for len(s) > n {
			_, size := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-size]
		}
		return s
	}
	w.BootID, w.Source, w.CardID = clip(w.BootID, wire.MaxIDLen), clip(w.Source, wire.MaxIDLen), clip(w.CardID, wire.MaxIDLen)
	w.Holder, w.Category = clip(w.Holder, wire.MaxIDLen), clip(w.Category, wire.MaxIDLen)
	w.Reason, w.Name = clip(w.Reason, wire.MaxIDLen), clip(w.Name, wire.MaxTextLen)
	if w.Reason == "" {
		w.Reason = "unknown"
	}
	switch w.Decision {
	case wire.DecisionPass, wire.DecisionAlreadyIn, wire.DecisionFail, wire.DecisionFault, wire.DecisionNotEntered, wire.DecisionUndo,
		wire.DecisionExit, wire.DecisionFull:
	default:
		w.Decision = wire.DecisionFault
	}
	if w.MonoNS < 0 {
		w.MonoNS = 0
	}
	lo, hi := time.Unix(0, 0).UTC(), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	if w.At.Before(lo) || w.At.After(hi) {
		w.At = lo
	}
	if w.CorrectedAt != nil && (w.CorrectedAt.Before(lo) || w.CorrectedAt.After(hi)) {
		w.CorrectedAt = nil
	}
}
