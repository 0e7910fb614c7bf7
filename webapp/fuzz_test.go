package webapp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// FuzzForms posts arbitrary bodies to the forms that take outside input:
// the answer is never a server error, and a refused form stores nothing.
func FuzzForms(f *testing.F) {
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n王秀英\r\n--x--\r\n")
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--x--\r\n")
	f.Add("application/x-www-form-urlencoded", "name=%E7%8E%8B&category=elder")
	f.Add("application/x-www-form-urlencoded", "name=%zz&category=%")
	f.Add("multipart/form-data", "garbage")
	f.Add("text/plain", "\x00\xff")
	e := newEnv(f, false)
	b := e.family("fuzz.family")
	b.get("/people/new")
	csrf := b.csrf()
	ctx := context.Background()
	admin := registry.User{Role: registry.RoleAdmin}
	f.Fuzz(func(t *testing.T, ctype, body string) {
		before, _ := e.store.People(ctx, admin, "", 1000)
		// The CSRF token goes in the query too, so a body that parses
		// reaches the handler; multipart bodies get it as their first part
		// only when they carry one.
		body = strings.ReplaceAll(body, "CSRF", csrf)
		for _, path := range []string{"/people/new", "/login", "/register"} {
			req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			resp, err := b.c.Do(req)
			if err != nil && strings.Contains(err.Error(), "invalid header") {
				return // the client refuses to send it: no server sees it
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("POST %s %q: %d", path, body, resp.StatusCode)
			}
		}
		after, _ := e.store.People(ctx, admin, "", 1000)
		if len(after) < len(before) {
			t.Fatalf("a refused form lost people: %d → %d", len(before), len(after))
		}
	})
}

// FuzzDeskForms posts arbitrary forms to the staff desk's manual check-in
// and undo: never a server error, a refused form stores nothing, and a
// stored check-in never holds a full name.
func FuzzDeskForms(f *testing.F) {
	f.Add("name=%E5%AD%99%E7%A7%80%E5%85%B0&category=elder&reason=x", "record=desk-hall-1%2Fdesk%2F1&reason=y")
	f.Add("name=&category=child&reason=", "record=&reason=")
	f.Add("name=A***+L*&category=staff&reason=%00", "record=kiosk%2F%2F0&reason=z")
	f.Add("name=%zz", "record=desk-hall-1/desk/99999999999999999999&reason=r")
	e := newEnv(f, false)
	ctx := context.Background()
	if err := e.be.CreateVenue(ctx, collector.Venue{ID: "hall-1", Name: "hall"}); err != nil {
		f.Fatal(err)
	}
	if _, err := e.store.CreateUser(ctx, "cli", registry.NewUser{Login: "desk", Password: "staff password", Role: registry.RoleStaff, Venues: []string{"hall-1"}}); err != nil {
		f.Fatal(err)
	}
	b := e.browser()
	b.login("desk", "staff password")
	csrf := b.csrf()
	day := func() []collector.Visit {
		vs, err := e.be.VisitsAtVenue(ctx, "hall-1", e.clock.Now().Add(-48*time.Hour), e.clock.Now().Add(48*time.Hour))
		if err != nil {
			f.Fatal(err)
		}
		return vs
	}
	f.Fuzz(func(t *testing.T, manual, undo string) {
		before := len(day())
		stored := 0
		for _, p := range []struct{ path, body string }{{"/desk/hall-1/manual", manual}, {"/desk/hall-1/undo", undo}} {
			req, _ := http.NewRequest("POST", e.srv.URL+p.path, strings.NewReader(p.body+"&csrf="+csrf))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := b.c.Do(req)
			b.c.CheckRedirect = nil
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			switch {
			case resp.StatusCode >= 500:
				t.Fatalf("POST %s %q: %d", p.path, p.body, resp.StatusCode)
			case resp.StatusCode == http.StatusSeeOther:
				stored++
			}
		}
		vs := day()
		if len(vs) != before+stored {
			t.Fatalf("%d forms taken but %d check-ins added", stored, len(vs)-before)
		}
		for _, v := range vs[before:] {
			if v.Decision == wire.DecisionPass && v.Name != idcode.MaskName(v.Name) && !strings.Contains(v.Name, "*") {
				t.Fatalf("stored an unmasked name %q", v.Name)
			}
		}
	})
}
