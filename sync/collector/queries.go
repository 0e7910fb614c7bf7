package collector

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // venue time zones resolve on a host without zoneinfo too

	"golang.org/x/text/width"

	"github.com/scangate/scangate/idcode"
)

// LoadZone resolves an IANA time zone name; "" is UTC. "Local" is refused:
// what a query means must not depend on the host the collector runs on.
func LoadZone(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return nil, fmt.Errorf("%w: time zone %q: name the zone, e.g. Asia/Shanghai", ErrBadRequest, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q is not an IANA zone name (e.g. Asia/Shanghai, Europe/Berlin)", ErrBadRequest, name)
	}
	return loc, nil
}

// normalise folds what people type into what parsers read: full-width
// digits, letters and punctuation from a Chinese input method, the other
// dashes, surrounding space.
func normalise(s string) string {
	s = width.Narrow.String(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '\u30fc':
			return '-'
		}
		return r
	}, s)
}

// ParseWhen reads a query time: an RFC 3339 time (2026-12-03T08:00:00+08:00,
// its own offset), a plain date (2026-12-03, also 2026/12/03 or 2026.12.3)
// or a date and time without offset (2026-12-03 08:00), both in loc; the
// date may also be written 2026年12月3日. A
// plain date as the end of a window (end) means the end of that day, so
// from 2026-12-03 to 2026-12-03 is the whole day.
func ParseWhen(s string, loc *time.Location, end bool) (time.Time, error) {
	in := normalise(s)
	if in == "" {
		return time.Time{}, fmt.Errorf("%w: time missing: want a date such as 2026-12-03 or a time such as 2026-12-03T08:00:00+08:00", ErrBadRequest)
	}
	var t time.Time
	var err error
	date := false
	// 2026年12月3日, as a date is written in Chinese.
	in = strings.NewReplacer("年", "-", "月", "-", "日", "").Replace(in)
	if t, err = time.Parse(time.RFC3339Nano, in); err != nil {
		ok := false
		for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
			if t, err = time.ParseInLocation(layout, in, loc); err == nil {
				ok = true
				break
			}
		}
		if !ok {
			if t, ok = parseDate(in, loc); !ok {
				return time.Time{}, fmt.Errorf("%w: time %q: want a date such as 2026-12-03 (in %s) or an RFC 3339 time such as 2026-12-03T08:00:00+08:00",
					ErrBadRequest, s, loc)
			}
			date = true
		}
	}
	if y := t.Year(); y < 1970 || y > 9999 {
		return time.Time{}, fmt.Errorf("%w: time %q: year %d out of range 1970..9999", ErrBadRequest, s, y)
	}
	if date && end {
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	}
	return t, nil
}

// parseDate reads YYYY-MM-DD with -, / or . between and one- or two-digit
// month and day, as spreadsheets write dates, at midnight in loc.
func parseDate(s string, loc *time.Location) (time.Time, bool) {
	var sep byte
	for _, c := range []byte{'-', '/', '.'} {
		if strings.Count(s, string(c)) == 2 {
			sep = c
			break
		}
	}
	if sep == 0 {
		return time.Time{}, false
	}
	parts := strings.Split(s, string(sep))
	var n [3]int
	for i, p := range parts {
		if len(p) == 0 || len(p) > 4 || i > 0 && len(p) > 2 {
			return time.Time{}, false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			n[i] = n[i]*10 + int(c-'0')
		}
	}
	if len(parts[0]) != 4 || n[1] < 1 || n[1] > 12 || n[2] < 1 {
		return time.Time{}, false
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, loc)
	if t.Day() != n[2] { // 2026-02-30 does not exist
		return time.Time{}, false
	}
	return t, true
}

// CardQuery is the card an administrator named: a full card id, or the
// number printed on the card (which more than one card may share).
type CardQuery struct {
	ID     string // hex card id, lower case (32 digits; 64 for a log-only venue's code pseudonym)
	Number string // the printed number as 8 lower-case hex digits
}

// ParseCardQuery reads a card as an administrator types it: the number
// printed on the card (76AC-E3FA, any case, the dash optional, full-width
// characters accepted) or the card id from a manifest or an export.
func ParseCardQuery(s string) (CardQuery, error) {
	in := strings.ToLower(normalise(s))
	in = strings.NewReplacer("-", "", " ", "").Replace(in)
	hex := in != ""
	for _, c := range in {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			hex = false
			break
		}
	}
	switch {
	case hex && len(in) == 8:
		return CardQuery{Number: in}, nil
	case hex && (len(in) == 32 || len(in) == 64):
		return CardQuery{ID: in}, nil
	}
	return CardQuery{}, fmt.Errorf("%w: card %q: want the number printed on the card (8 hex digits, e.g. 76AC-E3FA) or the card id (32 hex digits)",
		ErrBadRequest, s)
}

// PrintedNumber is how a card id is printed on the card (idcode.PrintedNumber).
func PrintedNumber(cardID string) string { return idcode.PrintedNumber(cardID) }
