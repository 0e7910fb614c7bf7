// Package deskpage is the staff desk the kiosk serves on the venue's
// network (来访登记 / 代他人登记): today's check-ins from the kiosk's own
// ledger, counts, look-up by the printed card number, register on behalf,
// undo with a reason, export of a day as CSV, and an audit trail of every
// sign-in and action. It needs nothing beyond the kiosk, so it works while
// the venue is offline; what it records is uploaded like any check-in, in
// the encoding of the collector's desk (source manual:<staff id>, undo
// records "undo <device>/<ledger>/<seq>: <why>").
package deskpage

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/statuspage"
	"github.com/scangate/scangate/store"
)

// Ledger is the kiosk's store as the desk uses it.
type Ledger interface {
	Rows(ctx context.Context, from, to time.Time, cardPrefix string) ([]store.Row, error)
	RecordDesk(ctx context.Context, c store.Checkin, undoes store.Ref, a store.AuditEntry) (int64, error)
	Audit(ctx context.Context, a store.AuditEntry) error
	AuditLog(ctx context.Context, since time.Time, limit int) ([]store.AuditEntry, error)
	Ledger() string
}

// Options is the desk as the kiosk serves it.
type Options struct {
	Staff    []statuspage.Account // who may sign in; at least one
	Ledger   Ledger
	Location *time.Location // device.timezone: the venue's day and clock
	Kiosk    string         // device.name, shown in the heading
	// Venue is the kiosk's venue (enrolled, or device.venue), in the export.
	Venue func() string
	// Device is the kiosk's device id as the collector knows it (set at
	// enrollment), for the keys undo records name; "" before enrollment.
	Device func() string
	// Synced reports whether the wall clock is confirmed, as the gate
	// stamps its check-ins.
	Synced func() bool
	// Occupancy is people in now, as the gate counts it for its
	// capacity; nil (or a nil answer) when the kiosk has neither exits nor
	// a capacity, and the desk shows no such count.
	Occupancy func(ctx context.Context) *control.OccupancyStatus
	Clock     clock.Clock
	Logger    *slog.Logger
}

// Audit actions.
const (
	ActSignIn        = "sign_in"
	ActSignInRefused = "sign_in_refused"
	ActSignOut       = "sign_out"
	ActManual        = "manual"
	ActUndo          = "undo"
	ActExport        = "export"
)

const (
	cookieName = "scangate_desk"
	// Source is how a desk record names its staff member: the same as
	// the collector's desk, so both read each other's records alike.
	Source = "manual:"
	// refresh: the list reloads itself; a meta refresh needs no script.
	refresh = 15
	// lookupDays is how far back a card number look-up reaches.
	lookupDays = 30
	// maxReason is what a record's reason may hold on the wire
	// (wire.MaxIDLen): an undo's key and the typed why share it.
	maxReason = 128
	maxName   = 64 // runes, as the collector's desk
	maxForm   = 8 << 10
)

// Categories are those staff may register: every card category.
var Categories = idcode.Categories()

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"cat": categoryText, "decision": decisionText,
	"rowsOf": func(rows []Row, undo bool, csrf string) map[string]any {
		return map[string]any{"Rows": rows, "Undo": undo, "CSRF": csrf}
	},
}).ParseFS(templateFS, "templates/*.html"))

// Desk is the staff desk's HTTP handler.
type Desk struct {
	o        Options
	sessions *statuspage.Sessions
	mux      *http.ServeMux
}

