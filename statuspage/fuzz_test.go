package statuspage

import (
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// FuzzLogin posts arbitrary bodies and content types to /login: never a
// server error, and never a session without the password.
func FuzzLogin(f *testing.F) {
	h, err := bcrypt.GenerateFromPassword([]byte("door-keeper-7"), bcrypt.MinCost)
	if err != nil {
		f.Fatal(err)
	}
	page, err := Protected(noCamera{}, Options{PasswordHash: string(h)})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", "password=wrong"},
		{"application/x-www-form-urlencoded", "password=door-keeper-7"},
		{"application/x-www-form-urlencoded", "password=%zz"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nabc\r\n--x--\r\n"},
		{"text/plain", strings.Repeat("a", 5000)},
	} {
		f.Add(seed.ct, seed.body)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		page.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q %q", w.Code, ct, body)
		}
		if strings.Contains(w.Header().Get("Set-Cookie"), cookieName+"=") && !strings.Contains(body, "door-keeper-7") {
			t.Fatalf("a session without the password: %q %q", ct, body)
		}
	})
}
