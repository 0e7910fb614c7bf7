package scanner

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir holds ZXing's and zxing-cpp's QR black-box photos with their
// expected texts (see its SOURCES.txt); SCANGATE_CORPUS overrides it.
var corpusDir = func() string {
	if d := os.Getenv("SCANGATE_CORPUS"); d != "" {
		return d
	}
	return "../../shared/corpus/zxing-blackbox"
}()

// corpusFloor is the decoded count of the 316 black-box photos last
// measured (2026-12-04: 291 with triples scored in space, 290 with the grid fitted to the timing patterns, 287 with candidates seen once in the triples,
// 286 with the edges' corner and the alignment template; 2026-12-03: 283 with tiles and the perspective alignment guess;
// 2026-11-25: 279 with the own finder, 274 before); a change that decodes
// fewer is a regression.
const corpusFloor = 291

type corpusImage struct {
	set, name, path, want string
}

func loadCorpus(t testing.TB) []corpusImage {
	t.Helper()
	sets, err := filepath.Glob(filepath.Join(corpusDir, "*qrcode-*"))
	if err != nil || len(sets) == 0 {
		t.Skipf("corpus not found at %s", corpusDir)
	}
	sort.Strings(sets)
	var imgs []corpusImage
	for _, dir := range sets {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			n := e.Name()
			if strings.HasSuffix(n, ".txt") {
				continue
			}
			base := strings.TrimSuffix(n, filepath.Ext(n))
			want, err := os.ReadFile(filepath.Join(dir, base+".txt"))
			if err != nil {
				continue // parts of a structured-append message have no text of their own
			}
			imgs = append(imgs, corpusImage{filepath.Base(dir), n, filepath.Join(dir, n), string(want)})
		}
	}
	return imgs
}

func TestCorpus(t *testing.T) {
	if raceEnabled {
		t.Skip("decode counts are checked without -race (single goroutine, ten times slower under it)")
	}
	imgs := loadCorpus(t)
	d := NewDecoder()
	perSet := map[string][2]int{}
	var sets []string
	total := 0
	for _, img := range imgs {
		f, err := LoadFrame(img.path)
		if err != nil {
			t.Errorf("%s/%s: %v", img.set, img.name, err)
			continue
		}
		c := perSet[img.set]
		if c[1] == 0 {
			sets = append(sets, img.set)
		}
		c[1]++
		text, err := d.Decode(f)
		if err == nil && text == img.want {
			c[0]++
			total++
		} else if testing.Verbose() {
			t.Logf("miss %s/%s (%dx%d): %v", img.set, img.name, f.Width, f.Height, err)
		}
		perSet[img.set] = c
	}
	for _, s := range sets {
		t.Logf("%-20s %3d / %3d", s, perSet[s][0], perSet[s][1])
	}
	t.Logf("total %d / %d (floor %d)", total, len(imgs), corpusFloor)
	if total < corpusFloor {
		t.Errorf("decoded %d corpus photos, below the floor of %d", total, corpusFloor)
	}
}
