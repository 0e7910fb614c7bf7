package idcode

import (
	"errors"
	"fmt"
)

// base45Alphabet is the RFC 9285 §4 alphabet; it is exactly QR alphanumeric
// mode's character set, which is why the QR stays compact.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// errBase45 is returned for every malformed base45 input.
var errBase45 = errors.New("idcode: invalid base45")

// base45Encode encodes b per RFC 9285: each pair of bytes becomes three
// characters, a final single byte becomes two, least significant digit first.
func base45Encode(b []byte) string {
	out := make([]byte, 0, (len(b)/2)*3+(len(b)%2)*2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[(n/45)%45], base45Alphabet[n/(45*45)])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// base45Decode decodes s per RFC 9285, refusing characters outside the
// alphabet, a dangling single character and chunks whose value overflows
// (RFC 9285 §4.2: such input MUST be rejected).
func base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: length %d leaves a single character", errBase45, len(s))
	}
	out := make([]byte, 0, (len(s)/3)*2+(len(s)%3)/2)
	for i := 0; i < len(s); i += 3 {
		end := min(i+3, len(s))
		n := 0
		for j := end - 1; j >= i; j-- {
			v := base45Index[s[j]]
			if v < 0 {
				return nil, fmt.Errorf("%w: character %q at %d", errBase45, s[j], j)
			}
			n = n*45 + int(v)
		}
		if end-i == 3 {
			if n > 0xffff {
				return nil, fmt.Errorf("%w: chunk at %d overflows", errBase45, i)
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xff {
				return nil, fmt.Errorf("%w: final chunk overflows", errBase45)
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
