package statuspage

import (
	"context"
	"image"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scangate/scangate/control"
	"github.com/scangate/scangate/scanner"
)

func TestAimOf(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 640, 480))
	// bottom-left, top-left, top-right of a card square on, 100 px apart.
	square := AimOf(scanner.Snapshot{Image: img, Text: "x", Points: []image.Point{{100, 300}, {100, 200}, {200, 200}}})
	if !square.Decoded || math.Abs(square.Tilt) > 0.5 || math.Abs(square.Rotation) > 0.5 || square.SizePx != 100 ||
		square.CentreX != 150 || square.CentreY != 250 || square.FrameWidth != 640 {
		t.Fatalf("square on: %+v", square)
	}
	// Foreshortened to half its height: tilted 60° away.
	tilted := AimOf(scanner.Snapshot{Image: img, Points: []image.Point{{100, 250}, {100, 200}, {200, 200}}})
	if tilted.Decoded || math.Abs(tilted.Tilt-60) > 0.5 {
		t.Fatalf("tilted: %+v", tilted)
	}
	if none := AimOf(scanner.Snapshot{Image: img}); none.SizePx != 0 || none.Decoded {
		t.Fatalf("no card: %+v", none)
	}
}

type noCamera struct{}

func (noCamera) Status(context.Context) control.Status { return control.Status{Version: "v"} }
func (noCamera) Snapshot(context.Context) (scanner.Snapshot, error) {
	return scanner.Snapshot{}, ErrNoCamera
}

func TestHandlerWithoutCamera(t *testing.T) {
	srv := httptest.NewServer(Handler(noCamera{}))
	defer srv.Close()
	for path, want := range map[string]int{"/v1/aim": 404, "/v1/preview.jpg": 404, "/v1/status": 200, "/": 200, "/nope": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestHealth: each part's colour follows from the status, and the
// summary is the worst of them.
func TestHealth(t *testing.T) {
	good := control.Status{
		Sources: []control.SourceStatus{{Name: "camera0", State: "streaming"}, {Name: "serial0", State: "open"}},
		Store:   control.StoreStatus{Health: "ok"},
		Trust:   control.TrustStatus{ListVersion: 3},
		Clock:   control.ClockStatus{Synced: true},
	}
	level := func(st control.Status, part string) Level {
		for _, c := range Health(st, time.Now()) {
			if c.Part == part {
				return c.Level
			}
		}
		t.Fatalf("no %s check", part)
		return ""
	}
	if cs := Health(good, time.Now()); Worst(cs) != Green {
		t.Fatalf("a healthy kiosk: %+v", cs)
	}
	cases := []struct {
		name string
		edit func(*control.Status)
		part string
		want Level
	}{
		{"refusing", func(s *control.Status) { s.Trust.Refusing = "trust_data_stale" }, "trust", Red},
		{"stale", func(s *control.Status) { s.Trust.Stale = true }, "trust", Red},
		{"warn", func(s *control.Status) { s.Trust.Warn = true }, "trust", Amber},
		{"clock", func(s *control.Status) { s.Clock.Synced = false }, "clock", Amber},
		{"storage fault", func(s *control.Status) { s.Store.Health = "io" }, "storage", Red},
		{"storage error", func(s *control.Status) { s.Store.LastError = "disk I/O error" }, "storage", Amber},
		{"one reader down", func(s *control.Status) { s.Sources[0].State = "disconnected" }, "sources", Amber},
		{"no reader", func(s *control.Status) { s.Sources = nil }, "sources", Red},
		{"upload error", func(s *control.Status) { s.Uplink = &control.UplinkStatus{Enrolled: true, LastError: "timeout"} }, "uplink", Amber},
		{"not enrolled", func(s *control.Status) { s.Uplink = &control.UplinkStatus{} }, "uplink", Amber},
	}
	for _, c := range cases {
		st := good
		st.Sources = append([]control.SourceStatus(nil), good.Sources...)
		c.edit(&st)
		if got := level(st, c.part); got != c.want {
			t.Errorf("%s: %s is %s, want %s", c.name, c.part, got, c.want)
		}
		if got := Worst(Health(st, time.Now())); got != c.want {
			t.Errorf("%s: summary %s, want %s", c.name, got, c.want)
		}
	}
}

// TestProtectedNeedsAHash: the page is never served without a password.
func TestProtectedNeedsAHash(t *testing.T) {
	if _, err := Protected(noCamera{}, Options{}); err == nil {
		t.Fatal("Protected without a password hash")
	}
	if _, err := Protected(noCamera{}, Options{PasswordHash: "secret"}); err == nil {
		t.Fatal("Protected with a plain-text password")
	}
}
