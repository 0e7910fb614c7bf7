package deskpage

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/internal/sheet"
	"github.com/scangate/scangate/statuspage"
	"github.com/scangate/scangate/store"
)

// Row is one check-in as the desk shows it.
type Row struct {
	Key, When, Name, Category string
	Decision, Reason, Number  string
	Staff                     string // who made it at the desk; "" for the door's own
	Manual, Undone, UndoEntry bool
}

// Day is a day's check-ins at the kiosk with its counts.
type Day struct {
	Rows        []Row
	Today, Hour int
	Refused     []ReasonCount
	Date, Now   string
}

// ReasonCount is how many were refused for one reason.
type ReasonCount struct {
	Reason string
	N      int
}

// notACheckin: records listed but not counted: a later "did not enter"
// note, an undo, and an exit (a source configured as an exit).
func notACheckin(decision string) bool {
	return decision == door.NotEntered.String() || decision == door.Undo.String() || decision == door.Exit.String()
}

// summarise turns rows (oldest first) into the desk's rows, newest first,
// and counts them: an undone check-in and the undo are listed, not
// counted; refused counts what the door refused, never "already in".
func summarise(rs []store.Row, device string, loc *time.Location, now time.Time, layout string) Day {
	undone := map[store.Ref]bool{}
	for _, r := range rs {
		if r.Undoes != (store.Ref{}) {
			undone[r.Undoes] = true
		}
	}
	hour := now.In(loc).Truncate(time.Hour)
	var d Day
	refused := map[string]int{}
	for _, r := range rs {
		row := Row{Key: key(device, r), When: r.Time().In(loc).Format(layout), Name: r.Name, Category: r.Category,
			Decision: r.Decision, Reason: r.Reason, Undone: undone[store.Ref{Ledger: r.Ledger, Seq: r.Seq}],
			UndoEntry: r.Decision == door.Undo.String()}
		row.Staff, row.Manual = strings.CutPrefix(r.Source, Source)
		if len(r.CardID) == 32 {
			row.Number = idcode.PrintedNumber(r.CardID)
		}
		d.Rows = append(d.Rows, row)
		if row.Undone || notACheckin(r.Decision) {
			continue
		}
		d.Today++
		if !r.Time().Before(hour) {
			d.Hour++
		}
		if r.Decision != door.Pass.String() && r.Decision != door.AlreadyIn.String() {
			refused[r.Reason]++
		}
	}
	slices.Reverse(d.Rows)
	for r, n := range refused {
		d.Refused = append(d.Refused, ReasonCount{r, n})
	}
	sort.Slice(d.Refused, func(i, j int) bool {
		if d.Refused[i].N != d.Refused[j].N {
			return d.Refused[i].N > d.Refused[j].N
		}
		return d.Refused[i].Reason < d.Refused[j].Reason
	})
	return d
}

// errForm is a form staff can correct; its text is shown to them.
type errForm struct{ msg string }

func (e errForm) Error() string { return e.msg }

func formError(format string, a ...any) error { return errForm{fmt.Sprintf(format, a...)} }

// ParseCardNumber reads the number printed on a card (76AC-E3FA, with or
// without the dash, any case, full-width digits too) or a whole card id
// (32 hex digits), and returns the id prefix to match, lower case.
func ParseCardNumber(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '０' && r <= '９':
			r = r - '０' + '0'
		case r >= 'Ａ' && r <= 'Ｆ':
			r = r - 'Ａ' + 'A'
		case r >= 'ａ' && r <= 'ｆ':
			r = r - 'ａ' + 'a'
		}
		switch {
		case r == '-' || r == ' ' || r == '－':
		case r >= '0' && r <= '9', r >= 'a' && r <= 'f', r >= 'A' && r <= 'F':
			b.WriteRune(r)
		default:
			return "", formError("凭证号只含数字和 A–F，如 76AC-E3FA / A card number has digits and A–F only, e.g. 76AC-E3FA")
		}
	}
	if n := b.Len(); n != 8 && n != 32 {
		return "", formError("凭证号是 8 位，如 76AC-E3FA / A card number has 8 digits, e.g. 76AC-E3FA")
	}
	return strings.ToLower(b.String()), nil
}