// New checks o and builds the desk.
func New(o Options) (*Desk, error) {
	if len(o.Staff) == 0 {
		return nil, errors.New("deskpage: no staff account")
	}
	if o.Ledger == nil || o.Location == nil {
		return nil, errors.New("deskpage: a ledger and a time zone are needed")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Device == nil {
		o.Device = func() string { return "" }
	}
	if o.Venue == nil {
		o.Venue = func() string { return "" }
	}
	if o.Synced == nil {
		o.Synced = func() bool { return false }
	}
	ss, err := statuspage.NewSessions(cookieName, o.Staff, o.Clock, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("deskpage: %w", err)
	}
	d := &Desk{o: o, sessions: ss, mux: http.NewServeMux()}
	d.mux.HandleFunc("GET /{$}", d.signedIn(d.handleDay))
	d.mux.HandleFunc("GET /manual", d.signedIn(d.handleManualPage))
	d.mux.HandleFunc("POST /manual", d.signedIn(d.handleManual))
	d.mux.HandleFunc("GET /undo", d.signedIn(d.handleUndoPage))
	d.mux.HandleFunc("POST /undo", d.signedIn(d.handleUndo))
	d.mux.HandleFunc("GET /export", d.signedIn(d.handleExport))
	d.mux.HandleFunc("GET /audit", d.signedIn(d.handleAudit))
	d.mux.HandleFunc("POST /logout", d.signedIn(d.handleLogout))
	d.mux.HandleFunc("GET /login", d.handleLoginPage)
	d.mux.HandleFunc("POST /login", d.handleLogin)
	return d, nil
}

// ServeHTTP serves the desk: nothing cached, no script at all.
func (d *Desk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	statuspage.NoStore(w.Header())
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	d.mux.ServeHTTP(w, r)
}

// signedIn runs h for a live session only, and for a POST only with the
// session's CSRF token in the form.
func (d *Desk) signedIn(h func(http.ResponseWriter, *http.Request, statuspage.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := d.sessions.Current(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			d.message(w, http.StatusUnauthorized, "请先登录 / Sign in first")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !s.ValidCSRF(r.PostFormValue("csrf")) {
				d.message(w, http.StatusForbidden, "表单已过期，请返回重试 / The form expired or is not ours: go back and try again")
				return
			}
		}
		h(w, r, s)
	}
}

// page is what every template gets.
type page struct {
	Staff   statuspage.Account
	CSRF    string
	Kiosk   string
	Refresh int
	Error   string
	D       any
}

func (d *Desk) render(w http.ResponseWriter, status int, name string, p page) {
	p.Kiosk = d.o.Kiosk
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, p); err != nil {
		d.o.Logger.Warn("deskpage: render", "page", name, "err", err)
	}
}

func (d *Desk) message(w http.ResponseWriter, status int, msg string) {
	d.render(w, status, "message.html", page{Error: msg})
}

func (d *Desk) audit(ctx context.Context, staff, action, detail string) {
	if err := d.o.Ledger.Audit(ctx, store.AuditEntry{At: d.o.Clock.Now(), Staff: staff, Action: action, Detail: detail}); err != nil {
		d.o.Logger.Error("deskpage: audit", "action", action, "err", err)
	}
}

func (d *Desk) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, http.StatusOK, "login.html", page{})
}

