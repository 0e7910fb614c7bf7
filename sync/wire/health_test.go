package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleHealth() Health {
	refuse := time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC)
	return Health{Software: "1.4.0", Slot: "B", OutboxDepth: 12, OutboxOldest: Duration(90 * time.Second),
		TrustKnown: true, TrustAge: Duration(26 * time.Hour), RefuseFrom: &refuse,
		ClockOffsetMS: -1500, ClockMeasured: true, LastError: "upload: connection refused"}
}

func TestHealthParamRoundTrip(t *testing.T) {
	want := sampleHealth()
	s, err := EncodeHealthParam(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeHealthParam(s)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("round trip:\n got %s\nwant %s", b, a)
	}
}

func TestHealthRefused(t *testing.T) {
	for name, mod := range map[string]func(*Health){
		"slot":           func(h *Health) { h.Slot = strings.Repeat("A", MaxSlotLen+1) },
		"negative depth": func(h *Health) { h.OutboxDepth = -1 },
		"offset":         func(h *Health) { h.ClockOffsetMS = 1 << 62 },
		"long error":     func(h *Health) { h.LastError = strings.Repeat("x", MaxHealthError+1) },
		"no trust":       func(h *Health) { h.TrustKnown = false },
		"year":           func(h *Health) { y := time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC); h.RefuseFrom = &y },
	} {
		h := sampleHealth()
		mod(&h)
		if _, err := EncodeHealthParam(h); err == nil {
			t.Errorf("%s: encoded", name)
		}
		b := sampleBatch(1)
		b.Health = &h
		raw, _ := json.Marshal(b)
		if _, err := DecodeBatch(raw); err == nil || statusOf(t, err) != 400 {
			t.Errorf("%s: batch accepted or wrong status: %v", name, err)
		}
	}
	for _, s := range []string{"!!", strings.Repeat("A", MaxHealthParam+1), "e30" /* {} is fine */ + "x", "bnVsbA" /* null */} {
		if h, err := DecodeHealthParam(s); err == nil && s != "bnVsbA" {
			t.Errorf("%q decoded: %+v", s, h)
		}
	}
	if _, err := DecodeHealthParam("eyJ4IjoxfQ"); err == nil { // {"x":1}
		t.Error("unknown field accepted")
	}
}

// A batch without health (an older device) and one with it both decode.
func TestBatchHealthOptional(t *testing.T) {
	old, _ := json.Marshal(sampleBatch(1))
	if strings.Contains(string(old), "health") {
		t.Fatalf("a batch without health names it: %s", old)
	}
	if b, err := DecodeBatch(old); err != nil || b.Health != nil {
		t.Fatalf("old batch: %+v %v", b.Health, err)
	}
	nb := sampleBatch(1)
	h := sampleHealth()
	nb.Health = &h
	raw, _ := json.Marshal(nb)
	b, err := DecodeBatch(raw)
	if err != nil || b.Health == nil || b.Health.Slot != "B" || b.Health.ClockOffsetMS != -1500 {
		t.Fatalf("new batch: %+v %v", b.Health, err)
	}
}

func TestShortError(t *testing.T) {
	s := ShortError(strings.Repeat("错", 100)) // 300 bytes
	if len(s) > MaxHealthError || !strings.HasPrefix(s, "错") || len(s)%3 != 0 {
		t.Fatalf("cut %d bytes: %q", len(s), s)
	}
	if ShortError("\xff ok") != "? ok" {
		t.Fatal("invalid UTF-8 kept")
	}
}

func FuzzDecodeHealthParam(f *testing.F) {
	good, _ := EncodeHealthParam(sampleHealth())
	f.Add(good)
	f.Add("e30")
	f.Add("eyJzbG90IjoiQyJ9")
	f.Add("eyJvdXRib3hfZGVwdGgiOi0xfQ")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := DecodeHealthParam(s)
		if err != nil {
			if statusOf(t, err) != 400 {
				t.Fatalf("status for %q: %v", s, err)
			}
			return
		}
		if h.Check() != nil || len(h.LastError) > MaxHealthError || h.OutboxDepth < 0 {
			t.Fatalf("accepted %+v", h)
		}
		if _, err := EncodeHealthParam(h); err != nil {
			t.Fatalf("accepted %+v but cannot send it: %v", h, err)
		}
	})
}
