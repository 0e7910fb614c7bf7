package door_test

import (
	"testing"
	"time"

	"github.com/scangate/scangate/door"
)

func TestWithVenueKeepsTheDevicesOwn(t *testing.T) {
	dev := door.Policy{FailOpen: true, MaxUnsynced: time.Hour, MaxTrustAge: 48 * time.Hour, DuplicateWindow: time.Minute}
	venue := door.Policy{LogOnly: true, DuplicateWindow: 5 * time.Minute, Categories: []string{"elder"}}
	got := dev.WithVenue(venue)
	if !got.FailOpen || got.MaxUnsynced != time.Hour || got.MaxTrustAge != 48*time.Hour ||
		!got.LogOnly || got.DuplicateWindow != 5*time.Minute || len(got.Categories) != 1 {
		t.Fatalf("%+v", got)
	}
	venue.MaxTrustAge = 7 * 24 * time.Hour
	if got := dev.WithVenue(venue); got.MaxTrustAge != 7*24*time.Hour {
		t.Fatalf("venue trust age not taken: %+v", got)
	}
}
