package camera

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/blackjack/webcam"
)

// TestWebcamFDField guards webcamFD: the library keeps its fd in an
// unexported uintptr field named fd.
func TestWebcamFDField(t *testing.T) {
	f, ok := reflect.TypeOf(webcam.Webcam{}).FieldByName("fd")
	if !ok || f.Type.Kind() != reflect.Uintptr {
		t.Fatalf("webcam.Webcam.fd is %v (found %v): update webcamFD", f.Type, ok)
	}
	if _, err := webcamFD(&webcam.Webcam{}); err != nil {
		t.Fatal(err)
	}
}

// TestStructSizes checks the structs passed to ioctls against the sizes
// encoded in the ioctl numbers (bits 16..29).
func TestStructSizes(t *testing.T) {
	size := func(req uintptr) uintptr { return req >> 16 & (1<<14 - 1) }
	if got, want := unsafe.Sizeof(v4l2Buffer{}), size(webcam.VIDIOC_QUERYBUF); got != want {
		t.Errorf("v4l2Buffer is %d bytes, VIDIOC_QUERYBUF says %d", got, want)
	}
	if got, want := unsafe.Sizeof(v4l2Format{}), size(webcam.VIDIOC_S_FMT); got != want {
		t.Errorf("v4l2Format is %d bytes, VIDIOC_S_FMT says %d", got, want)
	}
	if vidiocGFmt != webcam.VIDIOC_S_FMT-1 {
		t.Errorf("VIDIOC_G_FMT %#x should be VIDIOC_S_FMT %#x - 1", vidiocGFmt, webcam.VIDIOC_S_FMT)
	}
}

// TestListIn lists a fake /dev: a node that is not a V4L2 device is
// reported with its error, and by-id links are matched to their node.
func TestListIn(t *testing.T) {
	dev := t.TempDir()
	node := filepath.Join(dev, "video0")
	if err := os.WriteFile(node, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	byID := filepath.Join(dev, "v4l", "by-id")
	os.MkdirAll(byID, 0o755)
	link := filepath.Join(byID, "usb-Acme_Cam-video-index0")
	if err := os.Symlink("../../video0", link); err != nil {
		t.Fatal(err)
	}
	got, err := ListIn(dev)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Node != node || len(got[0].ByID) != 1 || got[0].ByID[0] != link || got[0].Err == nil {
		t.Fatalf("listIn = %+v", got)
	}
}

// TestRealDevice streams from a real capture device when there is one
// (vivid in the VM test; SCANGATE_CAMERA names another device).
func TestRealDevice(t *testing.T) {
	path := os.Getenv("SCANGATE_CAMERA")
	if path == "" {
		devs, err := List()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range devs {
			if d.Err == nil {
				path = d.Node
				break
			}
		}
	}
	if path == "" {
		t.Skip("no V4L2 capture device here; the VM test loads vivid")
	}
	c, err := New(Config{Device: path, Input: -1, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var last uint64
	for i := 0; i < 5; i++ {
		f, rel, err := c.NextFrame(ctx)
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			t.Fatalf("NextFrame: %v (state %+v)", err, c.State())
		}
		if f.Width <= 0 || f.Stride < f.Width || len(f.Y) < f.Stride*(f.Height-1)+f.Width {
			t.Fatalf("frame %dx%d stride %d len %d", f.Width, f.Height, f.Stride, len(f.Y))
		}
		if i > 0 && f.Seq <= last {
			t.Errorf("seq %d after %d", f.Seq, last)
		}
		last = f.Seq
		rel()
	}
	st := c.State()
	t.Logf("%s: %s %dx%d stride %d, %d frames, %d dropped", st.Node, st.Format, st.Width, st.Height, st.Stride, st.Frames, st.Dropped)
	if st.Frames == 0 {
		t.Fatalf("no frames: %+v", st)
	}
}

// TestRealMissingDevice: a configured path that does not exist makes
// NextFrame wait (honouring ctx) with the state saying why.
func TestRealMissingDevice(t *testing.T) {
	c, err := New(Config{Device: filepath.Join(t.TempDir(), "by-id", "usb-gone-video-index0"), Logger: quietLog,
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, _, err := c.NextFrame(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NextFrame = %v, want deadline exceeded", err)
	}
	if st := c.State(); st.Status != StatusDisconnected || !errors.Is(st.LastErr, os.ErrNotExist) {
		t.Errorf("State = %+v", st)
	}
}

// TestRealNotADevice: a path that exists but is no camera is an error
// worth returning, with backoff before the next attempt.
func TestRealNotADevice(t *testing.T) {
	p := filepath.Join(t.TempDir(), "video0")
	os.WriteFile(p, nil, 0o600)
	c, err := New(Config{Device: p, Logger: quietLog, RetryMin: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.NextFrame(context.Background()); err == nil || errors.Is(err, ErrDisconnected) {
		t.Fatalf("NextFrame on a plain file = %v", err)
	}
	start := time.Now()
	c.NextFrame(context.Background())
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Errorf("second attempt after %v: no backoff", d)
	}
}
