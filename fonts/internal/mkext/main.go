// Command mkext writes the extension fonts fonts/ext embeds: the Hanazono
// Mincho fonts (Debian's fonts-hanazono, fetched by scripts/fonts.sh) cut
// down to the Chinese characters the base CJK font (DroidSansFallback)
// lacks: CJK Extension A and the rest from HanaMinA, Extension B and the
// compatibility supplement from HanaMinB.
//
//	go run ./fonts/internal/mkext -a HanaMinA.ttf -b HanaMinB.ttf -out fonts/ext
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/image/font/sfnt"

	"github.com/scangate/scangate/fonts/internal/subset"
)

// Blocks taken from each font (Unicode 15 block ranges).
var (
	blocksA = [][2]rune{
		{0x2E80, 0x2EFF}, // CJK Radicals Supplement
		{0x2F00, 0x2FDF}, // Kangxi Radicals
		{0x3000, 0x303F}, // CJK Symbols and Punctuation
		{0x3400, 0x4DBF}, // CJK Unified Ideographs Extension A
		{0x4E00, 0x9FFF}, // CJK Unified Ideographs
		{0xF900, 0xFAFF}, // CJK Compatibility Ideographs
	}
	blocksB = [][2]rune{
		{0x20000, 0x2A6DF}, // CJK Unified Ideographs Extension B
		{0x2F800, 0x2FA1F}, // CJK Compatibility Ideographs Supplement
	}
)

func main() {
	a := flag.String("a", "", "HanaMinA.ttf")
	b := flag.String("b", "", "HanaMinB.ttf")
	base := flag.String("base", "fonts/DroidSansFallback.ttf", "the base CJK font: characters it has are not taken")
	out := flag.String("out", "fonts/ext", "output directory")
	flag.Parse()
	if *a == "" || *b == "" {
		fmt.Fprintln(os.Stderr, "usage: mkext -a HanaMinA.ttf -b HanaMinB.ttf [-base DroidSansFallback.ttf] [-out fonts/ext]")
		os.Exit(2)
	}
	if err := run(*a, *b, *base, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkext:", err)
		os.Exit(1)
	}
}

func run(a, b, base, out string) error {
	raw, err := os.ReadFile(base)
	if err != nil {
		return err
	}
	bf, err := sfnt.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", base, err)
	}
	var buf sfnt.Buffer
	inBase := func(r rune) bool {
		g, err := bf.GlyphIndex(&buf, r)
		return err == nil && g != 0
	}
	for _, job := range []struct {
		src, dst string
		blocks   [][2]rune
	}{
		{a, "10-HanaMinA-sub.ttf", blocksA},
		{b, "20-HanaMinB-sub.ttf", blocksB},
	} {
		src, err := os.ReadFile(job.src)
		if err != nil {
			return err
		}
		f, err := subset.Parse(src)
		if err != nil {
			return fmt.Errorf("%s: %w", job.src, err)
		}
		sub, n, err := f.Subset(func(r rune) bool {
			for _, bl := range job.blocks {
				if r >= bl[0] && r <= bl[1] {
					return !inBase(r)
				}
			}
			return false
		})
		if err != nil {
			return fmt.Errorf("%s: %w", job.src, err)
		}
		if _, err := sfnt.Parse(sub); err != nil {
			return fmt.Errorf("%s: the subset does not parse: %w", job.dst, err)
		}
		dst := filepath.Join(out, job.dst)
		if err := os.WriteFile(dst+".tmp", sub, 0o644); err != nil {
			return err
		}
		if err := os.Rename(dst+".tmp", dst); err != nil {
			return err
		}
		fmt.Printf("%s: %d characters, %d bytes (from %d)\n", dst, n, len(sub), len(src))
	}
	return nil
}
