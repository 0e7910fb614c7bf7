package camera

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
)

// deinterleaveYUYV copies the Y samples of a packed 4:2:2 frame (Y0 U Y1 V,
// rows stride bytes apart) into dst, rows w bytes apart. It works eight
// pixels at a time through 64-bit words, about 2× a byte loop; the words
// are read little-endian, so the byte order in memory is what counts.
//
// Why copy at all: door.Frame cannot express a pixel step of 2, and gozxing's
// binarizer copies the whole luminance matrix out of any source anyway, so
// a source that stepped over chroma would pay the same pass per frame
// with more index arithmetic. One pass here gives every consumer a plain
// plane and lets the mmap buffer go back to the driver at once.
func deinterleaveYUYV(dst, src []byte, w, h, stride int) {
	for y := 0; y < h; y++ {
		s := src[y*stride : y*stride+2*w]
		d := dst[y*w : y*w+w]
		for len(s) >= 16 && len(d) >= 8 {
			a := binary.LittleEndian.Uint64(s[:8])
			b := binary.LittleEndian.Uint64(s[8:16])
			binary.LittleEndian.PutUint64(d[:8], uint64(evenBytes(a))|uint64(evenBytes(b))<<32)
			s, d = s[16:], d[8:]
		}
		for j := range d {
			d[j] = s[2*j]
		}
	}
}

// evenBytes packs bytes 0, 2, 4, 6 of x (little-endian) into 32 bits.
func evenBytes(x uint64) uint32 {
	x &= 0x00ff00ff00ff00ff
	x = (x | x>>8) & 0x0000ffff0000ffff
	x = (x | x>>16) & 0x00000000ffffffff
	return uint32(x)
}

// errNotJPEG is returned for an MJPEG buffer that does not start with SOI.
var errNotJPEG = errors.New("camera: MJPEG frame does not start with SOI")

// decodeJPEGLuma decodes one MJPEG frame and returns its luminance plane
// without any RGB conversion: image/jpeg yields *image.YCbCr (colour) or
// *image.Gray (one component), both of which hold Y as a plane. scratch
// is reused for frames that need the default Huffman tables spliced in.
func decodeJPEGLuma(data []byte, scratch *[]byte) (y []byte, w, h, stride int, err error) {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return nil, 0, 0, 0, errNotJPEG
	}
	if sos, ok := needsDefaultHuffman(data); ok {
		dht := defaultDHT()
		buf := append((*scratch)[:0], data[:sos]...)
		buf = append(buf, dht...)
		buf = append(buf, data[sos:]...)
		*scratch = buf
		data = buf
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("camera: decode MJPEG frame: %w", err)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		r := m.Rect
		return m.Y, r.Dx(), r.Dy(), m.YStride, nil
	case *image.Gray:
		r := m.Rect
		return m.Pix, r.Dx(), r.Dy(), m.Stride, nil
	}
	return nil, 0, 0, 0, fmt.Errorf("camera: MJPEG frame decodes to %T, want YCbCr or Gray", img)
}

// needsDefaultHuffman walks the marker segments up to SOS and reports
// whether the frame lacks a DHT segment, as MJPEG from many UVC cameras
// does (the AVI1 convention: decoders use the tables of ITU T.81 K.3).
// sos is the offset of the SOS marker.
func needsDefaultHuffman(b []byte) (sos int, missing bool) {
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xff {
			return 0, false
		}
		m := b[i+1]
		switch {
		case m == 0xff: // fill byte
			i++
			continue
		case m == 0xc4:
			return 0, false
		case m == 0xda:
			return i, true
		case m == 0xd8 || m >= 0xd0 && m <= 0xd7 || m == 0x01:
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 {
			return 0, false
		}
		i += 2 + n
	}
	return 0, false
}

// defaultDHT is the DHT segment holding the ITU T.81 K.3 tables, taken
// from image/jpeg's own encoder output: for a colour image it writes
// exactly those four tables.
var defaultDHT = sync.OnceValue(func() []byte {
	var out bytes.Buffer
	if err := jpeg.Encode(&out, image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio420), nil); err != nil {
		panic("camera: encode probe JPEG: " + err.Error())
	}
	b := out.Bytes()
	i := 2
	var dht []byte
	for i+4 <= len(b) && b[i] == 0xff && b[i+1] != 0xda {
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if b[i+1] == 0xc4 {
			dht = append(dht, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	if len(dht) == 0 {
		panic("camera: image/jpeg wrote no DHT segment")
	}
	return dht
})
