//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCameras lists a /dev tree with one node that is not a real V4L2
// device: the stable by-id path is offered for scangate.toml, the node's
// error is shown, and an empty tree says what to check.
func TestCameras(t *testing.T) {
	dev := t.TempDir()
	old := devDir
	devDir = dev
	t.Cleanup(func() { devDir = old })

	var out, errb bytes.Buffer
	if code := run([]string{"cameras"}, &out, &errb); code != 1 || !strings.Contains(out.String(), "no video capture device") {
		t.Fatalf("empty /dev: exit %d, %q %q", code, out.String(), errb.String())
	}

	if err := os.WriteFile(filepath.Join(dev, "video0"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	byID := filepath.Join(dev, "v4l", "by-id")
	if err := os.MkdirAll(byID, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(byID, "usb-Acme_Cam-video-index0")
	if err := os.Symlink("../../video0", link); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"cameras"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if want := `[camera] device = "` + link + `"`; !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "cannot be opened") {
		t.Fatalf("output lacks %q or the node's error:\n%s", want, out.String())
	}
	out.Reset()
	if code := run([]string{"cameras", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("--json exit %d: %s", code, errb.String())
	}
	var got []struct {
		Node  string   `json:"node"`
		ByID  []string `json:"by_id"`
		Error string   `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(got) != 1 || got[0].Node != filepath.Join(dev, "video0") || len(got[0].ByID) != 1 || got[0].Error == "" {
		t.Fatalf("--json = %+v", got)
	}
}
