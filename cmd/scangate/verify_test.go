//go:build !kiosk

package main

import (
	"crypto/ed25519"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/scangate/scangate/idcode"
)

// verifySetup makes an issuer with keygen and signs one card with its key.
func verifySetup(t *testing.T) (dir, text string, card idcode.Claims) {
	t.Helper()
	dir = keygenDir(t)
	key, err := idcode.LoadPrivateKey(filepath.Join(dir, "issuer.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := idcode.NewCardID()
	now := time.Now().UTC().Truncate(time.Second)
	card = idcode.Claims{Issuer: "org.example.venue", Subject: "h-1", IssuedAt: now.Add(-time.Hour),
		Expires: now.Add(30 * 24 * time.Hour), CardID: id, Name: idcode.MaskName("王秀英"), Category: idcode.CategoryElder}
	if text, err = idcode.Sign(card, key); err != nil {
		t.Fatal(err)
	}
	return dir, text, card
}

func TestVerifyValidCard(t *testing.T) {
	dir, text, card := verifySetup(t)
	trust, revs := filepath.Join(dir, "trust.json"), filepath.Join(dir, "revocations.json")
	code, out, stderr := runCLI("verify", "--trust", trust, "--revocations", revs, text)
	if code != 0 || !strings.HasPrefix(out, "valid\n") || !strings.Contains(out, "王*英") || !strings.Contains(out, "Venue Org") {
		t.Fatalf("exit %d:\n%s%s", code, out, stderr)
	}
	// Flags after the text work too.
	code, out, _ = runCLI("verify", text, "--trust", trust, "--json")
	var got verifyJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || !got.Valid || got.Reason != idcode.ReasonValid ||
		got.Card == nil || got.Card.CardID != (&idcode.Card{Claims: card}).CardIDHex() || got.Card.Category != "elder" {
		t.Fatalf("--json: exit %d, %q, %v", code, out, err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	dir, text, card := verifySetup(t)
	trust, revs := filepath.Join(dir, "trust.json"), filepath.Join(dir, "revocations.json")
	after := card.Expires.Add(time.Second).Format(time.RFC3339)
	before := card.IssuedAt.Add(-time.Hour).Format(time.RFC3339)
	code, out, _ := runCLI("verify", "--trust", trust, "--at", after, text)
	if code != 1 || !strings.HasPrefix(out, "refused: expired") {
		t.Errorf("expired: exit %d: %s", code, out)
	}
	// Before the trust list was issued is fine for the list; the card has
	// no nbf, so only exp bounds it.
	if code, out, _ := runCLI("verify", "--trust", trust, "--at", before, text); code != 0 {
		t.Errorf("before iat: exit %d: %s", code, out)
	}
	cardID := (&idcode.Card{Claims: card}).CardIDHex()
	if code, _, stderr := runCLI("revoke", "--key", filepath.Join(dir, "issuer.key"), "--revocations", revs, cardID); code != 0 {
		t.Fatal(stderr)
	}
	code, out, _ = runCLI("verify", "--trust", trust, "--revocations", revs, text)
	if code != 1 || !strings.HasPrefix(out, "refused: revoked") {
		t.Errorf("revoked: exit %d: %s", code, out)
	}
	// A card from another issuer.
	_, otherText, _ := verifySetup(t)
	code, out, _ = runCLI("verify", "--trust", trust, otherText)
	if code != 1 || !strings.HasPrefix(out, "refused: unknown_key") {
		t.Errorf("other issuer: exit %d: %s", code, out)
	}
	code, out, _ = runCLI("verify", "--trust", trust, "--json", "HC1:NCFOXN")
	if code != 1 || !strings.Contains(out, `"reason":"malformed"`) || !strings.Contains(out, `"card":null`) {
		t.Errorf("malformed: exit %d: %s", code, out)
	}
}

func TestVerifyUsageAndFileErrors(t *testing.T) {
	dir, text, _ := verifySetup(t)
	otherDir, _, _ := verifySetup(t)
	trust := filepath.Join(dir, "trust.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", text}, "usage"},
		{[]string{"verify", "--trust", trust}, "usage"},
		{[]string{"verify", "--trust", trust, "--image", "x.png", text}, "usage"},
		{[]string{"verify", "--trust", trust, text, text}, "usage"},
		{[]string{"verify", "--trust", filepath.Join(dir, "absent.json"), text}, "no such file"},
		{[]string{"verify", "--trust", filepath.Join(dir, "issuer.pub"), text}, "malformed"},
		{[]string{"verify", "--trust", trust, "--revocations", filepath.Join(otherDir, "revocations.json"), text}, "not pinned"},
		{[]string{"verify", "--trust", trust, "--list-key", filepath.Join(otherDir, "issuer.pub"), text}, "not pinned"},
		{[]string{"verify", "--trust", trust, "--list-key", filepath.Join(dir, "issuer.key"), text}, "PUBLIC KEY"},
		{[]string{"verify", "--trust", trust, "--at", "tomorrow", text}, "RFC 3339"},
		{[]string{"verify", "--trust", trust, "--image", filepath.Join(dir, "absent.png")}, "absent.png"},
	} {
		code, _, stderr := runCLI(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args[1:], code, stderr, c.want)
		}
	}
	// The right pinned key works.
	if code, out, stderr := runCLI("verify", "--trust", trust, "--list-key", filepath.Join(dir, "issuer.pub"), text); code != 0 {
		t.Fatalf("--list-key: exit %d: %s %s", code, out, stderr)
	}
}

// A trust list signed by a key it does not list is refused without
// --list-key: self-signed mode cannot vouch for it.
func TestVerifyTrustListSignedByOutsider(t *testing.T) {
	dir, text, _ := verifySetup(t)
	key, _ := idcode.LoadPrivateKey(filepath.Join(dir, "issuer.key"), nil)
	_, outsider, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	data, err := idcode.SignTrustList(idcode.TrustList{Version: 2, IssuedAt: now, Expires: now.Add(time.Hour),
		Issuers: []idcode.Issuer{{ID: "org.example.venue", PublicKey: key.Public().(ed25519.PublicKey)}}}, outsider)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "forged.json")
	os.WriteFile(path, data, 0o644)
	if code, _, stderr := runCLI("verify", "--trust", path, text); code != 2 || !strings.Contains(stderr, "not a key in the list") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// Every single-character change of the QR text is refused with a reason;
// none is accepted and none panics.
func TestVerifyEveryCharacterTampered(t *testing.T) {
	dir, text, _ := verifySetup(t)
	trust := filepath.Join(dir, "trust.json")
	reasons := map[string]int{}
	for i := range len(text) {
		sub := byte('0')
		if text[i] == '0' {
			sub = '1'
		}
		tampered := text[:i] + string(sub) + text[i+1:]
		code, out, stderr := runCLI("verify", "--trust", trust, "--json", tampered)
		var v verifyJSON
		if err := json.Unmarshal([]byte(out), &v); err != nil || code != 1 || v.Valid {
			t.Fatalf("position %d: exit %d, %q %q", i, code, out, stderr)
		}
		reasons[string(v.Reason)]++
	}
	t.Logf("%d tampered texts refused: %v", len(text), reasons)
	for r := range reasons {
		switch idcode.Reason(r) {
		case idcode.ReasonMalformed, idcode.ReasonBadSignature, idcode.ReasonUnknownKey:
		default:
			t.Errorf("tampering gave reason %s", r)
		}
	}
	if reasons[string(idcode.ReasonBadSignature)] == 0 {
		t.Error("no tampering reached the signature check")
	}
}

// writeQRPNG renders text as a QR code PNG at ECC level Q.
func writeQRPNG(t *testing.T, path, text string) {
	t.Helper()
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_ERROR_CORRECTION: "Q", gozxing.EncodeHintType_MARGIN: 4}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 400, 400, hints)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := range m.GetHeight() {
		for x := range m.GetWidth() {
			if !m.Get(x, y) {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyImage(t *testing.T) {
	dir, text, _ := verifySetup(t)
	img := filepath.Join(dir, "card.png")
	writeQRPNG(t, img, text)
	code, out, stderr := runCLI("verify", "--trust", filepath.Join(dir, "trust.json"), "--image", img)
	if code != 0 || !strings.HasPrefix(out, "valid") {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	blank := filepath.Join(dir, "blank.png")
	f, _ := os.Create(blank)
	png.Encode(f, image.NewGray(image.Rect(0, 0, 64, 64)))
	f.Close()
	if code, _, stderr := runCLI("verify", "--trust", filepath.Join(dir, "trust.json"), "--image", blank); code != 2 || !strings.Contains(stderr, "no QR code") {
		t.Fatalf("blank image: exit %d: %s", code, stderr)
	}
}
