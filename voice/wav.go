package voice

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxWAV bounds a prompt file: a prompt is seconds long, and the file is
// outside input (a venue may put its own recordings on the data partition).
const MaxWAV = 4 << 20

// Format is the sample layout of a WAV file's PCM data.
type Format struct {
	Channels int
	Rate     int // samples per second
	Bits     int // bits per sample
}

func (f Format) String() string {
	return fmt.Sprintf("%d Hz, %d channel(s), %d bit", f.Rate, f.Channels, f.Bits)
}

// ParseWAV reads a RIFF/WAVE file of 16-bit PCM (the format the player
// scales for volume) and returns its format and sample data, a slice of b.
// Chunks other than "fmt " and "data" are skipped; sizes must be true.
func ParseWAV(b []byte) (Format, []byte, error) {
	var f Format
	if len(b) > MaxWAV {
		return f, nil, fmt.Errorf("wav: %d bytes, limit %d", len(b), MaxWAV)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return f, nil, errors.New("wav: not a RIFF/WAVE file")
	}
	if riff := binary.LittleEndian.Uint32(b[4:8]); uint64(riff)+8 > uint64(len(b)) {
		return f, nil, fmt.Errorf("wav: RIFF size %d past the end of the file (%d bytes)", riff, len(b))
	}
	var data []byte
	haveFmt := false
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int64(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		body := int64(p + 8)
		if body+size > int64(len(b)) {
			return f, nil, fmt.Errorf("wav: chunk %q of %d bytes past the end of the file", id, size)
		}
		c := b[body : body+size]
		switch id {
		case "fmt ":
			if len(c) < 16 {
				return f, nil, fmt.Errorf("wav: fmt chunk of %d bytes", len(c))
			}
			tag := binary.LittleEndian.Uint16(c[0:2])
			if tag == 0xfffe && len(c) >= 26 { // WAVE_FORMAT_EXTENSIBLE: the subformat's first two bytes
				tag = binary.LittleEndian.Uint16(c[24:26])
			}
			if tag != 1 {
				return f, nil, fmt.Errorf("wav: format %#x is not PCM", tag)
			}
			f = Format{Channels: int(binary.LittleEndian.Uint16(c[2:4])), Rate: int(binary.LittleEndian.Uint32(c[4:8])),
				Bits: int(binary.LittleEndian.Uint16(c[14:16]))}
			haveFmt = true
		case "data":
			data = c
		}
		p = int(body + size + size&1) // chunks are padded to an even size
		if data != nil && haveFmt {
			break
		}
	}
	switch {
	case !haveFmt:
		return f, nil, errors.New("wav: no fmt chunk")
	case data == nil:
		return f, nil, errors.New("wav: no data chunk")
	case f.Bits != 16:
		return f, nil, fmt.Errorf("wav: %d-bit samples, want 16-bit PCM", f.Bits)
	case f.Channels < 1 || f.Channels > 2:
		return f, nil, fmt.Errorf("wav: %d channels, want mono or stereo", f.Channels)
	case f.Rate < 8000 || f.Rate > 48000:
		return f, nil, fmt.Errorf("wav: sample rate %d Hz out of 8000..48000", f.Rate)
	case len(data)%(2*f.Channels) != 0:
		return f, nil, fmt.Errorf("wav: data of %d bytes is not whole frames", len(data))
	}
	return f, data, nil
}

// EncodeWAV writes pcm (16-bit little-endian samples) as a WAV file.
func EncodeWAV(f Format, pcm []byte) []byte {
	out := make([]byte, 44, 44+len(pcm))
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(36+len(pcm)))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16)
	binary.LittleEndian.PutUint16(out[20:], 1)
	binary.LittleEndian.PutUint16(out[22:], uint16(f.Channels))
	binary.LittleEndian.PutUint32(out[24:], uint32(f.Rate))
	binary.LittleEndian.PutUint32(out[28:], uint32(f.Rate*f.Channels*f.Bits/8))
	binary.LittleEndian.PutUint16(out[32:], uint16(f.Channels*f.Bits/8))
	binary.LittleEndian.PutUint16(out[34:], uint16(f.Bits))
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(len(pcm)))
	return append(out, pcm...)
}

// scale multiplies 16-bit samples by percent/100 into a new slice.
func scale(pcm []byte, percent int) []byte {
	out := make([]byte, len(pcm))
	if percent >= 100 {
		copy(out, pcm)
		return out
	}
	for i := 0; i+1 < len(pcm); i += 2 {
		s := int32(int16(binary.LittleEndian.Uint16(pcm[i:])))
		binary.LittleEndian.PutUint16(out[i:], uint16(int16(s*int32(percent)/100)))
	}
	return out
}
