package store

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func manual(at time.Time, card string) Checkin {
	return Checkin{At: at, ClockSynced: true, Source: "manual:s1", Decision: DecisionPass,
		Reason: "card will not scan", CardID: card, Category: "elder", Name: "王*英"}
}

// TestDeskRecords: a manual check-in and its undo are durable, queued for
// upload in the shape the uplink sends, audited in the same transaction,
// and the duplicate window counts the manual pass until it is undone.
func TestDeskRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scangate.db")
	s := openAt(t, path, Options{})
	card := "76ace3fa0123456789abcdef01234567"
	seq, err := s.RecordDesk(ctx, manual(t0, card), Ref{}, AuditEntry{Staff: "s1", Action: "manual", Detail: "venue desk"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.AdmittedSince(ctx, card, t0.Add(-time.Minute)); err != nil || !ok {
		t.Fatalf("manual pass in the duplicate window: %v, %v", ok, err)
	}
	undo := Checkin{At: t0.Add(time.Minute), ClockSynced: true, Source: "manual:s2", Decision: "undo",
		Reason: "undo d-1/" + s.Ledger() + "/1: wrong person", CardID: card, Category: "elder", Name: "王*英"}
	useq, err := s.RecordDesk(ctx, undo, Ref{s.Ledger(), seq}, AuditEntry{Staff: "s2", Action: "undo", Detail: "wrong person"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AdmittedSince(ctx, card, t0.Add(-time.Minute)); ok {
		t.Fatal("an undone pass still counts for the duplicate window")
	}
	if _, err := s.RecordDesk(ctx, undo, Ref{s.Ledger(), seq}, AuditEntry{Staff: "s2", Action: "undo"}); !errors.Is(err, ErrUndone) {
		t.Fatalf("second undo: %v, want ErrUndone", err)
	}
	if _, err := s.RecordDesk(ctx, undo, Ref{s.Ledger(), 99}, AuditEntry{Staff: "s2", Action: "undo"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("undo of nothing: %v, want ErrNotFound", err)
	}
	s.Close()

	s = openAt(t, path, Options{})
	recs, err := s.Outbox(ctx, 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Seq != seq || recs[1].Seq != useq {
		t.Fatalf("outbox after reopen: %+v", recs)
	}
	b, _ := json.Marshal(recs[0])
	var up map[string]any
	json.Unmarshal(b, &up)
	for k, want := range map[string]any{"source": "manual:s1", "decision": "pass", "reason": "card will not scan",
		"name": "王*英", "card_id": card, "ledger": s.Ledger()} {
		if up[k] != want {
			t.Errorf("uploaded %s = %v, want %v", k, up[k], want)
		}
	}
	if recs[1].Decision != "undo" || recs[1].Source != "manual:s2" || recs[1].Reason != undo.Reason {
		t.Errorf("undo uploaded as %+v", recs[1].Checkin)
	}
	if _, ok := up["undoes_seq"]; ok {
		t.Error("the local undo link is uploaded")
	}
	rows, err := s.Rows(ctx, t0, t0.Add(time.Hour), "")
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	if rows[1].Undoes != (Ref{s.Ledger(), seq}) || rows[0].Undoes != (Ref{}) {
		t.Errorf("undo link %+v / %+v", rows[0].Undoes, rows[1].Undoes)
	}
	log, err := s.AuditLog(ctx, t0.Add(-time.Hour), 100)
	if err != nil || len(log) != 2 {
		t.Fatalf("audit %+v, %v (refused undos must leave no line)", log, err)
	}
	if log[0].Staff != "s1" || log[0].Action != "manual" || log[0].Seq != seq || log[1].Seq != useq || log[1].Staff != "s2" {
		t.Errorf("audit %+v", log)
	}
}

func TestRowsByTimeAndNumber(t *testing.T) {
	s, _ := openTemp(t, Options{})
	cards := []string{"76ace3fa0000", "76ACE3FA1111", "11112222aaaa", ""}
	for i, c := range cards {
		if _, err := s.RecordCheckin(ctx, Checkin{At: t0.Add(time.Duration(i) * time.Hour), Decision: DecisionPass, CardID: c}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.Rows(ctx, t0, t0.Add(4*time.Hour), "")
	day, _ := s.Rows(ctx, t0.Add(time.Hour), t0.Add(3*time.Hour), "")
	num, _ := s.Rows(ctx, t0, t0.Add(4*time.Hour), "76ACE3FA")
	if len(all) != 4 || len(day) != 2 || day[0].CardID != cards[1] || len(num) != 2 {
		t.Fatalf("all %d, [1h,3h) %+v, by number %d", len(all), day, len(num))
	}
	// A corrected time is the one that counts: a check-in made while the
	// clock was a day behind is listed on the day it happened.
	if _, err := s.RecordCheckin(ctx, Checkin{At: t0.Add(-24 * time.Hour), BootID: "b", Mono: time.Minute, Decision: DecisionPass}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CorrectClock(ctx, "b", ClockAnchor{Mono: 0, Wall: t0.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Rows(ctx, t0, t0.Add(time.Hour), ""); len(got) != 2 || !got[1].Time().Equal(t0.Add(31*time.Minute)) {
		t.Fatalf("[t0, 1h) after correction: %+v", got)
	}
	if err := s.Audit(ctx, AuditEntry{Staff: "s1", Action: "export", Detail: "2026-03-01"}); err != nil {
		t.Fatal(err)
	}
	if log, _ := s.AuditLog(ctx, time.Time{}, 10); len(log) != 1 || log[0].Seq != 0 || log[0].Detail != "2026-03-01" {
		t.Fatalf("audit %+v", log)
	}
}

// The audit trail is kept as long as the check-ins it is about.
func TestDeskAuditRetention(t *testing.T) {
	s, _ := openTemp(t, Options{RetentionDays: 14})
	for _, at := range []time.Time{t0.AddDate(0, 0, -15), t0.AddDate(0, 0, -13)} {
		if err := s.Audit(ctx, AuditEntry{At: at, Staff: "s1", Action: "sign_in"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Purge(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if log, _ := s.AuditLog(ctx, time.Time{}, 10); len(log) != 1 || !log[0].At.Equal(t0.AddDate(0, 0, -13)) {
		t.Fatalf("after purge: %+v", log)
	}
}
