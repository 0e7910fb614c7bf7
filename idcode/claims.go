package idcode

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Card categories. The gate's policy admits or refuses by category.
const (
	CategoryElder     = "elder"
	CategoryChild     = "child"
	CategoryCompanion = "companion"
	CategoryStaff     = "staff"
)

// Field bounds enforced by Sign and Parse. They keep a card within a QR of
// about version 10 and bound what a hostile code can make us hold.
const (
	CardIDLen     = 16 // bytes of cti
	MaxIssuerLen  = 64 // bytes
	MaxSubjectLen = 64 // bytes
	MaxNameLen    = 64 // bytes of the masked name
)

// Claims is the CWT claims set a card carries. Times are whole seconds.
type Claims struct {
	Issuer    string    // iss (1)
	Subject   string    // sub (2): pseudonymous holder id
	IssuedAt  time.Time // iat (6)
	NotBefore time.Time // nbf (5), zero = none
	Expires   time.Time // exp (4)
	CardID    []byte    // cti (7): 16 random bytes, the revocation key
	Name      string    // private claim -65537: display name, already masked (王*英)
	Category  string    // private claim -65538: elder | child | companion | staff
}

// Categories lists the card categories, in the order forms show them.
func Categories() []string {
	return []string{CategoryElder, CategoryChild, CategoryCompanion, CategoryStaff}
}

// ValidCategory reports whether c is one of the card categories.
func ValidCategory(c string) bool { return slices.Contains(Categories(), c) }

// check enforces the structural rules shared by Sign and Parse.
func (c *Claims) check() error {
	switch {
	case c.Issuer == "":
		return fmt.Errorf("missing iss")
	case len(c.Issuer) > MaxIssuerLen:
		return fmt.Errorf("iss longer than %d bytes", MaxIssuerLen)
	case len(c.Subject) > MaxSubjectLen:
		return fmt.Errorf("sub longer than %d bytes", MaxSubjectLen)
	case len(c.Name) > MaxNameLen:
		return fmt.Errorf("name longer than %d bytes", MaxNameLen)
	case len(c.CardID) != CardIDLen:
		return fmt.Errorf("cti is %d bytes, want %d", len(c.CardID), CardIDLen)
	case c.IssuedAt.IsZero():
		return fmt.Errorf("missing iat")
	case c.Expires.IsZero():
		return fmt.Errorf("missing exp")
	case !c.Expires.After(c.IssuedAt):
		return fmt.Errorf("exp not after iat")
	case !c.NotBefore.IsZero() && !c.Expires.After(c.NotBefore):
		return fmt.Errorf("exp not after nbf")
	case !ValidCategory(c.Category):
		return fmt.Errorf("unknown category %q", c.Category)
	}
	return nil
}

// NewCardID returns 16 random bytes for a card's cti.
func NewCardID() ([]byte, error) {
	id := make([]byte, CardIDLen)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("idcode: card id: %w", err)
	}
	return id, nil
}

// MaskName returns the name as the screen and the QR may show it, so a
// bystander cannot read a full name off the card or the kiosk:
//
//   - A name without separators written in Han, Hangul, Hiragana or Katakana
//     keeps its first and last character and masks the rest: 王秀英→王*英,
//     欧阳娜娜→欧**娜; a two-character name keeps the first: 李明→李*.
//   - Otherwise the name is split into words at spaces, '·' and '-'; each word
//     keeps its first letter and masks the rest: "Anna Li"→"A*** L*",
//     "Jean-Luc"→"J***-L**", 阿卜杜·热合曼→阿**·热**.
//   - A single character is kept as it is. Surrounding space is trimmed and
//     runs of space collapse to one.
func MaskName(full string) string {
	words := strings.Fields(full)
	if len(words) == 0 {
		return ""
	}
	if len(words) == 1 && !strings.ContainsAny(words[0], "·-") && isEastAsian(words[0]) {
		r := []rune(words[0])
		switch len(r) {
		case 1:
			return string(r)
		case 2:
			return string(r[0]) + "*"
		}
		return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
	}
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		first := true
		for _, r := range w {
			switch {
			case r == '·' || r == '-':
				b.WriteRune(r)
				first = true
			case first:
				b.WriteRune(r)
				first = false
			default:
				b.WriteByte('*')
			}
		}
	}
	return b.String()
}

func isEastAsian(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana) {
			return true
		}
	}
	return false
}
