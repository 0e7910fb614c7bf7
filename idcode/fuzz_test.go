package idcode

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// vectorTexts returns the texts in testdata/vectors (SG1) and
// testdata/vectors-sg2, the fuzz seed corpus.
func vectorTexts(tb testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "vectors", "*.txt"))
	sg2, err2 := filepath.Glob(filepath.Join("testdata", "vectors-sg2", "*.txt"))
	files = append(files, sg2...)
	if err != nil || err2 != nil || len(sg2) == 0 {
		tb.Fatalf("no vectors: %v %v", err, err2)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, strings.TrimSuffix(string(b), "\n"))
	}
	return out
}

// hostileTexts are inputs aimed at the decoders' allocation paths.
func hostileTexts() []string {
	return []string{
		// tag 18, array claiming 2^32-1 items
		qr([]byte{0xd2, 0x9a, 0xff, 0xff, 0xff, 0xff}),
		// tag 18, [bstr claiming 2^63 bytes]
		qr([]byte{0xd2, 0x84, 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
		// deep nesting of arrays inside the protected header position
		qr(append([]byte{0xd2, 0x84}, []byte(strings.Repeat("\x81", 600))...)),
		Prefix + strings.Repeat("000", (MaxTextLen-len(Prefix))/3),
		Prefix + strings.Repeat(":", MaxTextLen),
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range vectorTexts(f) {
		f.Add(s)
	}
	for _, s := range hostileTexts() {
		f.Add(s)
	}
	f.Add("")
	f.Add(Prefix)
	tr := vecTrust(&testing.T{})
	f.Fuzz(func(t *testing.T, text string) {
		card, err := Parse(text)
		if err != nil {
			if card != nil {
				t.Fatal("card returned with an error")
			}
			return
		}
		if len(text) > MaxTextLen || len(card.CardID) != CardIDLen || len(card.Name) > MaxNameLen || !ValidCategory(card.Category) {
			t.Fatalf("Parse accepted out-of-bounds card %+v", card.Claims)
		}
		v := Verify(card, tr, testNow)
		if v.Valid != (v.Reason == ReasonValid) {
			t.Fatalf("inconsistent verdict %+v", v)
		}
	})
}

// Parse's allocation is bounded by MaxTextLen whatever the input claims.
func TestParseAllocationBounded(t *testing.T) {
	const maxBytesPerParse = 64 << 10
	inputs := append(vectorTexts(t), hostileTexts()...)
	for _, in := range inputs {
		var before, after runtime.MemStats
		const runs = 20
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range runs {
			Parse(in)
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > maxBytesPerParse {
			t.Errorf("Parse(%.30q...) allocates %d bytes, bound %d", in, per, maxBytesPerParse)
		}
		if n := testing.AllocsPerRun(runs, func() { Parse(in) }); n > 400 {
			t.Errorf("Parse(%.30q...) makes %.0f allocations", in, n)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	text, err := Sign(testClaims(), testKey(1))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	text, err := Sign(testClaims(), testKey(1))
	if err != nil {
		b.Fatal(err)
	}
	card, err := Parse(text)
	if err != nil {
		b.Fatal(err)
	}
	tr := vecTrust(&testing.T{})
	b.ReportAllocs()
	for b.Loop() {
		if v := Verify(card, tr, testNow); !v.Valid {
			b.Fatal(v)
		}
	}
}

// BenchmarkParseVerify is the gate's whole cost for one presented code.
func BenchmarkParseVerify(b *testing.B) {
	text, err := Sign(testClaims(), testKey(1))
	if err != nil {
		b.Fatal(err)
	}
	tr := vecTrust(&testing.T{})
	b.ReportAllocs()
	for b.Loop() {
		card, err := Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		if v := Verify(card, tr, testNow); !v.Valid {
			b.Fatal(v)
		}
	}
}

// BenchmarkEd25519Verify is the floor under BenchmarkVerify: the bare
// signature check, for a ratio that holds across machines.
func BenchmarkEd25519Verify(b *testing.B) {
	key := testKey(1)
	msg := make([]byte, 110)
	sig := ed25519.Sign(key, msg)
	pub := key.Public().(ed25519.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("verify")
		}
	}
}