// ManualForm is a register-on-behalf form as staff sent it.
type ManualForm struct {
	Name     string // masked before it is kept
	Category string
	Reason   string
	Card     string // optional printed number of the person's card
}

// ParseManual checks a register-on-behalf form. The name is masked here,
// so a full name is never stored, shown or uploaded.
func ParseManual(name, category, reason, card string) (ManualForm, error) {
	f := ManualForm{Name: idcode.MaskName(strings.TrimSpace(name)), Category: category,
		Reason: strings.TrimSpace(reason), Card: strings.TrimSpace(card)}
	switch {
	case f.Name == "":
		return f, formError("请填写姓名 / The name is empty")
	case utf8.RuneCountInString(f.Name) > maxName:
		return f, formError("姓名过长（最多 %d 字）/ The name is longer than %d characters", maxName, maxName)
	case !slices.Contains(Categories, f.Category):
		return f, formError("请选择类别 / Choose a category")
	}
	if err := checkReason(f.Reason, maxReason); err != nil {
		return f, err
	}
	if f.Card != "" {
		if _, err := ParseCardNumber(f.Card); err != nil {
			return f, err
		}
	}
	return f, nil
}

// checkReason refuses an empty reason or one longer than room bytes (what
// the record's reason holds on the wire).
func checkReason(why string, room int) error {
	switch {
	case why == "":
		return formError("请填写原因 / The reason is empty")
	case !utf8.ValidString(why) || strings.ContainsAny(why, "\r\n"):
		return formError("原因只能是一行文字 / The reason must be one line of text")
	case len(why) > room:
		return formError("原因过长：最多约 %d 个汉字 / The reason is too long: at most %d letters", room/3, room)
	}
	return nil
}

// errNotUndoable: an undo, an undone check-in, or not one of today's.
var errNotUndoable = formError("这条记录不能撤销（已撤销、本身是撤销，或不是今天的）/ This check-in cannot be undone: already undone, an undo itself, or not today's")

// undoable finds today's check-in named by k that may be undone.
func (d *Desk) undoable(r *http.Request, k string) (store.Row, error) {
	ref, ok := parseKey(k)
	if !ok {
		return store.Row{}, errNotUndoable
	}
	from, to := dayOf(d.o.Clock.Now(), d.o.Location)
	rows, err := d.o.Ledger.Rows(r.Context(), from, to, "")
	if err != nil {
		return store.Row{}, err
	}
	var found *store.Row
	for i := range rows {
		if rows[i].Undoes == ref {
			return store.Row{}, errNotUndoable
		}
		if rows[i].Ledger == ref.Ledger && rows[i].Seq == ref.Seq {
			found = &rows[i]
		}
	}
	if found == nil || notACheckin(found.Decision) {
		return store.Row{}, errNotUndoable
	}
	return *found, nil
}

// answer shows a form error to staff, anything else as a store fault.
func (d *Desk) answer(w http.ResponseWriter, err error) {
	var fe errForm
	switch {
	case errors.As(err, &fe):
		d.message(w, http.StatusBadRequest, fe.msg)
	case errors.Is(err, store.ErrUndone), errors.Is(err, store.ErrNotFound):
		d.message(w, http.StatusConflict, errNotUndoable.Error())
	default:
		d.fail(w, err)
	}
}

func (d *Desk) handleManualPage(w http.ResponseWriter, r *http.Request, s statuspage.Session) {
	d.render(w, http.StatusOK, "manual.html", page{Staff: s.Account, CSRF: s.CSRF,
		D: map[string]any{"Categories": Categories, "Card": r.URL.Query().Get("card")}})
}