func (d *Desk) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	id := strings.TrimSpace(r.PostFormValue("id"))
	s, err := d.sessions.SignIn(w, r, id, r.PostFormValue("password"))
	switch {
	case errors.Is(err, statuspage.ErrLocked):
		// Not audited: the five failures that paused sign-in are, and a
		// flood of tries while paused must not fill the kiosk's card.
		d.render(w, http.StatusTooManyRequests, "login.html", page{Error: "尝试次数过多，请一分钟后再试 / Too many tries: wait a minute"})
	case err != nil:
		// The id typed may be anyone's name: it is not kept.
		d.audit(r.Context(), "", ActSignInRefused, "wrong id or password")
		d.render(w, http.StatusUnauthorized, "login.html", page{Error: "工号或密码错误 / Wrong staff id or password"})
	default:
		d.audit(r.Context(), s.Account.ID, ActSignIn, r.RemoteAddr)
		d.o.Logger.Info("deskpage: staff signed in") // who is in the audit trail
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

func (d *Desk) handleLogout(w http.ResponseWriter, r *http.Request, s statuspage.Session) {
	d.sessions.SignOut(w, r)
	d.audit(r.Context(), s.Account.ID, ActSignOut, "")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// dayOf is the venue's day containing t: [midnight, next midnight).
func dayOf(t time.Time, loc *time.Location) (time.Time, time.Time) {
	l := t.In(loc)
	from := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	return from, time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

func (d *Desk) handleDay(w http.ResponseWriter, r *http.Request, s statuspage.Session) {
	now := d.o.Clock.Now()
	from, to := dayOf(now, d.o.Location)
	rows, err := d.o.Ledger.Rows(r.Context(), from, to, "")
	if err != nil {
		d.fail(w, err)
		return
	}
	day := summarise(rows, d.o.Device(), d.o.Location, now, "15:04:05")
	day.Date, day.Now = from.Format("2006-01-02"), now.In(d.o.Location).Format("15:04:05")
	data := map[string]any{"Day": day}
	if d.o.Occupancy != nil {
		if o := d.o.Occupancy(r.Context()); o != nil {
			data["Occupancy"] = o
		}
	}
	p := page{Staff: s.Account, CSRF: s.CSRF, D: data}
	if q := r.URL.Query().Get("card"); q != "" {
		data["Card"] = q
		found, err := d.lookup(r.Context(), q, now)
		if err != nil {
			p.Error = err.Error()
		} else {
			data["Lookup"] = found
		}
	} else {
		p.Refresh = refresh // a look-up stays put: a reload would lose it
	}
	d.render(w, http.StatusOK, "day.html", p)
}

// fail answers a store error without its detail (which may name a card).
func (d *Desk) fail(w http.ResponseWriter, err error) {
	d.o.Logger.Error("deskpage: ledger", "err", err)
	d.message(w, http.StatusServiceUnavailable, "记录暂时无法读写，请找技术人员 / The kiosk's records cannot be read or written now: call the technician")
}

// lookup lists this kiosk's check-ins of the cards with a printed number
// over the last lookupDays, newest first.
func (d *Desk) lookup(ctx context.Context, q string, now time.Time) ([]Row, error) {
	prefix, err := ParseCardNumber(q)
	if err != nil {
		return nil, err
	}
	from, _ := dayOf(now.AddDate(0, 0, -lookupDays), d.o.Location)
	_, to := dayOf(now, d.o.Location)
	rows, err := d.o.Ledger.Rows(ctx, from, to, prefix)
	if err != nil {
		return nil, fmt.Errorf("记录暂时无法读取 / The records cannot be read now: %w", errLedger)
	}
	return summarise(rows, d.o.Device(), d.o.Location, now, "2006-01-02 15:04").Rows, nil
}

var errLedger = errors.New("ledger unavailable")

// key is how a check-in is named in undo records and the page:
// device/ledger/seq, as the collector names it.
func key(device string, row store.Row) string {
	return device + "/" + row.Ledger + "/" + strconv.FormatInt(row.Seq, 10)
}

// parseKey reads a key back; only the ledger and seq are the kiosk's to
// check, the device being whatever the kiosk was called when it was made.
func parseKey(k string) (store.Ref, bool) {
	i := strings.LastIndexByte(k, '/')
	if i < 0 {
		return store.Ref{}, false
	}
	seq, err := strconv.ParseInt(k[i+1:], 10, 64)
	rest := k[:i]
	j := strings.LastIndexByte(rest, '/')
	if err != nil || seq <= 0 || j < 0 {
		return store.Ref{}, false
	}
	return store.Ref{Ledger: rest[j+1:], Seq: seq}, true
}

func categoryText(c string) string {
	switch c {
	case "elder":
		return "老人 / elder"
	case "child":
		return "儿童 / child"
	case "companion":
		return "陪同 / companion"
	case "staff":
		return "工作人员 / staff"
	}
	return c
}

func decisionText(dec string) string {
	switch dec {
	case door.Pass.String():
		return "通过 / pass"
	case door.AlreadyIn.String():
		return "已登记 / already in"
	case door.Fail.String():
		return "拒绝 / refused"
	case door.Fault.String():
		return "设备故障 / device fault"
	case door.NotEntered.String():
		return "未进入 / did not enter"
	case door.Undo.String():
		return "撤销 / undo"
	case door.Exit.String():
		return "离开 / exit"
	case door.Full.String():
		return "已满 / venue full"
	}
	return dec
}
