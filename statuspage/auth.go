package statuspage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/control"
)

// Tester plays a test of one output (lights, buzzer, screen, voice).
type Tester interface {
	Test(part string) error
}

// Options is the page as served on the venue's network.
type Options struct {
	// PasswordHash is the bcrypt hash of the technician's password
	// (status.password_hash, from `scangate hash-password`). Required:
	// the preview shows the faces of the people at the door.
	PasswordHash string
	Tester       Tester // nil: no test buttons
	Clock        clock.Clock
	Logger       *slog.Logger
}

const (
	cookieName = "scangate_status"
	sessionFor = 8 * time.Hour
	// After maxFailures wrong passwords within failWindow, sign-in is
	// refused until the window has passed: a guess a minute at best.
	maxFailures = 5
	failWindow  = time.Minute
)

// ValidHash reports whether h is a bcrypt hash the page can check against.
func ValidHash(h string) error {
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return fmt.Errorf("not a bcrypt hash (make one with: scangate hash-password): %w", err)
	}
	return nil
}

// HashPassword is what `scangate hash-password` prints.
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 {
		return "", errors.New("statuspage: a password of at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("statuspage: hash password: %w", err)
	}
	return string(h), nil
}

type guard struct {
	o        Options
	inner    http.Handler
	sessions *Sessions
}

// technician is the status page's one account.
const technician = "technician"

// Protected serves the page behind a password: a session cookie
// (HttpOnly, SameSite=Strict) after sign-in, a CSRF token on every
// action, nothing cached. The control socket keeps Handler: its file
// mode is its lock.
func Protected(src Source, o Options) (http.Handler, error) {
	if err := ValidHash(o.PasswordHash); err != nil {
		return nil, fmt.Errorf("statuspage: status.password_hash: %w", err)
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ss, err := NewSessions(cookieName, []Account{{ID: technician, PasswordHash: o.PasswordHash}}, o.Clock, o.Logger)
	if err != nil {
		return nil, err
	}
	g := &guard{o: o, sessions: ss}
	mux := Handler(src)
	mux.HandleFunc("POST /v1/test/{part}", g.handleTest)
	g.inner = mux
	return g, nil
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	NoStore(w.Header())
	switch {
	case r.URL.Path == "/login" && r.Method == http.MethodGet:
		g.loginPage(w, "")
		return
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		g.login(w, r)
		return
	}
	s, ok := g.sessions.Current(r)
	if !ok {
		if r.Method == http.MethodGet && r.URL.Path == "/" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		control.WriteError(w, http.StatusUnauthorized, "sign in first (/login)")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !s.ValidCSRF(r.Header.Get("X-CSRF-Token")) {
		control.WriteError(w, http.StatusForbidden, "missing or wrong CSRF token")
		return
	}
	switch {
	case r.URL.Path == "/logout" && r.Method == http.MethodPost:
		g.sessions.SignOut(w, r)
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		servePage(w, s.CSRF, g.o.Tester != nil)
	default:
		g.inner.ServeHTTP(w, r)
	}
}

func (g *guard) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	_, err := g.sessions.SignIn(w, r, technician, r.PostFormValue("password"))
	switch {
	case errors.Is(err, ErrLocked):
		w.WriteHeader(http.StatusTooManyRequests)
		g.loginPage(w, "尝试次数过多，请一分钟后再试 / Too many tries: wait a minute")
	case err != nil:
		w.WriteHeader(http.StatusUnauthorized)
		g.loginPage(w, "密码错误 / Wrong password")
	default:
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

func (g *guard) handleTest(w http.ResponseWriter, r *http.Request) {
	if g.o.Tester == nil {
		control.WriteError(w, http.StatusNotFound, "this kiosk offers no output tests")
		return
	}
	part := r.PathValue("part")
	if err := g.o.Tester.Test(part); err != nil {
		control.WriteError(w, http.StatusNotFound, "%v", err)
		return
	}
	g.o.Logger.Info("statuspage: output test", "part", part)
	w.WriteHeader(http.StatusNoContent)
}

func (g *guard) loginPage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	fmt.Fprintf(w, loginHTML, msg)
}

func randomHex() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// servePage serves the page with the session's CSRF token for its
// buttons; the token is hex, safe in a script string.
func servePage(w http.ResponseWriter, csrf string, tests bool) {
	nonce := randomHex()[:32]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+nonce+"'; style-src 'unsafe-inline'; img-src 'self'")
	page := strings.NewReplacer("{{NONCE}}", nonce, "{{CSRF}}", csrf).Replace(statusPage)
	if !tests {
		page = strings.Replace(page, `<div id="tests">`, `<div id="tests" hidden>`, 1)
	}
	fmt.Fprint(w, page)
}

const loginHTML = `<!doctype html><html lang="zh"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>scangate</title>
<style>body{font:20px system-ui,sans-serif;margin:2em;color:#222}input,button{font-size:1.1em;padding:.4em}p.e{color:#b00;font-weight:600}</style>
<h1>scangate 状态 / status</h1><p class="e">%s</p>
<form method="post" action="/login"><label>密码 / Password<br><input type="password" name="password" autofocus autocomplete="current-password"></label>
<p><button type="submit">登录 / Sign in</button></p></form></html>`
