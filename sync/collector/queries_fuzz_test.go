package collector_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/sync/collector"
)

// FuzzParseWhen: any text either parses to a time in 1970..9999 or is
// refused as a bad request; a plain date as a window's end is the next
// midnight, never before its start.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"2026-12-03", "2026/12/3", "2026.1.5", "2026-12-03 08:00", "2026-12-03T08:00:00+08:00",
		"２０２６－１２－０３", "2026-02-30", "yesterday", "", "0000-01-01", "9999-12-31", "2026-12-03T24:00:00Z"} {
		f.Add(s, "Asia/Shanghai")
	}
	f.Add("2026-03-29 02:30", "Europe/Berlin") // a time the clocks skip
	f.Fuzz(func(t *testing.T, s, zone string) {
		loc, err := collector.LoadZone(zone)
		if err != nil {
			loc = time.UTC
		}
		from, err := collector.ParseWhen(s, loc, false)
		if err != nil {
			if !errors.Is(err, collector.ErrBadRequest) {
				t.Fatalf("ParseWhen(%q) error %v is not a bad request", s, err)
			}
			return
		}
		if y := from.Year(); y < 1970 || y > 9999 {
			t.Fatalf("ParseWhen(%q) = %v out of range", s, from)
		}
		to, err := collector.ParseWhen(s, loc, true)
		if err != nil || to.Before(from) {
			t.Fatalf("as an end: %v, %v; as a start %v", to, err, from)
		}
	})
}

var hexID = regexp.MustCompile(`^([0-9a-f]{8}|[0-9a-f]{32}|[0-9a-f]{64})$`)

// FuzzParseCardQuery: what parses names exactly one of a number or an id,
// in canonical form; everything else is a bad request.
func FuzzParseCardQuery(f *testing.F) {
	for _, s := range []string{"76AC-E3FA", "76ace3fa", " 76AC E3FA ", "７６ＡＣ－Ｅ３ＦＡ", "76AC–E3FA", "76ace3fa00112233445566778899aabb",
		"76AC-E3FX", "76AC", "", "--------", strings.Repeat("a", 64), strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := collector.ParseCardQuery(s)
		if err != nil {
			if !errors.Is(err, collector.ErrBadRequest) {
				t.Fatalf("ParseCardQuery(%q) error %v is not a bad request", s, err)
			}
			return
		}
		if (q.ID == "") == (q.Number == "") || !hexID.MatchString(q.ID+q.Number) || q.Number != "" && len(q.Number) != 8 {
			t.Fatalf("ParseCardQuery(%q) = %+v", s, q)
		}
		if q.Number != "" && collector.PrintedNumber(q.Number) != strings.ToUpper(q.Number[:4]+"-"+q.Number[4:]) {
			t.Fatalf("PrintedNumber(%q) = %q", q.Number, collector.PrintedNumber(q.Number))
		}
	})
}

// The number parsed back from its printed form is the card id's prefix.
func TestPrintedNumberRoundTrip(t *testing.T) {
	id := "76ace3fa00112233445566778899aabb"
	n := collector.PrintedNumber(id)
	if n != "76AC-E3FA" {
		t.Fatalf("PrintedNumber = %q", n)
	}
	q, err := collector.ParseCardQuery(n)
	if err != nil || q.Number != id[:8] {
		t.Fatalf("ParseCardQuery(%q) = %+v, %v", n, q, err)
	}
}