func (d *Desk) handleManual(w http.ResponseWriter, r *http.Request, s statuspage.Session) {
	f, err := ParseManual(r.PostFormValue("name"), r.PostFormValue("category"), r.PostFormValue("reason"), r.PostFormValue("card"))
	if err != nil {
		d.answer(w, err)
		return
	}
	now := d.o.Clock.Now()
	c := store.Checkin{At: now, ClockSynced: d.o.Synced(), Source: Source + s.Account.ID, Decision: door.Pass.String(),
		Reason: f.Reason, Category: f.Category, Name: f.Name}
	if f.Card != "" {
		// The person's card, when staff can read its number: the pass
		// then counts for the duplicate window like the door's own.
		if c.CardID, c.Holder, err = d.cardOf(r, f.Card, now); err != nil {
			d.answer(w, err)
			return
		}
	}
	seq, err := d.o.Ledger.RecordDesk(r.Context(), c, store.Ref{}, store.AuditEntry{At: now, Staff: s.Account.ID, Action: ActManual,
		Detail: "category " + f.Category})
	if err != nil {
		d.answer(w, err)
		return
	}
	d.o.Logger.Info("deskpage: manual check-in", "seq", seq)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// cardOf finds the one card with printed number n seen at this kiosk over
// the last lookupDays.
func (d *Desk) cardOf(r *http.Request, n string, now time.Time) (id, holder string, err error) {
	prefix, err := ParseCardNumber(n)
	if err != nil {
		return "", "", err
	}
	from, _ := dayOf(now.AddDate(0, 0, -lookupDays), d.o.Location)
	rows, err := d.o.Ledger.Rows(r.Context(), from, now.Add(time.Second), prefix)
	if err != nil {
		return "", "", err
	}
	cards := map[string]string{}
	for _, row := range rows {
		if len(row.CardID) == 32 {
			cards[row.CardID] = row.Holder
		}
	}
	switch len(cards) {
	case 0:
		return "", "", formError("近 %d 天本机没有见过凭证 %s；不填凭证号也可以登记 / No card numbered %s was seen here in %d days: register without the number", lookupDays, idcode.PrintedNumber(prefix), idcode.PrintedNumber(prefix), lookupDays)
	case 1:
		for id, h := range cards {
			return id, h, nil
		}
	}
	return "", "", formError("有 %d 张凭证是这个号码；不填凭证号也可以登记 / %d cards have this number: register without it", len(cards), len(cards))
}

func (d *Desk) handleUndoPage(w http.ResponseWriter, r *http.Request, s statuspage.Session) {
	k := r.URL.Query().Get("record")
	row, err := d.undoable(r, k)
	if err != nil {
		d.answer(w, err)
		return
	}
	shown := summarise([]store.Row{row}, d.o.Device(), d.o.Location, d.o.Clock.Now(), "15:04:05").Rows[0]
	d.render(w, http.StatusOK, "undo.html", page{Staff: s.Account, CSRF: s.CSRF, D: map[string]any{"Row": shown, "Key": k}})
}

func (d *Desk) handleUndo(w http.ResponseWriter, r *http.Request, s statuspage.Session) {
	k := r.PostFormValue("record")
	orig, err := d.undoable(r, k)
	if err != nil {
		d.answer(w, err)
		return
	}
	// The key names the kiosk as the collector knows it now.
	k = key(d.o.Device(), orig)
	why := strings.TrimSpace(r.PostFormValue("reason"))
	prefix := "undo " + k + ": "
	if err := checkReason(why, maxReason-len(prefix)); err != nil {
		d.answer(w, err)
		return
	}
	now := d.o.Clock.Now()
	c := store.Checkin{At: now, ClockSynced: d.o.Synced(), Source: Source + s.Account.ID, Decision: door.Undo.String(),
		Reason: prefix + why, CardID: orig.CardID, Holder: orig.Holder, Name: orig.Name, Category: orig.Category, Group: orig.Group}
	seq, err := d.o.Ledger.RecordDesk(r.Context(), c, store.Ref{Ledger: orig.Ledger, Seq: orig.Seq},
		store.AuditEntry{At: now, Staff: s.Account.ID, Action: ActUndo, Detail: k})
	if err != nil {
		d.answer(w, err)
		return
	}
	d.o.Logger.Info("deskpage: undo", "seq", seq, "undoes", orig.Seq)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// CSVHeader is the collector's export header (collector.VisitCSVHeader),
// so a day exported at the kiosk and at the collector read alike, and the
// source, which tells a manual check-in and its staff member.
var CSVHeader = []string{"time", "at", "corrected_at", "clock_synced", "venue", "device", "seq",
	"card_id", "holder", "name", "category", "group", "decision", "reason", "ledger", "card_number", "erased", "source"}

func (d *Desk) handleExport(w http.ResponseWriter, r *http.Request, s statuspage.Session) {
	on := r.URL.Query().Get("on")
	if on == "" {
		on = d.o.Clock.Now().In(d.o.Location).Format("2006-01-02")
	}
	format := r.URL.Query().Get("format")
	day, err := time.ParseInLocation("2006-01-02", on, d.o.Location)
	if err == nil && format != "" && format != "csv" && format != "xlsx" {
		d.answer(w, formError("导出格式为 csv 或 xlsx / The export format is csv or xlsx"))
		return
	}
	if err != nil {
		d.answer(w, formError("日期格式如 2026-12-04 / A date such as 2026-12-04"))
		return
	}
	from, to := dayOf(day, d.o.Location)
	rows, err := d.o.Ledger.Rows(r.Context(), from, to, "")
	if err != nil {
		d.fail(w, err)
		return
	}
	if err := d.o.Ledger.Audit(r.Context(), store.AuditEntry{At: d.o.Clock.Now(), Staff: s.Account.ID, Action: ActExport,
		Detail: on + ", " + strconv.Itoa(len(rows)) + " rows, " + cmp.Or(format, "csv")}); err != nil {
		d.fail(w, err) // an export nobody could trace is not given out
		return
	}
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.xlsx"`, safeFile(d.o.Kiosk), on))
		if err := WriteXLSX(w, rows, d.o.Venue(), d.o.Device(), d.o.Location, on); err != nil {
			d.o.Logger.Warn("deskpage: export", "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, safeFile(d.o.Kiosk), on))
	if err := WriteCSV(w, rows, d.o.Venue(), d.o.Device(), d.o.Location); err != nil {
		d.o.Logger.Warn("deskpage: export", "err", err)
	}
}

// WriteCSV writes rows after a UTF-8 BOM (Excel reads a file without one
// in the system's code page and garbles the names), times in loc with
// their offset, cells that a spreadsheet would run as a formula quoted.
func WriteCSV(w io.Writer, rows []store.Row, venue, device string, loc *time.Location) error {
	c, err := sheet.NewCSV(w)
	if err != nil {
		return fmt.Errorf("deskpage: %w", err)
	}
	c.Write(CSVHeader)
	for _, r := range rows {
		c.Write(fields(r, venue, device, loc))
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("deskpage: %w", err)
	}
	return nil
}

// WriteXLSX writes rows as one sheet called name with the CSV's columns.
func WriteXLSX(w io.Writer, rows []store.Row, venue, device string, loc *time.Location, name string) error {
	out := [][]string{CSVHeader}
	for _, r := range rows {
		out = append(out, fields(r, venue, device, loc))
	}
	return sheet.WriteXLSX(w, name, out)
}

// fields is a row as the columns of CSVHeader, unescaped: the one layout
// of both exports.
func fields(r store.Row, venue, device string, loc *time.Location) []string {
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339Nano) }
	corr, number := "", ""
	if !r.CorrectedAt.IsZero() {
		corr = ts(r.CorrectedAt)
	}
	if len(r.CardID) == 32 {
		number = idcode.PrintedNumber(r.CardID)
	}
	return []string{ts(r.Time()), ts(r.At), corr, strconv.FormatBool(r.ClockSynced), venue, device,
		strconv.FormatInt(r.Seq, 10), r.CardID, r.Holder, r.Name, r.Category, strconv.FormatInt(r.Group, 10),
		r.Decision, r.Reason, r.Ledger, number, "false", r.Source}
}

func safeFile(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, s)
	if s == "" {
		return "kiosk"
	}
	return s
}

func (d *Desk) handleAudit(w http.ResponseWriter, r *http.Request, s statuspage.Session) {
	from, _ := dayOf(d.o.Clock.Now(), d.o.Location)
	log, err := d.o.Ledger.AuditLog(r.Context(), from, 1000)
	if err != nil {
		d.fail(w, err)
		return
	}
	type line struct{ When, Staff, Action, Detail, Seq string }
	var lines []line
	for _, a := range log {
		l := line{When: a.At.In(d.o.Location).Format("15:04:05"), Staff: a.Staff, Action: a.Action, Detail: a.Detail}
		if a.Seq != 0 {
			l.Seq = strconv.FormatInt(a.Seq, 10)
		}
		lines = append(lines, l)
	}
	slices.Reverse(lines)
	d.render(w, http.StatusOK, "audit.html", page{Staff: s.Account, CSRF: s.CSRF, D: lines})
}
