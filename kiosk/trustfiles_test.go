package kiosk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/config"
	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/kiosk"
	"github.com/scangate/scangate/kiosk/kiosktest"
)

// offlineKiosk starts a kiosk on a fake clock whose lists were issued
// `age` ago, pinned by trust.list_keys, watching a directory that stands
// in for the SCANGATE drive.
func offlineKiosk(t *testing.T, age time.Duration) (r *kiosktest.Running, is *kiosktest.Issuer, clk *clock.Fake, drive string) {
	t.Helper()
	dir := t.TempDir()
	is = kiosktest.NewIssuerAt(t, dir, time.Now().Add(-age)) // the data directory's trust.json
	drive = t.TempDir()
	cfg := config.Default()
	cfg.Trust.ListKeys = []string{is.PublicPEM(t, dir)}
	cfg.Trust.WatchDirs = []string{drive}
	// The same card is typed again soon after: the scanner re-arms at once.
	cfg.Scanner.RearmText = config.Duration{Duration: time.Millisecond}
	clk = clock.NewFake(time.Now())
	r = kiosktest.StartWith(t, kiosk.Options{Config: cfg, DataDir: dir, Clock: clk})
	return r, is, clk, drive
}

// scan moves the kiosk's clock past one look at the watched directories
// and waits until it found something new.
func scan(t *testing.T, r *kiosktest.Running, clk *clock.Fake) *control.TrustInstall {
	t.Helper()
	before := r.Status(t).Trust.LastInstall
	var got *control.TrustInstall
	kiosktest.WaitFor(t, 10*time.Second, "the watched directory read", func() bool {
		clk.Advance(5 * time.Second)
		got = r.Status(t).Trust.LastInstall
		return got != nil && (before == nil || !got.At.Equal(before.At))
	})
	return got
}

// Lists issued 29 days ago (max_trust_age 28 days): every card is a device
// fault, the idle screen says so before anyone is turned away; renewed
// files dropped on the drive are installed without a restart and the same
// card passes.
func TestRenewedTrustFilesWithoutRestart(t *testing.T) {
	r, is, clk, drive := offlineKiosk(t, 29*24*time.Hour)
	card, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	if st := r.AtReady.Trust; st.Refusing != "trust_data_stale" || !st.Stale {
		t.Fatalf("at start: %+v", st)
	}
	kiosktest.WaitFor(t, 5*time.Second, "the refusing idle screen", func() bool {
		return strings.Contains(r.Term.String(), "设备需维护 请找工作人员")
	})
	if strings.Contains(r.Term.String(), "请出示身份码") {
		t.Errorf("the idle screen asked for a card while refusing every one:\n%s", r.Term.String())
	}
	if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "fault" || res.Reason != "trust_data_stale" {
		t.Fatalf("stale lists: %+v", res)
	}

	is.WriteLists(t, drive, 2, time.Now())
	li := scan(t, r, clk)
	if len(li.Files) != 2 || li.Files[0].Result != "installed" || li.Files[1].Result != "installed" || li.Files[0].Version != 2 {
		t.Fatalf("install: %+v", li)
	}
	if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "pass" {
		t.Fatalf("after renewal: %+v", res)
	}
	st := r.Status(t).Trust
	want := time.Now().UTC().Truncate(time.Second).Add(28*24*time.Hour + time.Nanosecond)
	if st.Refusing != "" || st.Stale || st.ListVersion != 2 || st.RefusedFrom.Sub(want).Abs() > 2*time.Second {
		t.Fatalf("after renewal: %+v (refused from %v, want about %v)", st, st.RefusedFrom, want)
	}
	kiosktest.WaitFor(t, 5*time.Second, "the renewal on the screen", func() bool {
		return strings.Contains(r.Term.String(), "信任数据已更新")
	})

	// The same files again: nothing to do, nothing shown.
	clk.Advance(5 * time.Second)
	if li2 := r.Status(t).Trust.LastInstall; !li2.At.Equal(li.At) {
		t.Errorf("unchanged files tried again: %+v", li2)
	}
}

