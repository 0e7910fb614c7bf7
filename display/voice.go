package display

import "github.com/scangate/scangate/door"

// Voice speaks a decision (the kiosk passes a voice.Voice). Say must
// return at once: a newer Say cuts the prompt still playing short, as a
// newer decision cuts the pattern. Close stops what still plays.
type Voice interface {
	Say(door.Decision)
	Close() error
}
