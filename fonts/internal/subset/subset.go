// Package subset cuts a TrueType font down to the characters asked for, so
// the build embeds a few megabytes of a font that ships tens of them.
//
// Glyph ids stay as they are (hmtx and every table indexed by glyph keep
// working unchanged); the outlines of glyphs no kept character needs are
// emptied, hinting is dropped (nothing in scangate runs TrueType hinting:
// golang.org/x/image/font/sfnt rasterises outlines as they are), and the
// cmap is rebuilt as one format 12 subtable holding only the kept
// characters, so a dropped character reads as absent, never as an empty
// glyph. Composite glyphs keep their components.
//
// Reference: the OpenType specification, tables glyf, loca, cmap, head
// and post (https://learn.microsoft.com/typography/opentype/spec/).
package subset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Tables kept as they are; everything else is dropped (hinting programs,
// layout tables, vertical metrics, vendor tables).
var keepTables = map[string]bool{"head": true, "hhea": true, "hmtx": true, "maxp": true, "name": true, "OS/2": true}

type table struct {
	tag  string
	data []byte
}

// Font is a parsed TrueType font: its tables by tag.
type Font struct {
	tables map[string][]byte
}

// Parse reads a TrueType (glyf-outline) font file.
func Parse(b []byte) (*Font, error) {
	if len(b) < 12 {
		return nil, errors.New("subset: file too short for a font")
	}
	if v := binary.BigEndian.Uint32(b); v != 0x00010000 && v != 0x74727565 {
		return nil, fmt.Errorf("subset: sfnt version %#x: not a TrueType font", v)
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if len(b) < 12+16*n {
		return nil, errors.New("subset: table directory truncated")
	}
	f := &Font{tables: map[string][]byte{}}
	for i := range n {
		rec := b[12+16*i:]
		tag := string(rec[:4])
		off, length := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(length) > uint64(len(b)) {
			return nil, fmt.Errorf("subset: table %q outside the file", tag)
		}
		f.tables[tag] = b[off : off+length]
	}
	for _, t := range []string{"head", "maxp", "cmap", "loca", "glyf", "hhea", "hmtx"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("subset: no %q table", t)
		}
	}
	if len(f.tables["head"]) < 54 || len(f.tables["maxp"]) < 6 {
		return nil, errors.New("subset: head or maxp table too short")
	}
	return f, nil
}

func (f *Font) numGlyphs() int { return int(binary.BigEndian.Uint16(f.tables["maxp"][4:])) }

// glyph returns the outline bytes of glyph id g.
func (f *Font) glyph(g int) ([]byte, error) {
	loca, glyf := f.tables["loca"], f.tables["glyf"]
	var lo, hi uint32
	if binary.BigEndian.Uint16(f.tables["head"][50:]) == 0 {
		if len(loca) < 2*(g+2) {
			return nil, errors.New("subset: loca truncated")
		}
		lo, hi = 2*uint32(binary.BigEndian.Uint16(loca[2*g:])), 2*uint32(binary.BigEndian.Uint16(loca[2*g+2:]))
	} else {
		if len(loca) < 4*(g+2) {
			return nil, errors.New("subset: loca truncated")
		}
		lo, hi = binary.BigEndian.Uint32(loca[4*g:]), binary.BigEndian.Uint32(loca[4*g+4:])
	}
	if lo > hi || hi > uint32(len(glyf)) {
		return nil, fmt.Errorf("subset: glyph %d outside glyf", g)
	}
	return glyf[lo:hi], nil
}

// Map returns the font's character map: rune to glyph id, from its best
// Unicode subtable (format 12 if there is one, else format 4).
func (f *Font) Map() (map[rune]uint16, error) {
	cmap := f.tables["cmap"]
	if len(cmap) < 4 {
		return nil, errors.New("subset: cmap too short")
	}
	n := int(binary.BigEndian.Uint16(cmap[2:]))
	best, bestRank := -1, 0
	for i := range n {
		if len(cmap) < 4+8*(i+1) {
			return nil, errors.New("subset: cmap directory truncated")
		}
		pid, eid := binary.BigEndian.Uint16(cmap[4+8*i:]), binary.BigEndian.Uint16(cmap[6+8*i:])
		off := int(binary.BigEndian.Uint32(cmap[8+8*i:]))
		if off+2 > len(cmap) {
			return nil, errors.New("subset: cmap subtable outside the table")
		}
		format := binary.BigEndian.Uint16(cmap[off:])
		rank := 0
		switch {
		case format == 12 && (pid == 3 && eid == 10 || pid == 0):
			rank = 2
		case format == 4 && (pid == 3 && eid == 1 || pid == 0):
			rank = 1
		}
		if rank > bestRank {
			best, bestRank = off, rank
		}
	}
	if best < 0 {
		return nil, errors.New("subset: no Unicode cmap subtable of format 4 or 12")
	}
	if bestRank == 2 {
		return parse12(cmap[best:])
	}
	return parse4(cmap[best:])
}

func parse12(b []byte) (map[rune]uint16, error) {
	if len(b) < 16 {
		return nil, errors.New("subset: cmap format 12 truncated")
	}
	n := int(binary.BigEndian.Uint32(b[12:]))
	if len(b) < 16+12*n {
		return nil, errors.New("subset: cmap format 12 groups truncated")
	}
	m := map[rune]uint16{}
	for i := range n {
		g := b[16+12*i:]
		lo, hi, gid := binary.BigEndian.Uint32(g), binary.BigEndian.Uint32(g[4:]), binary.BigEndian.Uint32(g[8:])
		if hi < lo || hi > 0x10FFFF {
			return nil, fmt.Errorf("subset: cmap group %#x..%#x invalid", lo, hi)
		}
		for r := lo; r <= hi; r++ {
			if id := gid + (r - lo); id != 0 && id < 0x10000 {
				m[rune(r)] = uint16(id)
			}
		}
	}
	return m, nil
}

func parse4(b []byte) (map[rune]uint16, error) {
	if len(b) < 14 {
		return nil, errors.New("subset: cmap format 4 truncated")
	}
	segs := int(binary.BigEndian.Uint16(b[6:])) / 2
	if len(b) < 16+8*segs {
		return nil, errors.New("subset: cmap format 4 segments truncated")
	}
	ends, starts := b[14:], b[16+2*segs:]
	deltas, ranges := b[16+4*segs:], b[16+6*segs:]
	m := map[rune]uint16{}
	for i := range segs {
		end, start := binary.BigEndian.Uint16(ends[2*i:]), binary.BigEndian.Uint16(starts[2*i:])
		delta, ro := binary.BigEndian.Uint16(deltas[2*i:]), int(binary.BigEndian.Uint16(ranges[2*i:]))
		for c := int(start); c <= int(end) && c != 0xFFFF; c++ {
			var gid uint16
			if ro == 0 {
				gid = uint16(c) + delta
			} else {
				at := 16 + 6*segs + 2*i + ro + 2*(c-int(start))
				if at+2 > len(b) {
					return nil, errors.New("subset: cmap format 4 glyph array truncated")
				}
				if gid = binary.BigEndian.Uint16(b[at:]); gid != 0 {
					gid += delta
				}
			}
			if gid != 0 {
				m[rune(c)] = gid
			}
		}
	}
	return m, nil
}

// Glyph flags of composite glyph components (glyf table).
const (
	argsAreWords    = 0x0001
	haveScale       = 0x0008
	moreComponents  = 0x0020
	haveXYScale     = 0x0040
	haveTwoByTwo    = 0x0080
	haveInstruction = 0x0100
)

// components returns the glyph ids a composite glyph is made of.
func components(g []byte) ([]uint16, error) {
	var out []uint16
	p := 10
	for {
		if p+4 > len(g) {
			return nil, errors.New("subset: composite glyph truncated")
		}
		flags := binary.BigEndian.Uint16(g[p:])
		out = append(out, binary.BigEndian.Uint16(g[p+2:]))
		p += 4 + componentArgs(flags)
		if flags&moreComponents == 0 {
			return out, nil
		}
	}
}

func componentArgs(flags uint16) int {
	n := 2
	if flags&argsAreWords != 0 {
		n = 4
	}
	switch {
	case flags&haveScale != 0:
		n += 2
	case flags&haveXYScale != 0:
		n += 4
	case flags&haveTwoByTwo != 0:
		n += 8
	}
	return n
}

// stripHinting returns the glyph without its TrueType instructions.
func stripHinting(g []byte) ([]byte, error) {
	if len(g) == 0 {
		return nil, nil
	}
	if len(g) < 10 {
		return nil, errors.New("subset: glyph header truncated")
	}
	contours := int16(binary.BigEndian.Uint16(g))
	if contours >= 0 {
		at := 10 + 2*int(contours)
		if at+2 > len(g) {
			return nil, errors.New("subset: simple glyph truncated")
		}
		n := int(binary.BigEndian.Uint16(g[at:]))
		if at+2+n > len(g) {
			return nil, errors.New("subset: glyph instructions truncated")
		}
		out := append([]byte{}, g[:at]...)
		out = append(out, 0, 0)
		return append(out, g[at+2+n:]...), nil
	}
	out := append([]byte{}, g...)
	p := 10
	for {
		if p+4 > len(out) {
			return nil, errors.New("subset: composite glyph truncated")
		}
		flags := binary.BigEndian.Uint16(out[p:])
		binary.BigEndian.PutUint16(out[p:], flags&^haveInstruction)
		p += 4 + componentArgs(flags)
		if flags&moreComponents == 0 {
			return out[:p], nil
		}
	}
}

// Subset returns a font holding the glyphs of the characters keep accepts
// and that the font maps, with nothing else.
func (f *Font) Subset(keep func(rune) bool) ([]byte, int, error) {
	m, err := f.Map()
	if err != nil {
		return nil, 0, err
	}
	kept := map[rune]uint16{}
	need := map[uint16]bool{0: true}
	var queue []uint16
	for r, g := range m {
		if keep(r) && int(g) < f.numGlyphs() {
			kept[r] = g
			if !need[g] {
				need[g] = true
				queue = append(queue, g)
			}
		}
	}
	for len(queue) > 0 {
		g := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		data, err := f.glyph(int(g))
		if err != nil {
			return nil, 0, err
		}
		if len(data) >= 10 && int16(binary.BigEndian.Uint16(data)) < 0 {
			cs, err := components(data)
			if err != nil {
				return nil, 0, fmt.Errorf("glyph %d: %w", g, err)
			}
			for _, c := range cs {
				if !need[c] && int(c) < f.numGlyphs() {
					need[c] = true
					queue = append(queue, c)
				}
			}
		}
	}
	var glyf []byte
	loca := make([]byte, 4*(f.numGlyphs()+1))
	for g := range f.numGlyphs() {
		binary.BigEndian.PutUint32(loca[4*g:], uint32(len(glyf)))
		if !need[uint16(g)] {
			continue
		}
		data, err := f.glyph(g)
		if err != nil {
			return nil, 0, err
		}
		if data, err = stripHinting(data); err != nil {
			return nil, 0, fmt.Errorf("glyph %d: %w", g, err)
		}
		glyf = append(glyf, data...)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
	}
	binary.BigEndian.PutUint32(loca[4*f.numGlyphs():], uint32(len(glyf)))

	head := append([]byte{}, f.tables["head"]...)
	binary.BigEndian.PutUint16(head[50:], 1) // long loca offsets
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	tables := []table{{"head", head}, {"loca", loca}, {"glyf", glyf}, {"cmap", cmap12(kept)}, {"post", post3(f.tables["post"])}}
	for tag, data := range f.tables {
		if keepTables[tag] && tag != "head" {
			tables = append(tables, table{tag, data})
		}
	}
	return assemble(tables), len(kept), nil
}

// cmap12 is a cmap with one (3, 10) format 12 subtable mapping m.
func cmap12(m map[rune]uint16) []byte {
	rs := make([]rune, 0, len(m))
	for r := range m {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	var groups [][3]uint32
	for _, r := range rs {
		g := uint32(m[r])
		if n := len(groups); n > 0 && groups[n-1][1]+1 == uint32(r) && groups[n-1][2]+(groups[n-1][1]-groups[n-1][0])+1 == g {
			groups[n-1][1] = uint32(r)
			continue
		}
		groups = append(groups, [3]uint32{uint32(r), uint32(r), g})
	}
	sub := make([]byte, 16+12*len(groups))
	binary.BigEndian.PutUint16(sub, 12)
	binary.BigEndian.PutUint32(sub[4:], uint32(len(sub)))
	binary.BigEndian.PutUint32(sub[12:], uint32(len(groups)))
	for i, g := range groups {
		binary.BigEndian.PutUint32(sub[16+12*i:], g[0])
		binary.BigEndian.PutUint32(sub[20+12*i:], g[1])
		binary.BigEndian.PutUint32(sub[24+12*i:], g[2])
	}
	hdr := []byte{0, 0, 0, 1, 0, 3, 0, 10, 0, 0, 0, 12}
	return append(hdr, sub...)
}

// post3 is a version 3 post table (no glyph names) with the metrics of
// the original, or defaults when it had none.
func post3(orig []byte) []byte {
	p := make([]byte, 32)
	if len(orig) >= 32 {
		copy(p, orig[:32])
	}
	binary.BigEndian.PutUint32(p, 0x00030000)
	return p
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}

// assemble writes the tables as a font file, sorted by tag, each 4-byte
// aligned, with checksums and head's checkSumAdjustment.
func assemble(tables []table) []byte {
	sort.Slice(tables, func(i, j int) bool { return tables[i].tag < tables[j].tag })
	n := len(tables)
	entrySel := 0
	for 1<<(entrySel+1) <= n {
		entrySel++
	}
	searchRange := 16 << entrySel
	out := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(searchRange))
	binary.BigEndian.PutUint16(out[8:], uint16(entrySel))
	binary.BigEndian.PutUint16(out[10:], uint16(16*n-searchRange))
	headAt := 0
	for i, t := range tables {
		rec := out[12+16*i:]
		copy(rec, t.tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(t.data))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(t.data)))
		if t.tag == "head" {
			headAt = len(out)
		}
		out = append(out, t.data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	return out
}
