package integration_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
	"github.com/scangate/scangate/store"
	"github.com/scangate/scangate/sync/uplink"
	"github.com/scangate/scangate/sync/wire"
)

func TestEnrollUploadAndRestart(t *testing.T) {
	tc := startCollector(t, nil)
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "kiosk.db"))
	var (
		mu       sync.Mutex
		policies []door.Policy
	)
	opts := fastOptions(tc.C().URL, tc.pub(), tc.C().EnrollToken(t, venue), dir, st)
	opts.ApplyPolicy = func(p door.Policy) {
		mu.Lock()
		policies = append(policies, p)
		mu.Unlock()
	}
	record(t, st, 30, nil) // made before enrollment: queued, not lost
	d := runDevice(t, opts)
	d.waitDrained(t, 10*time.Second)
	s := d.up.Status()
	if !s.Enrolled || !strings.HasPrefix(s.DeviceID, "dev-") || s.Venue != venue || s.LastSuccess.IsZero() {
		t.Fatalf("status after enrollment: %+v", s)
	}
	waitFor(t, 5*time.Second, "a bundle", func() bool { return d.up.Status().BundleETag != "" })
	fi, err := os.Stat(filepath.Join(dir, uplink.KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device key file: %v, mode %v", err, fi.Mode())
	}
	record(t, st, 20, nil)
	d.waitDrained(t, 10*time.Second)
	d.stop()
	if len(policies) == 0 || policies[0].LogOnly || policies[0].DuplicateWindow == 0 {
		t.Fatalf("policy hook got %+v", policies)
	}

	// A restart reuses the enrollment: the token is gone, the device id stays.
	record(t, st, 10, nil)
	opts.EnrollToken = ""
	mu.Lock()
	n := len(policies)
	mu.Unlock()
	d2 := runDevice(t, opts)
	d2.waitDrained(t, 10*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if s2 := d2.up.Status(); s2.DeviceID != s.DeviceID || s2.BundleETag == "" {
		t.Fatalf("after restart: %+v, before %+v", s2, s)
	}
	if len(policies) <= n {
		t.Fatal("stored bundle's policy not applied at start")
	}
	checkExactlyOnce(t, tc, st, 60)
}

func TestRefusedToken(t *testing.T) {
	tc := startCollector(t, nil)
	token := tc.C().EnrollToken(t, venue)
	dir1, dir2 := t.TempDir(), t.TempDir()
	d1 := runDevice(t, fastOptions(tc.C().URL, tc.pub(), token, dir1, openStore(t, filepath.Join(dir1, "k.db"))))
	waitFor(t, 5*time.Second, "first enrollment", func() bool { return d1.up.Status().Enrolled })

	// The same token again: refused, said so, and not retried at once.
	opts := fastOptions(tc.C().URL, tc.pub(), token, dir2, openStore(t, filepath.Join(dir2, "k.db")))
	opts.RefusedBackoff = time.Hour
	d2 := runDevice(t, opts)
	waitFor(t, 5*time.Second, "refusal in status", func() bool { return d2.up.Status().Refused != "" })
	s := d2.up.Status()
	if s.Enrolled || !strings.Contains(s.LastError, "409") || !strings.Contains(s.Refused, "already used") {
		t.Fatalf("status %+v", s)
	}

	// A wrong pinned key: the enrollment answer is not trusted.
	dir3 := t.TempDir()
	other := startCollector(t, nil)
	d3 := runDevice(t, fastOptions(tc.C().URL, other.pub(), tc.C().EnrollToken(t, venue), dir3, openStore(t, filepath.Join(dir3, "k.db"))))
	waitFor(t, 5*time.Second, "pinned key mismatch", func() bool {
		return strings.Contains(d3.up.Status().LastError, "pinned collector key")
	})
	if d3.up.Status().Enrolled {
		t.Fatal("enrolled with a collector presenting another key")
	}
}

func TestRevokedDevice(t *testing.T) {
	tc := startCollector(t, nil)
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "k.db"))
	d := runDevice(t, fastOptions(tc.C().URL, tc.pub(), tc.C().EnrollToken(t, venue), dir, st))
	record(t, st, 5, nil)
	d.waitDrained(t, 5*time.Second)
	tc.C().RevokeDevice(t, d.up.Status().DeviceID)
	record(t, st, 5, nil)
	waitFor(t, 5*time.Second, "revocation in status", func() bool { return d.up.Status().Refused == "device revoked" })
	if s := d.up.Status(); s.OutboxDepth != 5 {
		t.Fatalf("outbox %d after refusal, want the 5 records kept", s.OutboxDepth)
	}
	if v, err := st.Setting(context.Background(), store.SettingEnrollment); err != nil || v != "revoked" {
		t.Fatalf("enrollment setting %q, %v", v, err)
	}
}

func TestOptionsChecked(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "k.db"))
	good := fastOptions("http://127.0.0.1:1", make([]byte, 32), "", t.TempDir(), st)
	for name, mut := range map[string]func(*uplink.Options){
		"url":   func(o *uplink.Options) { o.URL = "ftp://x" },
		"key":   func(o *uplink.Options) { o.CollectorKey = nil },
		"poll":  func(o *uplink.Options) { o.PollInterval = 31 * time.Second },
		"batch": func(o *uplink.Options) { o.BatchRecords = wire.MaxBatchRecords + 1 },
		"file":  func(o *uplink.Options) { o.KeyFile = "" },
	} {
		o := good
		mut(&o)
		if _, err := uplink.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := uplink.New(good); err != nil {
		t.Fatal(err)
	}
}
