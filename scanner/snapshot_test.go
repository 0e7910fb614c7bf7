package scanner

import (
	"context"
	"testing"
	"time"

	"github.com/scangate/scangate/door"
)

// A snapshot is the frame the decoder saw, copied, with what it decoded
// and where: the status page's aiming aid.
func TestSnapshot(t *testing.T) {
	a, _, e := sceneFrames(t)
	frames := timeline(time.Unix(1_700_000_000, 0), a, 200, e, 200)
	cam := newScriptedCamera(frames)
	s := New(Config{})
	s.AddCamera("camera0", cam)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := make(chan door.Code, 16)
	go s.Run(ctx, out)
	collect(t, ctx, out, 1)

	snap, err := s.Snapshot(ctx, "camera0")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Image == nil || snap.Image.Bounds().Dx() != a.Width || snap.Image.Bounds().Dy() != a.Height {
		t.Fatalf("snapshot image %v", snap.Image)
	}
	if snap.Text != textA || len(snap.Points) < 3 {
		t.Fatalf("snapshot decode: %q %v", snap.Text, snap.Points)
	}
	for _, p := range snap.Points {
		if !p.In(snap.Image.Bounds()) {
			t.Errorf("finder point %v outside the frame", p)
		}
	}
	// The copy is the frame: same pixels as the scene.
	if snap.Image.Pix[a.Width*a.Height/2] != a.Y[a.Stride*(a.Height/2)] {
		t.Error("snapshot pixels differ from the frame")
	}
	if _, err := s.Snapshot(ctx, "camera9"); err == nil {
		t.Error("snapshot of an unknown camera")
	}
}
