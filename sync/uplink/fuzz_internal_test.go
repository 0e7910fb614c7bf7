package uplink

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "0", "5", "120", "-1", "99999999999", "Sun, 01 Mar 2026 09:00:30 GMT", "garbage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := parseRetryAfter(s, now)
		if d < 0 || d > time.Hour {
			t.Fatalf("parseRetryAfter(%q) = %v, want within [0, 1h]", s, d)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"5": 5 * time.Second, "": 0, "x": 0, "-3": 0, "86400": time.Hour,
		"Sun, 01 Mar 2026 09:00:30 GMT": 30 * time.Second, "Sun, 01 Mar 2026 08:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzDeviceKeyFile(f *testing.F) {
	dir := f.TempDir()
	k, err := loadOrCreateKey(filepath.Join(dir, "k"))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "k"))
	f.Add(good)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := parseKey("k", data)
		if err == nil && len(key) != len(k) {
			t.Fatalf("parsed a %d-byte key", len(key))
		}
	})
}

func TestDeviceKeyReused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "uplink.key")
	k1, err := loadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := loadOrCreateKey(p)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("second load: %v, same key %v", err, k1.Equal(k2))
	}
	if err := os.WriteFile(p, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateKey(p); err == nil {
		t.Fatal("a damaged key file was accepted (or silently replaced)")
	}
}

func FuzzEnrollmentFile(f *testing.F) {
	for _, s := range []string{
		`{"device_id":"d-1","venue":"v-1","collector":"https://c","public_key":"AAAA"}`,
		`{"device_id":"","venue":"v","public_key":"k"}`,
		`{"device_id":"d","venue":"v","public_key":"k","extra":1}`,
		`not json`, ``, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "e")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := readEnrollmentFile(path)
		if err != nil {
			return
		}
		if e == nil || e.DeviceID == "" || e.Venue == "" || e.PublicKey == "" {
			t.Fatalf("accepted %q as %+v", data, e)
		}
		// What it accepts, it writes back the same.
		if err := writeEnrollmentFile(path, *e); err != nil {
			t.Fatal(err)
		}
		again, err := readEnrollmentFile(path)
		if err != nil || *again != *e {
			t.Fatalf("round trip %+v -> %+v, %v", e, again, err)
		}
	})
}
