package cards

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"github.com/scangate/scangate/fonts"
)

// Physical card and print geometry.
const (
	DPI      = 300
	WidthMM  = 85.6 // ISO/IEC 7810 ID-1
	HeightMM = 54.0
	WidthPx  = 1011 // round(85.6 mm at 300 dpi)
	HeightPx = 638  // round(54 mm at 300 dpi)

	// ModulePx is the QR module size in 300 dpi pixels: 0.508 mm, above the
	// 0.5 mm that keeps version-10 codes readable by a 640×480 camera.
	ModulePx = 6
	// QuietZone is the white margin around the QR, in modules.
	QuietZone = 4
	// PerSheet is the number of cards on one A4 sheet (2 columns × 4 rows).
	PerSheet = 8
)

// Card is what one printed card shows.
type Card struct {
	Name       string    // full name, printed large; never put in the QR
	Category   string    // elder | child | companion | staff
	IssuerName string    // printed on the band: the venue or organisation
	IssuerID   string    // printed small, as the trust list names the issuer
	Expires    time.Time // printed as a date in Expires' location
	Number     string    // short card number printed for the holder's records; optional
	Photo      []byte    // JPEG or PNG; nil draws an empty photo box
	QRText     string    // the identity code text, QR-alphanumeric
}

// Category is how a card category is labelled and coloured.
type Category struct {
	Key     string     // elder, child, companion, staff
	Chinese string     // 长者
	English string     // Elder
	Colour  color.RGBA // band colour; white text on it has contrast ≥ 4.5:1
}

// Categories lists the card categories in the order the gate's policy names
// them.
var Categories = []Category{
	{Key: "elder", Chinese: "长者", English: "Elder", Colour: color.RGBA{0xB3, 0x41, 0x0E, 0xff}},
	{Key: "child", Chinese: "儿童", English: "Child", Colour: color.RGBA{0x15, 0x65, 0xC0, 0xff}},
	{Key: "companion", Chinese: "陪同", English: "Companion", Colour: color.RGBA{0x2E, 0x7D, 0x32, 0xff}},
	{Key: "staff", Chinese: "员工", English: "Staff", Colour: color.RGBA{0x5E, 0x35, 0xB1, 0xff}},
}

// LookupCategory finds a category by its key (elder) or its Chinese label
// (长者), ignoring case and surrounding space.
func LookupCategory(s string) (Category, bool) {
	s = strings.TrimSpace(s)
	for _, c := range Categories {
		if strings.EqualFold(s, c.Key) || s == c.Chinese || strings.EqualFold(s, c.English) {
			return c, true
		}
	}
	return Category{}, false
}

func (c *Card) check() (Category, error) {
	cat, ok := LookupCategory(c.Category)
	if !ok {
		return Category{}, fmt.Errorf("cards: unknown category %q (want elder, child, companion or staff)", c.Category)
	}
	if strings.TrimSpace(c.Name) == "" {
		return Category{}, fmt.Errorf("cards: empty name")
	}
	if c.QRText == "" {
		return Category{}, fmt.Errorf("cards: empty QR text")
	}
	// Every character printed must have a glyph: a name with an empty box
	// in it is a card the holder cannot use as proof of who they are.
	for _, f := range []struct{ what, text string }{{"name", c.Name}, {"issuer name", c.IssuerName}, {"issuer id", c.IssuerID}, {"card number", c.Number}} {
		if err := fonts.CheckText(f.text); err != nil {
			return Category{}, fmt.Errorf("cards: %s: %w", f.what, err)
		}
	}
	return cat, nil
}
