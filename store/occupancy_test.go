package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func at(i int, decision, reason, card string) Checkin {
	c := sample(i)
	c.Decision, c.Reason, c.CardID = decision, reason, card
	return c
}

// TestPeopleIn: passes (manual ones too) count in, not_entered of a pass
// and exits count out, already-in, already-exited, refusals and undone
// records do not, nor an exit or not_entered of a card that did not pass
// since then; the count starts at since and is the same from the file
// after a reopen.
func TestPeopleIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scangate.db")
	s := openAt(t, path, Options{})
	want := func(since time.Time, n int) {
		t.Helper()
		got, err := s.PeopleIn(ctx, since)
		if err != nil || got != n {
			t.Fatalf("PeopleIn(%v) = %d, %v; want %d", since, got, err, n)
		}
	}
	want(t0, 0)
	record(t, s, at(0, DecisionPass, "pass", "a"))
	record(t, s, at(1, DecisionPass, "pass", "b"))
	record(t, s, at(2, "already", "already_checked_in", "a"))
	record(t, s, at(3, "fail", "revoked", "c"))
	record(t, s, at(4, "full", "venue_full", "d"))
	want(t0, 2)
	want(t0.Add(time.Second), 1) // a's pass is before since
	record(t, s, at(5, DecisionPass, "logged", "e"))
	record(t, s, at(6, decisionNotEntered, "logged", "e"))
	record(t, s, at(7, decisionNotEntered, "already_checked_in", "a"))
	want(t0, 2)
	record(t, s, at(8, DecisionExit, "exit", "a"))
	record(t, s, at(9, DecisionExit, "already_exited", "a"))
	record(t, s, at(10, DecisionExit, "revoked", "b")) // a flagged exit still counts
	want(t0, 0)
	record(t, s, at(11, DecisionExit, "exit", "z")) // admitted yesterday
	want(t0, 0)
	m := manual(t0.Add(12*time.Second), "m")
	mseq, err := s.RecordDesk(ctx, m, Ref{}, AuditEntry{Staff: "s1", Action: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, at(13, DecisionPass, "pass", "f"))
	record(t, s, at(13, decisionNotEntered, "pass", "y")) // its pass was yesterday
	want(t0, 2)
	undo := Checkin{At: t0.Add(14 * time.Second), ClockSynced: true, Source: "manual:s1", Decision: "undo",
		Reason: fmt.Sprintf("undo desk/%s/%d: wrong person", s.Ledger(), mseq), CardID: "m"}
	if _, err := s.RecordDesk(ctx, undo, Ref{s.Ledger(), mseq}, AuditEntry{Staff: "s1", Action: "undo"}); err != nil {
		t.Fatal(err)
	}
	want(t0, 1)
	s.Close()
	s = openAt(t, path, Options{})
	want(t0, 1)
}

// TestExitAndDuplicateWindow: a card that left is no longer "already in",
// and a second exit with no pass between is already out.
func TestExitAndDuplicateWindow(t *testing.T) {
	s, _ := openTemp(t, Options{})
	check := func(what string, f func() (bool, error), want bool) {
		t.Helper()
		if got, err := f(); err != nil || got != want {
			t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
		}
	}
	admitted := func() (bool, error) { return s.AdmittedSince(ctx, "a", t0) }
	exited := func() (bool, error) { return s.ExitedSince(ctx, "a", t0) }
	check("admitted before anything", admitted, false)
	check("exited before anything", exited, false)
	record(t, s, at(0, DecisionExit, "exit", "a"))
	check("exited with no pass", exited, true)
	record(t, s, at(0, DecisionPass, "pass", "a")) // same instant: seq orders
	check("admitted", admitted, true)
	check("exited after a pass", exited, false)
	record(t, s, at(1, DecisionExit, "expired", "a"))
	check("admitted after leaving", admitted, false)
	check("exited", exited, true)
	record(t, s, at(2, DecisionExit, "already_exited", "a"))
	check("still out", exited, true)
	record(t, s, at(3, DecisionPass, "pass", "a"))
	check("back in", admitted, true)
	check("not out", exited, false)
	check("empty card", func() (bool, error) { return s.ExitedSince(ctx, "", t0) }, false)
}

// The day's count reads one range of the time index, never the whole
// table: it is asked for every entry while a capacity is set.
func TestPeopleInUsesTheTimeIndex(t *testing.T) {
	s, _ := openTemp(t, Options{})
	rows, err := s.r.Query(`EXPLAIN QUERY PLAN SELECT count(*) FROM checkins c
		WHERE coalesce(c.corrected_ns, c.at_ns) >= 1 AND c.decision IN ('pass', 'exit')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "checkins_by_time") {
		t.Fatalf("plan %q does not use the time index", p)
	}
}

// BenchmarkPeopleIn: a busy day (2000 rows) on top of 90 days of history.
func BenchmarkPeopleIn(b *testing.B) {
	s, _ := openTemp(b, Options{})
	day := 24 * time.Hour
	for d := 90; d >= 0; d-- {
		for i := 0; i < 2000; i += 20 { // history is sparse to keep the setup short
			c := sample(i)
			c.At = t0.Add(-time.Duration(d)*day + time.Duration(i)*time.Second)
			if d == 0 {
				for j := 0; j < 20; j++ {
					c.At = c.At.Add(time.Second)
					record(b, s, c)
				}
				continue
			}
			record(b, s, c)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n, err := s.PeopleIn(ctx, t0); err != nil || n != 2000 {
			b.Fatalf("%d %v", n, err)
		}
	}
}
