// Package cards renders printable scangate identity cards: one card as a
// 300 dpi PNG, one card as a card-sized PDF page, or A4 sheets of eight
// cards with cut marks.
//
// A card is ID-1 size (ISO/IEC 7810, 85.6 × 54 mm; 1011 × 638 px at 300 dpi).
// It shows the holder's full name, a photo (or an empty photo box), the
// category on a coloured band, the issuer and the expiry date, every label in
// Chinese first and English second, and the card's QR code. The QR holds only
// what the caller passes as QRText; scangate puts the signed identity code
// there, which carries the masked name, never the full one.
//
// The QR is encoded by gozxing at error-correction level Q in alphanumeric
// mode (the identity code's "SG1:" + base45 text is QR-alphanumeric) with a
// quiet zone of four modules, and drawn as exact squares of ModulePx pixels
// at 300 dpi (0.51 mm), so a printer at 300 dpi reproduces it without
// resampling and a 640×480 camera reads it at 5–15 cm.
//
// Both renderers share one layout computed in 300 dpi pixels; the PDF
// converts it to millimetres. Text uses the fonts package: the CJK font has no
// Latin glyphs, so PDF text is split into runs drawn with the matching font.
//
// The package does no I/O beyond the writers it is given and needs nothing
// from the host: fonts are embedded.
package cards
