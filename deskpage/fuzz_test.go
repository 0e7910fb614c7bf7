package deskpage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/idcode"
)

// FuzzDeskForms posts arbitrary bodies to every form of the desk with a
// live session and its CSRF token: never a server error, a refused form
// stores nothing, a stored name is the typed one masked, and a reason fits a record.
func FuzzDeskForms(f *testing.F) {
	h := newHarness(f)
	c := h.client()
	c.signIn("li", "li-password")
	cookie := c.c.Jar.Cookies(mustURL(h.srv.URL))
	for _, seed := range []struct{ path, body string }{
		{"/manual", "name=%E7%8E%8B%E7%A7%80%E8%8B%B1&category=elder&reason=card+damaged"},
		{"/manual", "name=Wang+Xiuying&category=child&reason=x&card=76AC-E3FA"},
		{"/manual", "name=&category=staff&reason="},
		{"/manual", "name=a&category=elder&reason=" + strings.Repeat("%E4%B8%80", 50)},
		{"/manual", "name=%zz&category=elder"},
		{"/undo", "record=k-1%2Fx%2F1&reason=mistake"},
		{"/undo", "record=%2F%2F-1&reason=x"},
		{"/undo", "record=a%2Fb%2F99999999999999999999&reason=x"},
		{"/login", "id=li&password=li-password"},
		{"/logout", ""},
	} {
		f.Add(uint8(slices.Index(formPaths, seed.path)), seed.body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := formPaths[int(which)%len(formPaths)]
		before, _ := h.st.Rows(context.Background(), time.Time{}, t0.Add(time.Hour), "")
		req := httptest.NewRequest("POST", path, strings.NewReader(body+"&csrf="+c.csrf))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, k := range cookie {
			req.AddCookie(k)
		}
		w := httptest.NewRecorder()
		h.desk.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q: status %d", path, body, w.Code)
		}
		after, _ := h.st.Rows(context.Background(), time.Time{}, t0.Add(time.Hour), "")
		if w.Code != http.StatusSeeOther && len(after) != len(before) {
			t.Fatalf("%s %q refused (%d) but stored a record", path, body, w.Code)
		}
		typed, _ := url.ParseQuery(body)
		name := strings.TrimSpace(typed.Get("name"))
		for _, r := range after[len(before):] {
			if path == "/manual" && r.Name != idcode.MaskName(name) {
				t.Fatalf("typed %q, stored %q", name, r.Name)
			}
			if len(r.Reason) > maxReason {
				t.Fatalf("reason of %d bytes", len(r.Reason))
			}
		}
	})
}

// FuzzParseCardNumber: a number is 8 or 32 lower-case hex digits or an error.
func FuzzParseCardNumber(f *testing.F) {
	for _, s := range []string{"76AC-E3FA", "７６ＡＣ－Ｅ３ＦＡ", "76ace3fa0123456789abcdef01234567", "", "zz", "76AC-E3F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseCardNumber(s)
		if err != nil {
			return
		}
		if len(p) != 8 && len(p) != 32 || strings.Trim(p, "0123456789abcdef") != "" {
			t.Fatalf("ParseCardNumber(%q) = %q", s, p)
		}
	})
}

var formPaths = []string{"/manual", "/undo", "/login", "/logout"}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
