package webapp

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// The staff desk keeps what staff register by hand as check-ins of one
// device per venue, enrolled at the collector like a kiosk but with a key
// nobody holds: its records are stored, queried, exported and retained
// exactly as a kiosk's, and nothing can upload as it.
const (
	deskLedger   = "desk"
	deskSource   = "manual:" // + the staff member's user id
	decisionUndo = "undo"
	// deskRefresh is how often the list page reloads itself: a meta
	// refresh works under the CSP, which allows no script.
	deskRefresh = 15
	// lookupDays is how far back a card number look-up reaches.
	lookupDays = 30
)

// deskDevice is the device id of a venue's staff desk.
func deskDevice(venue string) string { return "desk-" + venue }

// deskCategories are the categories staff may register.
var deskCategories = idcode.Categories()

// mayDesk: staff at their own venues; administrators at any.
func mayDesk(u registry.User, venue string) bool {
	return u.Role == registry.RoleAdmin || u.Role == registry.RoleStaff && slices.Contains(u.Venues, venue)
}

// deskVenue resolves the venue of a desk request, refusing one the user
// is not bound to as not found (the same answer as no such venue).
func (a *App) deskVenue(r *request) (collector.Venue, *time.Location, error) {
	id := r.PathValue("venue")
	if !mayDesk(r.user, id) {
		return collector.Venue{}, nil, registry.ErrNotFound
	}
	v, err := a.cfg.Records.Venue(r.Context(), id)
	if err != nil {
		return v, nil, fmt.Errorf("webapp: desk venue: %w", err)
	}
	loc, err := collector.LoadZone(v.TimeZone)
	if err != nil {
		return v, nil, fmt.Errorf("webapp: venue time zone: %w", err)
	}
	return v, loc, nil
}

// deskRow is one check-in as the desk shows it.
type deskRow struct {
	Key                       string // device/ledger/seq, what undo names
	When, Name, Category      string
	Decision, Reason, Number  string
	Manual, Undone, UndoEntry bool
}

// deskDay is a day's check-ins at a venue with its counts.
type deskDay struct {
	Rows               []deskRow
	Today, Hour        int
	PeopleIn           int  // who is inside now, across the venue's kiosks
	Exits              bool // the venue recorded exits today: show PeopleIn
	Refused            []reasonCount
	Date, Refresh, Now string
}

type reasonCount struct {
	Reason string
	N      int
}

func visitKey(v collector.Visit) string {
	return v.Device + "/" + v.Ledger + "/" + strconv.FormatUint(v.Seq, 10)
}

// undoReason is the reason of an undo record: it names what it undoes
// first, so the record alone says which check-in no longer counts.
func undoReason(key, why string) string { return "undo " + key + ": " + why }

func undoneKey(v collector.Visit) (string, bool) {
	if v.Decision != decisionUndo {
		return "", false
	}
	rest, ok := strings.CutPrefix(v.Reason, "undo ")
	if !ok {
		return "", false
	}
	key, _, ok := strings.Cut(rest, ": ")
	return key, ok
}

// summarise turns visits into rows, newest first, and counts: an undone
// check-in and the undo records are listed but not counted.
func summarise(vs []collector.Visit, loc *time.Location, now time.Time, layout string) deskDay {
	undone := map[string]bool{}
	for _, v := range vs {
		if k, ok := undoneKey(v); ok {
			undone[k] = true
		}
	}
	hour := now.In(loc).Truncate(time.Hour)
	var d deskDay
	refused := map[string]int{}
	for _, v := range vs {
		k := visitKey(v)
		row := deskRow{Key: k, When: v.Time.In(loc).Format(layout), Name: v.Name, Category: v.Category,
			Decision: v.Decision, Reason: v.Reason, Undone: undone[k],
			Manual: v.Device == deskDevice(v.Venue) || strings.HasPrefix(v.Source, deskSource)}
		if len(v.CardID) == 32 {
			row.Number = collector.PrintedNumber(v.CardID)
		}
		_, row.UndoEntry = undoneKey(v)
		d.Rows = append(d.Rows, row)
		// An undo, an undone check-in, a later "did not enter" note and
		// an exit are listed but are not check-ins of their own.
		if row.UndoEntry || row.Undone || v.Decision == wire.DecisionNotEntered || v.Decision == wire.DecisionExit {
			continue
		}
		d.Today++
		if !v.Time.Before(hour) {
			d.Hour++
		}
		// Refused: the door said no (a bad card, the device, a full venue).
		// Already checked in is a yes.
		if v.Decision == wire.DecisionFail || v.Decision == wire.DecisionFault || v.Decision == wire.DecisionFull {
			refused[v.Reason]++
		}
	}
	d.PeopleIn, d.Exits = peopleIn(vs, undone)
	slices.Reverse(d.Rows)
	for r, n := range refused {
		d.Refused = append(d.Refused, reasonCount{r, n})
	}
	sort.Slice(d.Refused, func(i, j int) bool {
		if d.Refused[i].N != d.Refused[j].N {
			return d.Refused[i].N > d.Refused[j].N
		}
		return d.Refused[i].Reason < d.Refused[j].Reason
	})
	return d
}

