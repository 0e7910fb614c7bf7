package statuspage

import (
	"context"
	"image"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

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
