package idcode

import (
	"bytes"
	"errors"
	"testing"
)

// RFC 9285 §4.3 and §4.4 examples.
var base45Vectors = []struct{ raw, enc string }{
	{"AB", "BB8"},
	{"Hello!!", "%69 VD92EX0"},
	{"base-45", "UJCLQE7W581"},
	{"ietf!", "QED8WEX0"},
	{"", ""},
}

func TestBase45RFC9285(t *testing.T) {
	for _, v := range base45Vectors {
		if got := base45Encode([]byte(v.raw)); got != v.enc {
			t.Errorf("encode %q = %q, want %q", v.raw, got, v.enc)
		}
		got, err := base45Decode(v.enc)
		if err != nil || string(got) != v.raw {
			t.Errorf("decode %q = %q, %v, want %q", v.enc, got, err, v.raw)
		}
	}
}

func TestBase45RoundTripAllBytes(t *testing.T) {
	b := make([]byte, 513)
	for i := range b {
		b[i] = byte(i * 7)
	}
	for n := 0; n <= len(b); n += 37 {
		got, err := base45Decode(base45Encode(b[:n]))
		if err != nil || !bytes.Equal(got, b[:n]) {
			t.Fatalf("round trip of %d bytes: %v", n, err)
		}
	}
}

func TestBase45Invalid(t *testing.T) {
	for _, in := range []string{
		"A",    // dangling single character
		"BB8A", // dangling after a full chunk
		"GGW",  // 65536: overflows two bytes (RFC 9285 §4.2)
		":::",  // 44+44*45+44*2025 overflows
		"Z:",   // 35+44*45 = 2015 overflows one byte
		"bb8",  // lower case is outside the alphabet
		"QED8WE\x00",
		"ÄBC",
	} {
		if _, err := base45Decode(in); !errors.Is(err, errBase45) {
			t.Errorf("decode %q: err %v, want errBase45", in, err)
		}
	}
}
