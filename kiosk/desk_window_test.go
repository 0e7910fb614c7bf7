package kiosk_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/statuspage"
)

// The door's duplicate window and the desk agree: a check-in undone at the
// desk no longer makes the card "already checked in", and a pass staff
// registered by hand for the card does, like the door's own.
func TestDeskAndDuplicateWindow(t *testing.T) {
	is := kiosktest.NewIssuer(t, t.TempDir())
	cfg := config.Default()
	cfg.Device.Name = "east-gate"
	cfg.Serial.Enabled = true
	cfg.Scanner.RearmText = config.Duration{Duration: time.Millisecond}
	h, err := statuspage.HashPassword("li-password-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Desk = config.Desk{Listen: "127.0.0.1:0", Staff: []config.DeskStaff{{ID: "li", PasswordHash: h}}}
	r := kiosktest.Start(t, t.TempDir(), cfg, is.TrustPath)
	text, id := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))

	base := "http://" + r.K.DeskAddr()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	csrfRe := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
	var csrf string
	post := func(path string, form url.Values) {
		t.Helper()
		form.Set("csrf", csrf)
		resp, err := hc.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		if m := csrfRe.FindSubmatch(b); m != nil {
			csrf = string(m[1])
		}
	}
	present := func(want string) {
		t.Helper()
		if res := r.Present(t, control.PresentRequest{Text: text}); res.Decision != want {
			t.Fatalf("card at the door: %+v, want %s", res, want)
		}
	}
	post("/login", url.Values{"id": {"li"}, "password": {"li-password-1"}})
	present("pass")
	present("already")
	ledger := r.K.Store().Ledger()
	post("/undo", url.Values{"record": {"east-gate/" + ledger + "/1"}, "reason": {"did not come in"}})
	present("pass") // seq 4: the undo was seq 3
	post("/undo", url.Values{"record": {"east-gate/" + ledger + "/4"}, "reason": {"again"}})
	post("/manual", url.Values{"name": {"王秀英"}, "category": {"elder"}, "reason": {"checked by hand"}, "card": {idcode.PrintedNumber(id)}})
	present("already")
	rows, err := r.K.Store().Rows(t.Context(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "")
	if err != nil || len(rows) != 7 || rows[5].Source != "manual:li" || rows[5].CardID != id {
		t.Fatalf("ledger %+v %v", rows, err)
	}
	for i, want := range []string{"pass", "already", "undo", "pass", "undo", "pass", "already"} {
		if rows[i].Decision != want || rows[i].Seq != int64(i+1) {
			t.Errorf("seq %d: %s, want %s (seq %s)", rows[i].Seq, rows[i].Decision, want, strconv.Itoa(i+1))
		}
	}
}
