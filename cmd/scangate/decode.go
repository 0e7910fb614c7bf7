package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/scangate/scangate/scanner"
)

func init() {
	register(command{name: "decode", summary: "decode QR codes in image files as the kiosk would", run: runDecode})
}

// decodeLine is one --json output line.
type decodeLine struct {
	File string  `json:"file"`
	Text *string `json:"text"`
	MS   float64 `json:"ms"`
}

// runDecode decodes each PNG, JPEG, WebP or PGM file with the camera
// pipeline's decode stage and settings. The time printed is decoding only,
// the image already in memory as a luminance frame.
func runDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per file: {\"file\",\"text\" (null if none),\"ms\"}")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: scangate decode [--json] IMAGE...")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "exit status: 0 all decoded, 1 some had no code, 2 a file could not be read")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	status := 0
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, path := range fs.Args() {
		f, err := scanner.LoadFrame(path)
		if err != nil {
			errorf(stderr, "decode: %v", err)
			status = 2
			continue
		}
		fd := scanner.NewFrameDecoder()
		start := time.Now()
		res, err := fd.Decode(f)
		ms := math.Round(float64(time.Since(start).Microseconds())/10) / 100
		line := decodeLine{File: path, MS: ms}
		if err == nil {
			line.Text = &res.Text
		} else if status == 0 {
			status = 1
		}
		if *asJSON {
			if err := enc.Encode(line); err != nil {
				return errorf(stderr, "decode: write: %v", err)
			}
			continue
		}
		text := "-"
		if line.Text != nil {
			text = printable(*line.Text)
		}
		fmt.Fprintf(stdout, "%s\t%.2f ms\t%s\n", path, ms, text)
	}
	return status
}

// printable keeps a decoded text on one line: texts with control
// characters (or a lone "-") are shown quoted.
func printable(s string) string {
	if s == "-" || s == "" {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