// dayOf is the venue's day containing t: [midnight, next midnight).
func dayOf(t time.Time, loc *time.Location) (time.Time, time.Time) {
	l := t.In(loc)
	from := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	return from, time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

func (a *App) handleDesk(w http.ResponseWriter, r *request) {
	v, loc, err := a.deskVenue(r)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	now := a.cfg.Clock.Now()
	from, to := dayOf(now, loc)
	vs, err := a.cfg.Records.VisitsAtVenue(r.Context(), v.ID, from, to)
	if err != nil {
		a.fail(w, r.Request, &r.user, fmt.Errorf("webapp: desk visits: %w", err))
		return
	}
	day := summarise(vs, loc, now, "15:04:05")
	day.Date, day.Now = from.Format("2006-01-02"), now.In(loc).Format("15:04:05")
	d := map[string]any{"Venue": v, "Day": day}
	p := a.pageOf(r, "desk", d)
	if q := r.URL.Query().Get("card"); q != "" {
		// A look-up stays put: a reload would lose what staff read.
		found, err := a.lookup(r.Context(), v.ID, q, loc, now)
		if err != nil {
			p.Flash = translate(lang(r.Request), "bad_request") + strings.TrimPrefix(err.Error(), collector.ErrBadRequest.Error()+": ")
		} else {
			d["Lookup"], d["Card"] = found, q
		}
	} else {
		p.Refresh = deskRefresh
	}
	a.render(w, r.Request, http.StatusOK, "desk", p)
}

// lookup lists the check-ins at the venue of the cards with a printed
// number over the last lookupDays, newest first.
func (a *App) lookup(ctx context.Context, venue, q string, loc *time.Location, now time.Time) ([]deskRow, error) {
	cq, err := collector.ParseCardQuery(q)
	if err != nil {
		return nil, err
	}
	from, _ := dayOf(now.AddDate(0, 0, -lookupDays), loc)
	_, to := dayOf(now, loc)
	var vs []collector.Visit
	if cq.Number != "" {
		vs, err = a.cfg.Records.VisitsOfCardNumber(ctx, cq.Number, from, to)
	} else {
		vs, err = a.cfg.Records.VisitsOfCard(ctx, cq.ID, from, to)
	}
	if err != nil {
		return nil, fmt.Errorf("webapp: card look-up: %w", err)
	}
	// Staff see their venue only, whatever the card did elsewhere.
	vs = slices.DeleteFunc(vs, func(v collector.Visit) bool { return v.Venue != venue })
	return summarise(vs, loc, now, "2006-01-02 15:04").Rows, nil
}

func (a *App) handleManualPage(w http.ResponseWriter, r *request) {
	v, _, err := a.deskVenue(r)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.render(w, r.Request, http.StatusOK, "desk_manual", a.pageOf(r, "desk_manual", map[string]any{"Venue": v, "Categories": deskCategories}))
}

// maskTyped masks a name as typed, so the collector never keeps a full
// name from the desk. MaskName leaves a masked name (孙*兰) as it is, and a
// name with a * somewhere else (王秀英*) is masked too, not kept.
func maskTyped(s string) string { return idcode.MaskName(strings.TrimSpace(s)) }

// checkText refuses an empty or overlong field.
func checkText(field, s string, max int) error {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return fmt.Errorf("%w: %s is empty", errBadForm, field)
	case n > max:
		return fmt.Errorf("%w: %s has %d characters, at most %d", errBadForm, field, n, max)
	}
	return nil
}

