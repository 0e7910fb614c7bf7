package statuspage

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/scangate/scangate/clock"
)

func hashFor(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// TestSessionsNamedAccounts: each account signs in with its own password
// only, the session names it, an unknown id is refused like a wrong
// password, five failures pause every account, a cookie of one page is
// no session of another's, and sign-out ends the session.
func TestSessionsNamedAccounts(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC))
	accts := []Account{{ID: "li", Name: "李明", PasswordHash: hashFor(t, "li-password")},
		{ID: "wang", Name: "王芳", PasswordHash: hashFor(t, "wang-password")}}
	ss, err := NewSessions("scangate_desk", accts, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSessions("scangate_status", accts[:1], clk, nil)
	signIn := func(s *Sessions, id, pw string) (*http.Cookie, Session, error) {
		w := httptest.NewRecorder()
		sess, err := s.SignIn(w, httptest.NewRequest("POST", "/login", nil), id, pw)
		cs := w.Result().Cookies()
		if len(cs) == 0 {
			return nil, sess, err
		}
		return cs[0], sess, err
	}
	c, sess, err := signIn(ss, "wang", "wang-password")
	if err != nil || sess.Account.ID != "wang" || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("sign-in: %+v %v %+v", sess, err, c)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	if got, ok := ss.Current(r); !ok || got.Account.Name != "王芳" || !got.ValidCSRF(sess.CSRF) || got.ValidCSRF("") || got.ValidCSRF(sess.CSRF+"0") {
		t.Fatalf("current: %+v %v", got, ok)
	}
	if _, ok := other.Current(r); ok {
		t.Fatal("a desk session is a status page session")
	}
	if _, _, err := signIn(ss, "wang", "li-password"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("another account's password: %v", err)
	}
	for range 4 {
		if c, _, err := signIn(ss, "nobody", "li-password"); !errors.Is(err, ErrWrongPassword) || c != nil {
			t.Fatalf("unknown account: %v %v", err, c)
		}
	}
	if _, _, err := signIn(ss, "li", "li-password"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after five failures: %v, want ErrLocked", err)
	}
	clk.Advance(time.Minute)
	if _, _, err := signIn(ss, "li", "li-password"); err != nil {
		t.Fatalf("a minute later: %v", err)
	}
	w := httptest.NewRecorder()
	ss.SignOut(w, r)
	if _, ok := ss.Current(r); ok {
		t.Fatal("session lives after sign-out")
	}
	clk.Advance(sessionFor)
	if _, err := NewSessions("x", []Account{{ID: "a", PasswordHash: "plain"}}, clk, nil); err == nil {
		t.Fatal("a plain password accepted as a hash")
	}
}
