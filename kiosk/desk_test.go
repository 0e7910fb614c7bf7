package kiosk_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/deskpage"
	"github.com/scangate/scangate/kiosk/kiosktest"
	"github.com/scangate/scangate/statuspage"
)

// deskKiosk is a simulated kiosk with its staff desk on, whose collector
// is configured but unreachable (nothing listens on the discard port).
func deskKiosk(t *testing.T) (*kiosktest.Running, *kiosktest.Issuer, string) {
	t.Helper()
	is := kiosktest.NewIssuer(t, t.TempDir())
	cfg := config.Default()
	cfg.Device.Name, cfg.Device.Venue = "east-gate", "lib-7"
	cfg.Serial.Enabled = true
	for _, s := range []struct{ id, name, pw string }{{"li", "李明", "li-password-1"}, {"wang", "王芳", "wang-password-1"}} {
		h, err := statuspage.HashPassword(s.pw)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Desk.Staff = append(cfg.Desk.Staff, config.DeskStaff{ID: s.id, Name: s.name, PasswordHash: h})
	}
	cfg.Desk.Listen = "127.0.0.1:0"
	cfg.Uplink.Enabled, cfg.Uplink.URL, cfg.Uplink.EnrollToken = true, "http://127.0.0.1:9", "token"
	cfg.Uplink.CollectorKey = is.PublicPEM(t, t.TempDir())
	r := kiosktest.Start(t, t.TempDir(), cfg, is.TrustPath)
	return r, is, "http://" + r.K.DeskAddr()
}

// The staff desk on the kiosk in a real browser, the collector
// unreachable: a wrong password is refused, a card presented at the door
// appears in today's list masked, a person registered on behalf moves the
// count, undoing it with a reason moves it back with both rows listed, and
// the day exported reads back with a BOM and those rows, no full name.
func TestDeskInChromium(t *testing.T) {
	r, is, base := deskKiosk(t)
	ctx := statusBrowser(t)
	downloads := make(chan string, 4)
	dlDir := t.TempDir()
	chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			downloads <- e.GUID
		}
	})
	yes := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dlDir, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.EmulateViewport(1100, 800))
	submit := func(fields map[string]string, button string) {
		t.Helper()
		var steps []chromedp.Action[chromedp.Void]
		for sel, v := range fields {
			steps = append(steps, chromedp.SetValue(chromedp.CSS(sel), v))
		}
		steps = append(steps, chromedp.Click(chromedp.CSS(button)), chromedp.Sleep(300*time.Millisecond), chromedp.WaitReady(chromedp.CSS("body")))
		run(t, ctx, steps...)
	}
	count := func() int {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS("#count-today")))
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("count %q", s)
		}
		return n
	}

	run(t, ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)))
	submit(map[string]string{`input[name=id]`: "li", `input[name=password]`: "wang-password-1"}, `#signin`)
	if body := text(t, ctx); !strings.Contains(body, "工号或密码错误 / Wrong staff id or password") {
		t.Fatalf("wrong password page:\n%s", body)
	}
	submit(map[string]string{`input[name=id]`: "li", `input[name=password]`: "li-password-1"}, `#signin`)
	if body := text(t, ctx); !strings.Contains(body, "李明") || count() != 0 {
		t.Fatalf("signed in:\n%s", body)
	}

	card, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "pass" {
		t.Fatalf("card at the door: %+v", res)
	}
	run(t, ctx, chromedp.Navigate(base+"/"), chromedp.WaitReady(chromedp.CSS("body")))
	if body := text(t, ctx); count() != 1 || !strings.Contains(body, "王*英") || strings.Contains(body, "王秀英") || !strings.Contains(body, "通过 / pass") {
		t.Fatalf("after the card:\n%s", body)
	}
	if st := r.Status(t); st.Store.OutboxDepth < 1 {
		t.Fatalf("the collector is unreachable, yet the outbox is empty: %+v", st.Store)
	}

	run(t, ctx, chromedp.Click(chromedp.CSS("#manual")), chromedp.WaitVisible(chromedp.CSS("#register")),
		chromedp.SetValue(chromedp.CSS(`select[name=category]`), "child"))
	screenshot(t, ctx, "kiosk-desk-manual")
	submit(map[string]string{`input[name=name]`: "张伟明", `input[name=reason]`: "未带凭证"}, `#register`)
	if body := text(t, ctx); count() != 2 || !strings.Contains(body, "张*明") || strings.Contains(body, "张伟明") || !strings.Contains(body, "人工 / manual · li") {
		t.Fatalf("after registering on behalf:\n%s", body)
	}
	screenshot(t, ctx, "kiosk-desk")
	// Newest first: the first undo link is the manual check-in's.
	run(t, ctx, chromedp.Click(chromedp.CSS(`tr.checkin a.undo-link`)), chromedp.WaitVisible(chromedp.CSS("#undo")))
	if body := text(t, ctx); !strings.Contains(body, "张*明") {
		t.Fatalf("undo page is not the manual check-in's:\n%s", body)
	}
	submit(map[string]string{`input[name=reason]`: "登记错了"}, `#undo`)
	body := text(t, ctx)
	if count() != 1 || strings.Count(body, "张*明") != 2 || !strings.Contains(body, "已撤销 / undone") || !strings.Contains(body, "撤销 / undo") {
		t.Fatalf("after undo:\n%s", body)
	}
	screenshot(t, ctx, "kiosk-desk-undone")

	run(t, ctx, chromedp.Click(chromedp.CSS("#export")))
	var day []byte
	select {
	case guid := <-downloads:
		var err error
		if day, err = os.ReadFile(filepath.Join(dlDir, guid)); err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no download after clicking export")
	}
	if !bytes.HasPrefix(day, []byte("\xef\xbb\xbf")) {
		t.Fatalf("export without a UTF-8 BOM: %q", day[:min(10, len(day))])
	}
	rows, err := csv.NewReader(bytes.NewReader(day[3:])).ReadAll()
	if err != nil || len(rows) != 4 || !slices.Equal(rows[0], deskpage.CSVHeader) {
		t.Fatalf("export: %v\n%s", err, day)
	}
	ledger := r.K.Store().Ledger()
	if p, m, u := rows[1], rows[2], rows[3]; p[12] != "pass" || p[9] != "王*英" || m[9] != "张*明" || m[17] != "manual:li" ||
		u[12] != "undo" || u[13] != "undo east-gate/"+ledger+"/"+m[6]+": 登记错了" || p[5] != "east-gate" || p[4] != "lib-7" {
		t.Fatalf("export rows:\n%s", day)
	}
	if bytes.Contains(day, []byte("张伟明")) || bytes.Contains(day, []byte("王秀英")) {
		t.Fatalf("the export names someone in full:\n%s", day)
	}
	if dir := os.Getenv("SCANGATE_ARTIFACTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "kiosk", "kiosk-desk-day.csv"), day, 0o644)
	}
	log, err := r.K.Store().AuditLog(context.Background(), time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, a := range log {
		acts = append(acts, a.Staff+":"+a.Action)
	}
	if got := strings.Join(acts, " "); got != ":sign_in_refused li:sign_in li:manual li:undo li:export" {
		t.Fatalf("audit trail %q", got)
	}
}
