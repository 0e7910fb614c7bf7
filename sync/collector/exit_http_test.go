package collector_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/collector/collectortest"
	"github.com/scangate/scangate/sync/wire"
)

// TestExitsAndFullOverHTTP: a kiosk's exits (counted, already exited,
// flagged) and its full-venue refusals are accepted and stored as they
// were decided; a venue's capacity is kept in its policy, and a negative
// one is refused.
func TestExitsAndFullOverHTTP(t *testing.T) {
	c := collectortest.Start(t, collectortest.Options{})
	c.CreateVenue(t, "v1")
	d := mustEnroll(t, c, "v1")
	recs := records(1, 2, 3, 4, 5)
	recs[1].Decision, recs[1].Reason, recs[1].CardID = wire.DecisionExit, "exit", recs[0].CardID
	recs[2].Decision, recs[2].Reason, recs[2].CardID = wire.DecisionExit, "already_exited", recs[0].CardID
	recs[3].Decision, recs[3].Reason = wire.DecisionExit, "revoked"
	recs[4].Decision, recs[4].Reason = wire.DecisionFull, "venue_full"
	if st, ack, b := d.post(t, gz(t, d.batch(recs))); st != http.StatusOK || ack != 5 {
		t.Fatalf("post: %d %d %s", st, ack, b)
	}
	vs, err := c.Backend.VisitsAtVenue(t.Context(), "v1", time.Now().Add(-24*time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(vs) != 5 {
		t.Fatalf("visits %d, %v", len(vs), err)
	}
	for i, v := range vs {
		if v.Seq != recs[i].Seq || v.Decision != recs[i].Decision || v.Reason != recs[i].Reason {
			t.Errorf("visit %d: %s/%s, want %s/%s", v.Seq, v.Decision, v.Reason, recs[i].Decision, recs[i].Reason)
		}
	}

	p := wire.DefaultPolicy()
	p.Capacity = 150
	if st := c.Admin(t, "PUT", "/v1/admin/venues/v1/policy", p, nil); st != http.StatusOK && st != http.StatusNoContent {
		t.Fatalf("set policy: %d", st)
	}
	var v collector.Venue
	if st := c.Admin(t, "GET", "/v1/admin/venues/v1", nil, &v); st != http.StatusOK || v.Policy.Capacity != 150 {
		t.Fatalf("venue: %d %+v", st, v.Policy)
	}
	p.Capacity = -1
	if st := c.Admin(t, "PUT", "/v1/admin/venues/v1/policy", p, nil); st != http.StatusBadRequest {
		t.Fatalf("negative capacity: %d", st)
	}
}
