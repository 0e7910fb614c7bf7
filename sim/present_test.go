package sim

import (
	"bytes"
	"encoding/json"
	"image"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/door"
)

// fakeDoor decides every typed text as a pass, on the serial source.
type fakeDoor struct {
	mu    sync.Mutex
	typed []string
	subs  []chan door.Shown
	mute  bool // decide nothing (an unreadable code)
}

func (f *fakeDoor) Show(*image.Gray) {}

func (f *fakeDoor) Type(text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.typed = append(f.typed, text)
	if f.mute {
		return nil
	}
	now := time.Now()
	for _, c := range f.subs {
		c <- door.Shown{Decision: door.Decision{Outcome: door.Pass, Reason: door.ReasonPass, Source: SerialSource, Name: "王*英"}, ShownAt: now}
	}
	return nil
}

func (f *fakeDoor) Subscribe() (<-chan door.Shown, func()) {
	c := make(chan door.Shown, 4)
	f.mu.Lock()
	f.subs = append(f.subs, c)
	f.mu.Unlock()
	return c, func() {}
}

func post(t *testing.T, h http.Handler, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/present", bytes.NewReader(b)))
	return rec.Code, rec.Body.Bytes()
}

func TestPresent(t *testing.T) {
	d := &fakeDoor{}
	h := NewPresent(d)
	code, body := post(t, h, control.PresentRequest{Text: "SG1:abc"})
	var res control.PresentResult
	if code != 200 || json.Unmarshal(body, &res) != nil || res.Decision != "pass" || res.Name != "王*英" {
		t.Fatalf("%d %s", code, body)
	}
	for _, bad := range []control.PresentRequest{{}, {Text: "x", Image: []byte{1}}, {Image: []byte("not an image")}} {
		if code, body := post(t, h, bad); code != 400 {
			t.Errorf("%+v: %d %s", bad, code, body)
		}
	}
	d.mute = true
	if code, _ := post(t, h, control.PresentRequest{Text: "unread", Wait: 10 * time.Millisecond}); code != http.StatusGatewayTimeout {
		t.Fatalf("no decision: %d", code)
	}
	if len(d.typed) != 2 {
		t.Fatalf("typed %q", d.typed)
	}
}