func (a *App) handleManual(w http.ResponseWriter, r *request) {
	v, _, err := a.deskVenue(r)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	name, cat, why := maskTyped(r.PostFormValue("name")), r.PostFormValue("category"), strings.TrimSpace(r.PostFormValue("reason"))
	if err = checkText("name", name, 64); err == nil {
		err = checkText("reason", why, 200)
	}
	if err == nil && !slices.Contains(deskCategories, cat) {
		err = fmt.Errorf("%w: category %q", errBadForm, cat)
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	rec := wire.Record{Decision: wire.DecisionPass, Reason: why, Name: name, Category: cat}
	key, err := a.deskRecord(r, v.ID, rec)
	if err == nil {
		err = a.cfg.Store.Audit(r.Context(), r.user.ID, registry.ActDeskManual, key, v.ID)
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.log.Info("webapp: desk manual check-in", "venue", v.ID, "record", key)
	http.Redirect(w, r.Request, "/desk/"+v.ID, http.StatusSeeOther)
}

func (a *App) handleUndoPage(w http.ResponseWriter, r *request) {
	v, loc, err := a.deskVenue(r)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	row, err := a.undoable(r, v.ID, loc, r.URL.Query().Get("record"))
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.render(w, r.Request, http.StatusOK, "desk_undo", a.pageOf(r, "desk_undo", map[string]any{"Venue": v, "Row": row}))
}

// errNotUndoable: the check-in is an undo itself or already undone.
var errNotUndoable = fmt.Errorf("%w: this check-in is already undone or is an undo", errBadForm)

// undoable finds today's check-in key at the venue that may be undone.
func (a *App) undoable(r *request, venue string, loc *time.Location, key string) (collector.Visit, error) {
	from, to := dayOf(a.cfg.Clock.Now(), loc)
	vs, err := a.cfg.Records.VisitsAtVenue(r.Context(), venue, from, to)
	if err != nil {
		return collector.Visit{}, fmt.Errorf("webapp: desk visits: %w", err)
	}
	var found *collector.Visit
	for i := range vs {
		if k, ok := undoneKey(vs[i]); ok && k == key {
			return collector.Visit{}, errNotUndoable
		}
		if visitKey(vs[i]) == key {
			found = &vs[i]
		}
	}
	switch {
	case found == nil:
		return collector.Visit{}, fmt.Errorf("webapp: undo %q: %w", key, registry.ErrNotFound)
	case found.Decision == decisionUndo:
		return collector.Visit{}, errNotUndoable
	}
	return *found, nil
}

func (a *App) handleUndo(w http.ResponseWriter, r *request) {
	v, loc, err := a.deskVenue(r)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	why := strings.TrimSpace(r.PostFormValue("reason"))
	if err := checkText("reason", why, 200); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	key := r.PostFormValue("record")
	orig, err := a.undoable(r, v.ID, loc, key)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	// The undo is a record of its own: the check-in stays as it was.
	rec := wire.Record{Decision: decisionUndo, Reason: undoReason(key, why), CardID: orig.CardID, Holder: orig.Holder,
		Name: orig.Name, Category: orig.Category, Group: orig.Group}
	undo, err := a.deskRecord(r, v.ID, rec)
	if err == nil {
		err = a.cfg.Store.Audit(r.Context(), r.user.ID, registry.ActDeskUndo, key, undo)
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.log.Info("webapp: desk undo", "venue", v.ID, "record", undo)
	http.Redirect(w, r.Request, "/desk/"+v.ID, http.StatusSeeOther)
}

func (a *App) handleDeskExport(w http.ResponseWriter, r *request) {
	v, loc, err := a.deskVenue(r)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "csv" && format != "xlsx" {
		a.fail(w, r.Request, &r.user, fmt.Errorf("%w: format %q: want csv or xlsx", errBadForm, format))
		return
	}
	on := r.URL.Query().Get("on")
	if on == "" {
		on = a.cfg.Clock.Now().In(loc).Format("2006-01-02")
	}
	from, err := collector.ParseWhen(on, loc, false)
	var to time.Time
	if err == nil {
		to, _ = collector.ParseWhen(on, loc, true)
		if !to.After(from) { // a time, not a plain date
			err = fmt.Errorf("%w: on: want a date such as 2026-12-03", errBadForm)
		}
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, fmt.Errorf("%w: %v", errBadForm, err))
		return
	}
	vs, err := a.cfg.Records.VisitsAtVenue(r.Context(), v.ID, from, to)
	if err != nil {
		a.fail(w, r.Request, &r.user, fmt.Errorf("webapp: desk export: %w", err))
		return
	}
	day := from.Format("2006-01-02")
	if err := a.cfg.Store.Audit(r.Context(), r.user.ID, registry.ActDeskExport, v.ID, day); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	name := v.ID + "-" + day
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.xlsx"`, name))
		if err := writeVisitsXLSX(w, vs, loc, day); err != nil {
			a.log.Warn("webapp: desk export", "venue", v.ID, "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
	if err := collector.WriteVisitsCSV(w, vs, loc); err != nil {
		a.log.Warn("webapp: desk export", "venue", v.ID, "err", err)
	}
}

// deskRecord stores rec as the next check-in of the venue's desk and
// returns its key. Two desks racing for a seq meet as a conflict; the
// loser takes the next one.
func (a *App) deskRecord(r *request, venue string, rec wire.Record) (string, error) {
	ctx := r.Context()
	a.deskMu.Lock()
	defer a.deskMu.Unlock()
	d, err := a.deskDeviceOf(ctx, venue)
	if err != nil {
		return "", err
	}
	now := a.cfg.Clock.Now().UTC()
	rec.At, rec.ClockSynced, rec.Source, rec.BootID = now, true, deskSource+r.user.ID, deskLedger
	for range 5 {
		ls, err := a.cfg.Records.Ledgers(ctx, d.ID)
		if err != nil {
			return "", fmt.Errorf("webapp: desk ledger: %w", err)
		}
		var ack uint64
		for _, l := range ls {
			if l.Ledger == deskLedger {
				ack = l.AckSeq
			}
		}
		rec.Seq = ack + 1
		res, err := a.cfg.Records.InsertBatch(ctx, d, collector.Batch{Ledger: deskLedger, Floor: ack,
			Records: []collector.Checkin{{Device: d.ID, Venue: venue, Received: now, Record: rec}}, Now: now})
		if err != nil {
			return "", fmt.Errorf("webapp: desk check-in: %w", err)
		}
		if len(res.Conflicts) == 0 {
			return d.ID + "/" + deskLedger + "/" + strconv.FormatUint(rec.Seq, 10), nil
		}
	}
	return "", errors.New("webapp: desk check-in: seq taken five times")
}

// deskDeviceOf returns the venue's desk device, enrolling it the first
// time with a one-time token and a key that is thrown away.
func (a *App) deskDeviceOf(ctx context.Context, venue string) (collector.Device, error) {
	d, err := a.cfg.Records.Device(ctx, deskDevice(venue))
	if !errors.Is(err, collector.ErrNotFound) {
		if err != nil {
			return d, fmt.Errorf("webapp: desk device: %w", err)
		}
		return d, nil
	}
	var tok [32]byte
	rand.Read(tok[:])
	h := sha256.Sum256([]byte(hex.EncodeToString(tok[:])))
	now := a.cfg.Clock.Now().UTC()
	if err := a.cfg.Records.CreateEnrollToken(ctx, collector.EnrollToken{Hash: hex.EncodeToString(h[:]), Venue: venue,
		CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		return d, fmt.Errorf("webapp: desk device token: %w", err)
	}
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		return d, fmt.Errorf("webapp: desk device key: %w", err)
	}
	d, err = a.cfg.Records.Enroll(ctx, hex.EncodeToString(h[:]), collector.Device{ID: deskDevice(venue), PublicKey: pub, Hardware: "staff desk"}, now)
	if errors.Is(err, collector.ErrExists) { // another request enrolled it first
		d, err = a.cfg.Records.Device(ctx, deskDevice(venue))
	}
	if err != nil {
		return d, fmt.Errorf("webapp: desk device enroll: %w", err)
	}
	return d, nil
}
