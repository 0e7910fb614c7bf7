package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/scangate/camsim"
)

func writeDecodeFixtures(t *testing.T) (code, blank, broken string) {
	t.Helper()
	dir := t.TempDir()
	img, err := camsim.QR("SG1:DECODE TEST 123", 4)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	code = filepath.Join(dir, "card.png")
	blank = filepath.Join(dir, "blank.pgm")
	broken = filepath.Join(dir, "broken.png")
	for path, data := range map[string][]byte{
		code:   b.Bytes(),
		blank:  append([]byte("P5\n80 60\n255\n"), bytes.Repeat([]byte{200}, 80*60)...),
		broken: []byte("\x89PNG\r\n\x1a\nnot really"),
	} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return code, blank, broken
}

func TestDecodeText(t *testing.T) {
	code, blank, _ := writeDecodeFixtures(t)
	var out, errb bytes.Buffer
	if st := run([]string{"decode", code}, &out, &errb); st != 0 {
		t.Fatalf("status %d, stderr %s", st, errb.String())
	}
	fields := strings.Split(strings.TrimSpace(out.String()), "\t")
	if len(fields) != 3 || fields[0] != code || !strings.HasSuffix(fields[1], " ms") || fields[2] != "SG1:DECODE TEST 123" {
		t.Errorf("output %q", out.String())
	}
	out.Reset()
	if st := run([]string{"decode", code, blank}, &out, &errb); st != 1 {
		t.Errorf("status %d with an image without code, want 1", st)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.HasSuffix(lines[1], "\t-") {
		t.Errorf("output %q", out.String())
	}
}

func TestDecodeJSON(t *testing.T) {
	code, blank, broken := writeDecodeFixtures(t)
	var out, errb bytes.Buffer
	st := run([]string{"decode", "--json", code, blank, broken}, &out, &errb)
	if st != 2 {
		t.Errorf("status %d with an unreadable file, want 2", st)
	}
	if !strings.Contains(errb.String(), "broken.png") {
		t.Errorf("stderr %q does not name the unreadable file", errb.String())
	}
	var got []map[string]any
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, m)
	}
	if len(got) != 2 {
		t.Fatalf("got %d lines, want 2: %q", len(got), out.String())
	}
	if got[0]["file"] != code || got[0]["text"] != "SG1:DECODE TEST 123" {
		t.Errorf("first line %v", got[0])
	}
	if ms, ok := got[0]["ms"].(float64); !ok || ms < 0 {
		t.Errorf("ms = %v", got[0]["ms"])
	}
	if v, ok := got[1]["text"]; !ok || v != nil {
		t.Errorf("second line text = %v, want null", v)
	}
}

func TestDecodeUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if st := run([]string{"decode"}, &out, &errb); st != 2 {
		t.Errorf("status %d without files, want 2", st)
	}
}
