package kiosk

import (
	"context"
	"sync"

	"github.com/scangate/scangate/door"
)

// memoSize bounds the admitted entries kept for the relay: far more than
// can wait in one pass window at one door.
const memoSize = 64

// entryMemo is the gate's ledger with a short memory of the admitted
// entries it recorded, so a not-entered record repeats the card, holder,
// name, category, group and reason of the check-in it marks.
type entryMemo struct {
	door.Ledger

	mu    sync.Mutex
	order []int64
	byseq map[int64]door.Entry
}

func newEntryMemo(l door.Ledger) *entryMemo {
	return &entryMemo{Ledger: l, byseq: map[int64]door.Entry{}}
}

// Record commits e through the ledger and remembers it when admitted.
func (m *entryMemo) Record(ctx context.Context, e door.Entry) (int64, error) {
	seq, err := m.Ledger.Record(ctx, e)
	if err != nil || (e.Outcome != door.Pass && e.Outcome != door.AlreadyIn) {
		return seq, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byseq[seq] = e
	m.order = append(m.order, seq)
	if len(m.order) > memoSize {
		delete(m.byseq, m.order[0])
		m.order = m.order[1:]
	}
	return seq, nil
}

// take returns and forgets the entry recorded as seq.
func (m *entryMemo) take(seq int64) (door.Entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byseq[seq]
	delete(m.byseq, seq)
	return e, ok
}
