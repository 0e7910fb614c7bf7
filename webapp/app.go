package webapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Issuer signs and revokes cards: the collector's Server, the one issuing
// path.
type Issuer interface {
	IssueCard(ctx context.Context, req collector.CardRequest) (collector.CardResponse, error)
	RevokeCard(ctx context.Context, cardID string) (int64, error)
}

// Records is what the pages read from and erase in the collector's
// records: a subset of collector.Backend.
type Records interface {
	Issuers(ctx context.Context) ([]collector.Issuer, error)
	VisitsOfCard(ctx context.Context, cardID string, from, to time.Time) ([]collector.Visit, error)
	Erase(ctx context.Context, e collector.Erasure) (collector.ErasureReport, error)

	// The staff desk reads a venue's day and keeps manual check-ins as
	// the records of a desk device of the venue.
	Venue(ctx context.Context, id string) (collector.Venue, error)
	VisitsAtVenue(ctx context.Context, venue string, from, to time.Time) ([]collector.Visit, error)
	VisitsOfCardNumber(ctx context.Context, number string, from, to time.Time) ([]collector.Visit, error)
	Device(ctx context.Context, id string) (collector.Device, error)
	CreateEnrollToken(ctx context.Context, t collector.EnrollToken) error
	Enroll(ctx context.Context, tokenHash string, d collector.Device, now time.Time) (collector.Device, error)
	Ledgers(ctx context.Context, device string) ([]collector.Ledger, error)
	InsertBatch(ctx context.Context, d collector.Device, b collector.Batch) (collector.IngestResult, error)
}

// Config is what an App needs.
type Config struct {
	Store   *registry.Store
	Issuer  Issuer
	Records Records
	Clock   clock.Clock  // nil: the real clock
	Logger  *slog.Logger // nil: slog.Default()
	// SessionTTL is how long a sign-in lasts; 0 means 12 hours.
	SessionTTL time.Duration
	// CardValidity is how long a card issued here is valid; 0 means a year.
	CardValidity time.Duration
	// TimeZone shows times on pages; nil is UTC.
	TimeZone *time.Location
}

// App is the web application's HTTP handler.
type App struct {
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux
	// deskMu makes this process's desks take seqs one at a time.
	deskMu sync.Mutex
}

// Cookie names. __Host- makes browsers insist on Secure, Path=/ and no
// Domain, so no other host or path can plant or read them.
const (
	sessionCookie = "__Host-scangate-session"
	preCookie     = "__Host-scangate-pre" // CSRF token of forms before sign-in
)

// Body limits.
const (
	maxFormBody  = 64 << 10
	maxPhotoBody = 10 << 20
)

// New parses the templates and returns an App.
func New(cfg Config) (*App, error) {
	if cfg.Store == nil || cfg.Issuer == nil || cfg.Records == nil {
		return nil, errors.New("webapp: store, issuer and records are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.CardValidity == 0 {
		cfg.CardValidity = 365 * 24 * time.Hour
	}
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.UTC
	}
	a := &App{cfg: cfg, log: cfg.Logger, pages: map[string]*template.Template{}}
	funcs := template.FuncMap{"t": translate, "dict": dict}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("webapp: templates: %w", err)
	}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("webapp: template %s: %w", n, err)
		}
		a.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	a.routes()
	return a, nil
}

// dict makes a map of key, value pairs, to hand a sub-template more than
// one value.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// Routes lists the path patterns the App serves, for the collector to
// mount beside its API.
func (a *App) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", a.handleHome)
	m.HandleFunc("GET /lang/{l}", a.handleLang)
	m.HandleFunc("GET /login", a.handleLoginPage)
	m.HandleFunc("POST /login", a.handleLogin)
	m.HandleFunc("GET /register", a.handleRegisterPage)
	m.HandleFunc("POST /register", a.handleRegister)
	m.HandleFunc("POST /logout", a.signedIn(a.handleLogout))
	m.HandleFunc("POST /logout-all", a.signedIn(a.handleLogoutAll))

	m.HandleFunc("GET /people", a.signedIn(a.handlePeople))
	m.HandleFunc("GET /people/new", a.signedIn(a.handleNewPersonPage))
	m.HandleFunc("POST /people/new", a.signedIn(a.handleNewPerson))
	m.HandleFunc("GET /people/{id}", a.signedIn(a.handlePerson))
	m.HandleFunc("GET /people/{id}/photo", a.signedIn(a.handlePhoto))
	m.HandleFunc("POST /people/{id}/photo", a.signedIn(a.handleSetPhoto))
	m.HandleFunc("POST /people/{id}/issue", a.signedIn(a.handleIssue))
	m.HandleFunc("GET /people/{id}/cards/{file}", a.signedIn(a.handleCardPDF))
	m.HandleFunc("POST /people/{id}/cards/{card}/lost", a.signedIn(a.handleLost))
	m.HandleFunc("POST /people/{id}/cards/{card}/revoke", a.signedIn(a.handleRevoke))
	m.HandleFunc("POST /people/{id}/doc-check", a.signedIn(a.handleDocCheck))
	m.HandleFunc("POST /people/{id}/erase", a.signedIn(a.handleErase))
	m.HandleFunc("POST /sheet", a.signedIn(a.handleSheet))

	m.HandleFunc("GET /invites", a.signedIn(a.handleInvitesPage))
	m.HandleFunc("POST /invites", a.signedIn(a.handleInvite))
	m.HandleFunc("GET /admin/users", a.signedIn(a.handleUsers))
	m.HandleFunc("POST /admin/users", a.signedIn(a.handleCreateUser))
	m.HandleFunc("GET /admin/audit", a.signedIn(a.handleAudit))
	a.fleetRoutes(m)

	m.HandleFunc("GET /desk/{venue}", a.signedIn(a.handleDesk))
	m.HandleFunc("GET /desk/{venue}/manual", a.signedIn(a.handleManualPage))
	m.HandleFunc("POST /desk/{venue}/manual", a.signedIn(a.handleManual))
	m.HandleFunc("GET /desk/{venue}/undo", a.signedIn(a.handleUndoPage))
	m.HandleFunc("POST /desk/{venue}/undo", a.signedIn(a.handleUndo))
	m.HandleFunc("GET /desk/{venue}/export", a.signedIn(a.handleDeskExport))
	a.mux = m
}

