package idcode_test

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/scangate/scangate/idcode"
)

// The worked example of docs/idcode.md: seed 32 bytes of 0x01.
func ExampleSign() {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = 1
	}
	key := ed25519.NewKeyFromSeed(seed)
	text, err := idcode.Sign(idcode.Claims{
		Issuer:   "org.example",
		Subject:  "h-0001",
		IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Expires:  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		CardID:   []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff},
		Name:     idcode.MaskName("王秀英"),
		Category: idcode.CategoryElder,
	}, key)
	if err != nil {
		panic(err)
	}
	fmt.Println(text)
	card, err := idcode.Parse(text)
	if err != nil {
		panic(err)
	}
	fmt.Printf("kid %x, card %s, %s %s\n", card.KID, card.CardIDHex(), card.Name, card.Category)
	// Output:
	// SG1:RRQT 9P60GO0JS6W/18.N9:V8CK3V938004E:1DB$CBECP9ESYCQ.C3W5646%86DF3K.6E8GBF3U$A70055AL72TL6$ZA05F8JJGXNO2S/BW10000046D-0I4J5VTH/E7V50.70: C6VCMKE:68D%4*QVTKDIEH023:DFA92968+*9T*3/5CZWFXLFA9CFPE6JT0GGYBGHA76BTG9LL5P%GCT-1-5CLOB5LI9YEO41U4GMPH70
	// kid 34750f98bd59fcfc, card 00112233445566778899aabbccddeeff, 王*英 elder
}
