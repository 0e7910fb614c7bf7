package camera

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blackjack/webcam"
)

// DeviceInfo describes one V4L2 capture node for `scangate cameras`, which
// technicians run to choose a stable device path.
type DeviceInfo struct {
	Node    string   // /dev/videoN
	ByID    []string // /dev/v4l/by-id links to it: use these in scangate.toml
	ByPath  []string // /dev/v4l/by-path links (stable per USB port)
	Card    string   // the driver's card name, e.g. "HD Pro Webcam C920"
	Bus     string   // bus info, e.g. "usb-0000:01:00.0-1.2"
	Formats []FormatInfo
	Err     error // set when the node could not be queried (busy, not capture)
}

// FormatInfo is one pixel format and the sizes offered in it.
type FormatInfo struct {
	Format      PixelFormat
	Description string
	Sizes       []string // "640x480" or a stepwise range
}

// List describes the video nodes under /dev. Nodes that are not capture
// devices (UVC metadata nodes, vivid output nodes) are left out; a node
// that exists but cannot be opened is listed with Err set.
func List() ([]DeviceInfo, error) {
	return ListIn("/dev")
}

// ListIn is List for a /dev tree at dev.
func ListIn(dev string) ([]DeviceInfo, error) {
	nodes, err := filepath.Glob(filepath.Join(dev, "video*"))
	if err != nil {
		return nil, fmt.Errorf("camera: list %s: %w", dev, err)
	}
	sort.Strings(nodes)
	links := func(dir string) map[string][]string {
		m := map[string][]string{}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if t, err := filepath.EvalSymlinks(p); err == nil {
				m[t] = append(m[t], p)
			}
		}
		return m
	}
	byID := links(filepath.Join(dev, "v4l", "by-id"))
	byPath := links(filepath.Join(dev, "v4l", "by-path"))
	var out []DeviceInfo
	for _, n := range nodes {
		info := DeviceInfo{Node: n, ByID: byID[n], ByPath: byPath[n]}
		w, err := webcam.Open(n)
		if err != nil {
			if strings.Contains(err.Error(), "Not a video capture device") ||
				strings.Contains(err.Error(), "does not support the streaming") {
				continue
			}
			info.Err = err
			out = append(out, info)
			continue
		}
		info.Card, _ = w.GetName()
		info.Bus, _ = w.GetBusInfo()
		for pf, desc := range w.GetSupportedFormats() {
			fi := FormatInfo{Format: PixelFormat(pf), Description: desc}
			for _, s := range w.GetSupportedFrameSizes(pf) {
				fi.Sizes = append(fi.Sizes, s.GetString())
			}
			info.Formats = append(info.Formats, fi)
		}
		sort.Slice(info.Formats, func(i, j int) bool { return info.Formats[i].Format < info.Formats[j].Format })
		w.Close()
		out = append(out, info)
	}
	return out, nil
}