// ServeHTTP answers one request with the security headers every page
// carries.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	a.mux.ServeHTTP(w, r)
}

// Handles reports whether path belongs to the web application rather
// than the collector's API (/v1/...).
func Handles(path string) bool { return !strings.HasPrefix(path, "/v1/") }

// page is what every template gets.
type page struct {
	Lang, Title, CSRF, Path, Flash string
	User                           *registry.User
	D                              any
	Refresh                        int // seconds between reloads of a live page; 0: none
}

// request is a signed-in request.
type request struct {
	*http.Request
	sess registry.Session
	user registry.User
}

func (a *App) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Lang = lang(r)
	p.Path = r.URL.Path
	var buf bytes.Buffer
	if err := a.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		a.log.Error("webapp: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders an error page: registry and collector errors become the
// right status and a message in the page's language.
func (a *App) fail(w http.ResponseWriter, r *http.Request, u *registry.User, err error) {
	l := lang(r)
	status, msg := http.StatusInternalServerError, translate(l, "error")
	var we *wire.Error
	switch {
	case errors.Is(err, registry.ErrNotFound), errors.Is(err, collector.ErrNotFound):
		status, msg = http.StatusNotFound, translate(l, "not_found")
	case errors.Is(err, errForbidden):
		status, msg = http.StatusForbidden, translate(l, "forbidden")
	case errors.Is(err, registry.ErrBadRequest), errors.Is(err, registry.ErrExists), errors.Is(err, errBadForm):
		status, msg = http.StatusBadRequest, translate(l, "bad_request")+err.Error()
	case errors.As(err, &we) && we.Status < 500:
		status, msg = we.Status, translate(l, "bad_request")+we.Message
	default:
		a.log.Error("webapp: internal error", "route", r.Pattern, "err", err)
	}
	if status < 500 {
		a.log.Info("webapp: refused", "route", r.Pattern, "status", status)
	}
	back := "/"
	if u != nil && u.Role != registry.RoleStaff {
		back = "/people"
	}
	csrf, _ := r.Context().Value(csrfKey{}).(string)
	a.render(w, r, status, "message", page{Title: "error", User: u, CSRF: csrf, D: map[string]string{"Message": msg, "Back": back}})
}

var (
	errForbidden = errors.New("webapp: form token missing or wrong")
	errBadForm   = errors.New("webapp: bad form")
)

// csrfKey carries the session's CSRF token to error pages.
type csrfKey struct{}

// signedIn wraps a handler that needs a session; every POST must carry
// the session's CSRF token.
func (a *App) signedIn(h func(http.ResponseWriter, *request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		sess, u, err := a.cfg.Store.Session(r.Context(), c.Value)
		if errors.Is(err, registry.ErrNotFound) {
			clearCookie(w, sessionCookie)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err != nil {
			a.fail(w, r, nil, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), csrfKey{}, sess.CSRF))
		if r.Method == http.MethodPost {
			if err := a.parseForm(w, r); err != nil {
				a.fail(w, r, &u, err)
				return
			}
			if !sess.CheckCSRF(r.PostFormValue("csrf")) {
				a.fail(w, r, &u, errForbidden)
				return
			}
		}
		h(w, &request{Request: r, sess: sess, user: u})
	}
}

// parseForm reads a url-encoded or multipart form within the body limits.
func (a *App) parseForm(w http.ResponseWriter, r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, maxPhotoBody)
		if err := r.ParseMultipartForm(2 << 20); err != nil {
			return fmt.Errorf("%w: %v", errBadForm, err)
		}
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: %v", errBadForm, err)
	}
	return nil
}

