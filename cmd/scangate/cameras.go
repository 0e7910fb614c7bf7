//go:build linux

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/scangate/scangate/drivers/camera"
)

// devDir is where cameras looks for video nodes; tests point it elsewhere.
var devDir = "/dev"

func init() {
	register(command{name: "cameras", summary: "list the video capture devices and the paths to put in scangate.toml", run: runCameras})
}

// runCameras lists capture devices with their stable by-id paths first:
// /dev/videoN numbers change with plug order, by-id links do not.
func runCameras(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("cameras", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print JSON")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	devs, err := camera.ListIn(devDir)
	if err != nil {
		return errorf(stderr, "%v", err)
	}
	if *asJSON {
		type format struct {
			Format      string   `json:"format"`
			Description string   `json:"description"`
			Sizes       []string `json:"sizes"`
		}
		type device struct {
			Node    string   `json:"node"`
			ByID    []string `json:"by_id,omitempty"`
			ByPath  []string `json:"by_path,omitempty"`
			Card    string   `json:"card,omitempty"`
			Bus     string   `json:"bus,omitempty"`
			Formats []format `json:"formats,omitempty"`
			Error   string   `json:"error,omitempty"`
		}
		out := []device{}
		for _, d := range devs {
			o := device{Node: d.Node, ByID: d.ByID, ByPath: d.ByPath, Card: d.Card, Bus: d.Bus}
			if d.Err != nil {
				o.Error = d.Err.Error()
			}
			for _, f := range d.Formats {
				o.Formats = append(o.Formats, format{Format: f.Format.String(), Description: f.Description, Sizes: f.Sizes})
			}
			out = append(out, o)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return errorf(stderr, "cameras: %v", err)
		}
		return 0
	}
	if len(devs) == 0 {
		fmt.Fprintf(stdout, "no video capture device under %s: is the camera plugged in? (lsusb shows USB devices)\n", devDir)
		return 1
	}
	for _, d := range devs {
		path := d.Node
		if len(d.ByID) > 0 {
			path = d.ByID[0]
		}
		fmt.Fprintf(stdout, "%s\n  [camera] device = %q\n", d.Node, path)
		if d.Card != "" {
			fmt.Fprintf(stdout, "  card %s, bus %s\n", d.Card, d.Bus)
		}
		for _, p := range d.ByPath {
			fmt.Fprintf(stdout, "  by USB port: %s\n", p)
		}
		for _, f := range d.Formats {
			fmt.Fprintf(stdout, "  %s (%s): %s\n", f.Format, f.Description, strings.Join(f.Sizes, " "))
		}
		if d.Err != nil {
			fmt.Fprintf(stdout, "  cannot be opened: %v\n", d.Err)
		}
	}
	return 0
}
