package display

import (
	"testing"
	"time"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/fonts"
)

// Every text the door can show has a glyph in the screen's fonts: no
// empty boxes on the framebuffer for a message staff must read.
func TestEveryScreenTextHasGlyphs(t *testing.T) {
	day := time.Date(2027, 1, 28, 0, 0, 0, 0, time.UTC)
	msgs := []Message{IdleMessage(), WarnMessage(day), RenewedMessage(day), RenewRefusedMessage()}
	for _, o := range []door.Outcome{door.Pass, door.AlreadyIn, door.Fail, door.Fault} {
		for _, r := range door.Reasons() {
			msgs = append(msgs, MessageFor(door.Decision{Outcome: o, Reason: r, Name: "王*英"}))
		}
	}
	for _, r := range door.Reasons() {
		msgs = append(msgs, RefusingMessage(r))
	}
	for _, m := range msgs {
		for _, l := range m.Lines {
			if missing := fonts.Missing(l); len(missing) > 0 {
				t.Errorf("%q: no glyph for %q", l, string(missing))
			}
		}
	}
}
