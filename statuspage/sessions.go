package statuspage

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/scangate/scangate/clock"
)

// Account is one person who may sign in to a page of the kiosk: the
// technician of the status page, or a staff member of the desk.
type Account struct {
	ID           string // goes into every record and audit line the account makes
	Name         string // display name, shown to the account itself
	PasswordHash string // bcrypt, from `scangate hash-password`
}

// Session is a signed-in account with its CSRF token.
type Session struct {
	Account Account
	CSRF    string
	expires time.Time
}

// Sign-in refusals.
var (
	ErrWrongPassword = errors.New("statuspage: wrong account or password")
	ErrLocked        = errors.New("statuspage: too many wrong passwords, sign-in paused")
)

// Sessions is the sign-in machinery every page of the kiosk shares:
// bcrypt passwords, a pause after maxFailures wrong ones within
// failWindow (whichever account they named), session cookies (HttpOnly,
// SameSite=Strict) and a CSRF token per session.
type Sessions struct {
	cookie   string
	accounts map[string]Account
	clock    clock.Clock
	log      *slog.Logger

	mu       sync.Mutex
	sessions map[string]Session
	failures []time.Time
}

// NewSessions signs in the accounts under the cookie name (one per page,
// so a session of one page is none of another's).
func NewSessions(cookie string, accounts []Account, clk clock.Clock, log *slog.Logger) (*Sessions, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Sessions{cookie: cookie, accounts: map[string]Account{}, clock: clk, log: log, sessions: map[string]Session{}}
	for _, a := range accounts {
		if err := ValidHash(a.PasswordHash); err != nil {
			return nil, fmt.Errorf("statuspage: account %q: %w", a.ID, err)
		}
		if _, dup := s.accounts[a.ID]; dup {
			return nil, fmt.Errorf("statuspage: account %q twice", a.ID)
		}
		s.accounts[a.ID] = a
	}
	return s, nil
}

// decoyHash is checked when the account is unknown, so a wrong id takes
// as long as a wrong password and says nothing about which ids exist.
var decoyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte(randomHex()), bcrypt.DefaultCost)
	return h
})

// SignIn checks the password of account id and on success sets the
// session cookie. A wrong id or password is ErrWrongPassword; while
// sign-in is paused every try is ErrLocked.
func (s *Sessions) SignIn(w http.ResponseWriter, r *http.Request, id, password string) (Session, error) {
	now := s.clock.Now()
	s.mu.Lock()
	recent := s.failures[:0]
	for _, f := range s.failures {
		if now.Sub(f) < failWindow {
			recent = append(recent, f)
		}
	}
	s.failures = recent
	locked := len(recent) >= maxFailures
	s.mu.Unlock()
	if locked {
		return Session{}, ErrLocked
	}
	a, known := s.accounts[id]
	hash := []byte(a.PasswordHash)
	if !known {
		hash = decoyHash()
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !known {
		s.mu.Lock()
		s.failures = append(s.failures, now)
		s.mu.Unlock()
		s.log.Warn("statuspage: wrong password", "page", s.cookie, "remote", r.RemoteAddr)
		return Session{}, ErrWrongPassword
	}
	token := randomHex()
	sess := Session{Account: a, CSRF: randomHex(), expires: now.Add(sessionFor)}
	s.mu.Lock()
	for k, old := range s.sessions { // sign-ins are rare: sweep here
		if !now.Before(old.expires) {
			delete(s.sessions, k)
		}
	}
	s.sessions[token] = sess
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionFor / time.Second), Secure: r.TLS != nil})
	return sess, nil
}

// Current is the request's session, if it has a live one.
func (s *Sessions) Current(r *http.Request) (Session, bool) {
	c, err := r.Cookie(s.cookie)
	if err != nil {
		return Session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	if !ok || !s.clock.Now().Before(sess.expires) {
		delete(s.sessions, c.Value)
		return Session{}, false
	}
	return sess, true
}

// SignOut ends the request's session and clears its cookie.
func (s *Sessions) SignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// ValidCSRF reports whether token is the session's CSRF token.
func (sess Session) ValidCSRF(token string) bool {
	return sess.CSRF != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) == 1
}

// NoStore sets the headers every page of the kiosk answers with: nothing
// cached, framed, sniffed or referred.
func NoStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
