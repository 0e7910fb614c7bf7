package webapp

import (
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// peopleIn counts who is inside from a day's visits at a venue (oldest
// first), across all its kiosks and its desk: passes, manual ones too,
// less the passes a door relay marked not entered and less counted exits,
// each of a card that passed that day (at any kiosk: this is where an exit
// made at one kiosk meets the entry made at another). Undone records
// never count.
// exits says whether the venue recorded any exit that day: without exit
// readers the count only rises, and the desk does not show it.
func peopleIn(vs []collector.Visit, undone map[string]bool) (n int, exits bool) {
	passed := map[string]int{} // card id: passes not yet matched by an exit
	for _, v := range vs {
		if undone[visitKey(v)] {
			continue
		}
		switch v.Decision {
		case wire.DecisionPass:
			n++
			if v.CardID != "" {
				passed[v.CardID]++
			}
		case wire.DecisionNotEntered, wire.DecisionExit:
			exits = exits || v.Decision == wire.DecisionExit
			counted := v.Reason != string(door.ReasonAlreadyIn) && v.Reason != string(door.ReasonAlreadyOut)
			if counted && passed[v.CardID] > 0 {
				passed[v.CardID]--
				n--
			}
		}
	}
	return n, exits
}
