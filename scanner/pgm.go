package scanner

import (
	"bytes"
	"fmt"
	"strconv"
)

// parsePGM reads a binary (P5) PGM with maxval up to 65535 into an 8-bit
// gray plane. Plain PGM (P2) is accepted too; both are what tools and the
// benchmark write.
func parsePGM(data []byte) (pix []byte, w, h int, err error) {
	if len(data) < 2 || data[0] != 'P' || (data[1] != '5' && data[1] != '2') {
		return nil, 0, 0, fmt.Errorf("scanner: not a PGM file")
	}
	plain := data[1] == '2'
	p := 2
	var fields [3]int
	for i := range fields {
		tok, next, err := pgmToken(data, p)
		if err != nil {
			return nil, 0, 0, err
		}
		v, err := strconv.Atoi(string(tok))
		if err != nil || v <= 0 || v > 1<<16 {
			return nil, 0, 0, fmt.Errorf("scanner: PGM header field %q", tok)
		}
		fields[i] = v
		p = next
	}
	w, h, maxval := fields[0], fields[1], fields[2]
	if maxval > 65535 {
		return nil, 0, 0, fmt.Errorf("scanner: PGM maxval %d", maxval)
	}
	if w > 1<<14 || h > 1<<14 {
		return nil, 0, 0, fmt.Errorf("scanner: PGM size %dx%d too large", w, h)
	}
	pix = make([]byte, w*h)
	scale := func(v int) byte {
		if v > maxval {
			v = maxval
		}
		return byte(v * 255 / maxval)
	}
	if plain {
		for i := range pix {
			tok, next, err := pgmToken(data, p)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("scanner: PGM pixel %d: %w", i, err)
			}
			v, err := strconv.Atoi(string(tok))
			if err != nil || v < 0 {
				return nil, 0, 0, fmt.Errorf("scanner: PGM pixel %q", tok)
			}
			pix[i] = scale(v)
			p = next
		}
		return pix, w, h, nil
	}
	// Exactly one whitespace byte separates the header from the raster.
	if p >= len(data) || !isPGMSpace(data[p]) {
		return nil, 0, 0, fmt.Errorf("scanner: PGM header not terminated")
	}
	p++
	body := data[p:]
	bpp := 1
	if maxval > 255 {
		bpp = 2
	}
	if len(body) < w*h*bpp {
		return nil, 0, 0, fmt.Errorf("scanner: PGM raster holds %d bytes, %dx%d needs %d", len(body), w, h, w*h*bpp)
	}
	for i := range pix {
		if bpp == 1 {
			pix[i] = scale(int(body[i]))
		} else {
			pix[i] = scale(int(body[2*i])<<8 | int(body[2*i+1]))
		}
	}
	return pix, w, h, nil
}

func isPGMSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// pgmToken returns the next whitespace-separated token at or after p,
// skipping '#' comments.
func pgmToken(data []byte, p int) (tok []byte, next int, err error) {
	for p < len(data) {
		c := data[p]
		if c == '#' {
			nl := bytes.IndexByte(data[p:], '\n')
			if nl < 0 {
				return nil, 0, fmt.Errorf("scanner: PGM truncated in comment")
			}
			p += nl + 1
			continue
		}
		if !isPGMSpace(c) {
			break
		}
		p++
	}
	start := p
	for p < len(data) && !isPGMSpace(data[p]) && data[p] != '#' {
		p++
	}
	if start == p {
		return nil, 0, fmt.Errorf("scanner: PGM truncated")
	}
	return data[start:p], p, nil
}