// A file that widens trust (another key) or rolls back is refused with a
// reason in status, and nothing stored changes.
func TestRefusedTrustFilesChangeNothing(t *testing.T) {
	r, is, clk, drive := offlineKiosk(t, time.Hour)
	card, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	forger := kiosktest.NewIssuerAt(t, t.TempDir(), time.Now())
	forger.WriteLists(t, drive, 9, time.Now())
	li := scan(t, r, clk)
	if len(li.Files) != 2 || li.Files[0].Result != "refused" || !strings.Contains(li.Files[0].Error, "not pinned") {
		t.Fatalf("foreign lists: %+v", li)
	}
	kiosktest.WaitFor(t, 5*time.Second, "the refusal on the screen", func() bool {
		return strings.Contains(r.Term.String(), "信任文件被拒绝")
	})
	st := r.Status(t).Trust
	if st.ListVersion != 1 || st.RevocationVersion != 1 || st.Refusing != "" {
		t.Fatalf("a refused file changed the trust data: %+v", st)
	}
	if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "pass" {
		t.Fatalf("after a refused file: %+v", res)
	}
	// A renewal, then its older copy: the older one is not applied.
	is.WriteLists(t, drive, 3, time.Now())
	scan(t, r, clk)
	is.WriteLists(t, drive, 2, time.Now())
	li = scan(t, r, clk)
	if li.Files[0].Result != "older" || r.Status(t).Trust.ListVersion != 3 {
		t.Fatalf("rollback: %+v, list v%d", li, r.Status(t).Trust.ListVersion)
	}
	// Another v3 (renewed twice from the same lists): the one in force stays.
	is.WriteLists(t, drive, 3, time.Now().Add(-time.Minute)) // another issue time: other bytes
	if li = scan(t, r, clk); li.Files[0].Result != "refused" || !strings.Contains(li.Files[0].Error, "in force with other contents") {
		t.Fatalf("same version, other contents: %+v", li)
	}
	// A damaged file is refused too.
	if err := os.WriteFile(filepath.Join(drive, "trust.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if li = scan(t, r, clk); li.Files[0].Result != "refused" || r.Status(t).Trust.ListVersion != 3 {
		t.Fatalf("damaged file: %+v", li)
	}
}

// From trust.warn_days before the refusal date the idle screen and status
// warn; cards still pass.
func TestTrustWarning(t *testing.T) {
	r, is, _, _ := offlineKiosk(t, 20*24*time.Hour) // 8 days left
	card, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	st := r.AtReady.Trust
	if !st.Warn || st.Refusing != "" {
		t.Fatalf("8 days before refusal: %+v", st)
	}
	day := st.RefusedFrom.Format(time.DateOnly)
	kiosktest.WaitFor(t, 5*time.Second, "the warning on the idle screen", func() bool {
		return strings.Contains(r.Term.String(), "Renew trust data before "+day)
	})
	if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "pass" {
		t.Fatalf("while warning: %+v", res)
	}
	r2, _, _, _ := offlineKiosk(t, 10*24*time.Hour) // 18 days left
	if st := r2.AtReady.Trust; st.Warn {
		t.Fatalf("18 days before refusal: %+v", st)
	}
}

// device.timezone is what status shows times in; stored times stay
// absolute.
func TestStatusInTheDeviceTimeZone(t *testing.T) {
	is := kiosktest.NewIssuer(t, t.TempDir())
	for zone, offset := range map[string]int{"Asia/Shanghai": 8 * 3600, "UTC": 0, "America/New_York": -5 * 3600} {
		cfg := config.Default()
		cfg.Device.TimeZone = zone
		clk := clock.NewFake(time.Date(2027, 1, 15, 3, 0, 0, 0, time.UTC))
		r := kiosktest.StartWith(t, kiosk.Options{Config: cfg, DataDir: t.TempDir(), TrustFile: is.TrustPath, Clock: clk})
		st := r.Status(t)
		if _, off := st.Clock.Now.Zone(); off != offset || st.Clock.TimeZone != zone || !st.Clock.Now.Equal(clk.Now()) {
			t.Errorf("%s: clock %v (%s)", zone, st.Clock.Now, st.Clock.TimeZone)
		}
		if _, off := st.Trust.RefusedFrom.Zone(); off != offset {
			t.Errorf("%s: refused_from %v", zone, st.Trust.RefusedFrom)
		}
		r.Stop()
	}
	// The default is the one documented.
	if config.Default().Device.TimeZone != "Asia/Shanghai" {
		t.Errorf("default zone %q", config.Default().Device.TimeZone)
	}
}

// [gpio] button: a press repeats the last message; nothing is recorded.
func TestButtonRepeatsTheLastMessage(t *testing.T) {
	is := kiosktest.NewIssuer(t, t.TempDir())
	card, _ := is.Card(t, "王秀英", "elder", time.Now().AddDate(1, 0, 0))
	r := kiosktest.Start(t, t.TempDir(), config.Default(), is.TrustPath)
	if res := r.Present(t, control.PresentRequest{Text: card}); res.Decision != "pass" {
		t.Fatalf("card: %+v", res)
	}
	kiosktest.WaitFor(t, 5*time.Second, "the welcome", func() bool { return strings.Count(r.Term.String(), "请通行") == 1 })
	kiosk.PressSimButton(r.K)
	kiosktest.WaitFor(t, 5*time.Second, "the welcome repeated", func() bool { return strings.Count(r.Term.String(), "请通行") == 2 })
	if st := r.Status(t); st.Store.Checkins != 1 || len(st.Last) != 1 {
		t.Fatalf("a press recorded something: %d check-ins, %d decisions", st.Store.Checkins, len(st.Last))
	}
}
