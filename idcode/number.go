package idcode

import "strings"

// PrintedNumber is how a card id is printed on the card: its first 8 hex
// digits in capitals, in two groups (76AC-E3FA). The collector's look-ups
// and the kiosk's staff desk both read it, so it lives here.
func PrintedNumber(cardID string) string {
	if len(cardID) < 8 {
		return strings.ToUpper(cardID)
	}
	id := strings.ToUpper(cardID[:8])
	return id[:4] + "-" + id[4:]
}
