package display

import (
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
)

// sayRecorder is a Voice that keeps what it was asked to say.
type sayRecorder struct {
	mu     sync.Mutex
	said   []door.Decision
	closed bool
}

func (s *sayRecorder) Say(d door.Decision) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.said = append(s.said, d)
}

func (s *sayRecorder) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *sayRecorder) get() ([]door.Decision, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]door.Decision(nil), s.said...), s.closed
}

// The voice hears every decision as its pattern starts, with its reason,
// a repeat says it again, and Close closes the voice.
func TestDisplaySaysEachDecision(t *testing.T) {
	v := &sayRecorder{}
	r := newRig(t, Config{Voice: v})
	expired := door.Decision{Outcome: door.Fail, Reason: door.ReasonExpired}
	r.d.Show(expired)
	r.waitTimer() // the pattern plays: the voice was asked first
	if said, _ := v.get(); len(said) != 1 || said[0].Reason != door.ReasonExpired || said[0].Outcome != door.Fail {
		t.Fatalf("said %+v, want the expired refusal", said)
	}
	r.d.Repeat()
	deadline := time.Now().Add(5 * time.Second)
	for said, _ := v.get(); len(said) < 2; said, _ = v.get() {
		if time.Now().After(deadline) {
			t.Fatalf("repeat did not speak again: %+v", said)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.d.Close(); err != nil {
		t.Fatal(err)
	}
	if said, closed := v.get(); !closed || said[1].Reason != door.ReasonExpired {
		t.Errorf("after Close: said %+v, closed %v", said, closed)
	}
}