func (a *App) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// preToken returns the CSRF token of the forms shown before sign-in (a
// double-submit cookie), setting the cookie when there is none.
func (a *App) preToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	a.setCookie(w, preCookie, tok, time.Hour)
	return tok
}

func checkPreToken(r *http.Request) bool {
	c, err := r.Cookie(preCookie)
	return err == nil && len(c.Value) == 32 && subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) == 1
}

// clientAddr is the address sign-in failures are counted by.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *App) handleHome(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(sessionCookie); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	a.signedIn(func(w http.ResponseWriter, r *request) {
		switch r.user.Role {
		case registry.RoleAdmin:
			http.Redirect(w, r.Request, "/admin/users", http.StatusSeeOther)
		case registry.RoleStaff:
			http.Redirect(w, r.Request, "/desk/"+url.PathEscape(r.user.Venues[0]), http.StatusSeeOther)
		default:
			http.Redirect(w, r.Request, "/people", http.StatusSeeOther)
		}
	})(w, r)
}

func (a *App) pageOf(r *request, title string, d any) page {
	u := r.user
	return page{Title: title, User: &u, CSRF: r.sess.CSRF, D: d}
}

func (a *App) handleLang(w http.ResponseWriter, r *http.Request) {
	l := r.PathValue("l")
	ok := false
	for _, k := range languages {
		ok = ok || k == l
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, Secure: true, SameSite: http.SameSiteLaxMode})
	back := r.URL.Query().Get("back")
	// Only a path of this site: never //host or a scheme.
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (a *App) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "login", page{Title: "login", CSRF: a.preToken(w, r)})
}

func (a *App) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := a.parseForm(w, r); err != nil || !checkPreToken(r) {
		a.fail(w, r, nil, errForbidden)
		return
	}
	sess, _, err := a.cfg.Store.Login(r.Context(), r.PostFormValue("login"), r.PostFormValue("password"), clientAddr(r), a.cfg.SessionTTL)
	switch {
	case errors.Is(err, registry.ErrBadLogin):
		a.render(w, r, http.StatusUnauthorized, "login", page{Title: "login", CSRF: a.preToken(w, r), Flash: translate(lang(r), "bad_login")})
		return
	case errors.Is(err, registry.ErrRateLimited):
		w.Header().Set("Retry-After", "900")
		a.render(w, r, http.StatusTooManyRequests, "login", page{Title: "login", CSRF: a.preToken(w, r), Flash: translate(lang(r), "rate_limited")})
		return
	case err != nil:
		a.fail(w, r, nil, err)
		return
	}
	a.setCookie(w, sessionCookie, sess.Token, a.cfg.SessionTTL)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *App) handleRegisterPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "register", page{Title: "register", CSRF: a.preToken(w, r)})
}

func (a *App) handleRegister(w http.ResponseWriter, r *http.Request) {
	if err := a.parseForm(w, r); err != nil || !checkPreToken(r) {
		a.fail(w, r, nil, errForbidden)
		return
	}
	n := registry.NewUser{Login: r.PostFormValue("login"), Password: r.PostFormValue("password"), Display: r.PostFormValue("display")}
	_, err := a.cfg.Store.Register(r.Context(), r.PostFormValue("code"), n)
	if errors.Is(err, registry.ErrInvite) {
		a.render(w, r, http.StatusBadRequest, "register", page{Title: "register", CSRF: a.preToken(w, r), Flash: translate(lang(r), "bad_invite")})
		return
	}
	if err != nil {
		a.fail(w, r, nil, err)
		return
	}
	sess, _, err := a.cfg.Store.Login(r.Context(), n.Login, n.Password, clientAddr(r), a.cfg.SessionTTL)
	if err != nil {
		a.fail(w, r, nil, err)
		return
	}
	a.setCookie(w, sessionCookie, sess.Token, a.cfg.SessionTTL)
	http.Redirect(w, r, "/people", http.StatusSeeOther)
}

func (a *App) handleLogout(w http.ResponseWriter, r *request) {
	if err := a.cfg.Store.Logout(r.Context(), r.sess); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	clearCookie(w, sessionCookie)
	http.Redirect(w, r.Request, "/login", http.StatusSeeOther)
}

func (a *App) handleLogoutAll(w http.ResponseWriter, r *request) {
	if _, err := a.cfg.Store.LogoutEverywhere(r.Context(), r.user.ID); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	clearCookie(w, sessionCookie)
	http.Redirect(w, r.Request, "/login", http.StatusSeeOther)
}

// Mount serves the collector's API (/v1/...) and the web application on
// one listener.
func Mount(api, app http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Handles(r.URL.Path) {
			app.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
