package voice

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// FuzzParseWAV: prompt files are outside input (a venue's own recordings
// on the data partition); the parser must never panic or hand out data
// that is not whole frames inside the file.
func FuzzParseWAV(f *testing.F) {
	if b, err := os.ReadFile("prompts/zh/pass.wav"); err == nil {
		f.Add(b[:4096])
	}
	f.Add(EncodeWAV(Format{Channels: 2, Rate: 44100, Bits: 16}, make([]byte, 16)))
	f.Add([]byte("RIFF\x04\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fm, data, err := ParseWAV(b)
		if err != nil {
			return
		}
		if len(data)%(2*fm.Channels) != 0 || len(data) > len(b) {
			t.Fatalf("%v: %d bytes of data from %d", fm, len(data), len(b))
		}
		round, d2, err := ParseWAV(EncodeWAV(fm, data))
		if err != nil || round != fm || string(d2) != string(data) {
			t.Fatalf("round trip: %v %v", round, err)
		}
	})
}

func TestParseWAV(t *testing.T) {
	ext, err := os.ReadFile("testdata/fuzz/FuzzParseWAV/extensible-list")
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	if _, err := fmt.Sscanf(strings.SplitN(string(ext), "\n", 2)[1], "[]byte(%q)", &b); err != nil {
		t.Fatal(err)
	}
	f, data, err := ParseWAV(b)
	if err != nil || f != (Format{Channels: 1, Rate: 16000, Bits: 16}) || len(data) != 8 {
		t.Errorf("extensible with a LIST chunk: %v %d %v", f, len(data), err)
	}
	good := EncodeWAV(Format{Channels: 1, Rate: 16000, Bits: 16}, make([]byte, 100))
	eight := EncodeWAV(Format{Channels: 1, Rate: 16000, Bits: 8}, make([]byte, 100))
	for name, tc := range map[string]struct {
		b    []byte
		want string
	}{
		"truncated": {good[:len(good)-10], "past the end"},
		"8-bit":     {eight, "8-bit samples"},
		"not riff":  {[]byte("OggS\x00\x00\x00\x00WAVE"), "not a RIFF/WAVE"},
		"no data":   {good[:36], "no data chunk"},
		"too big":   {make([]byte, MaxWAV+1), "limit"},
	} {
		b := append([]byte{}, tc.b...)
		if name == "no data" {
			b[4] = 28
		}
		if _, _, err := ParseWAV(b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}
