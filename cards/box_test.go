package cards

import (
	"strings"
	"testing"
)

// TestQRBox: an SG2 code (version 9) is printed in the box an SG1 code
// (version 12) takes, with 7 px modules instead of 6, and reads back.
func TestQRBox(t *testing.T) {
	sg1, err := EncodeQR("SG1:" + strings.Repeat("A1B2C3", 44))
	if err != nil {
		t.Fatal(err)
	}
	sg2, err := EncodeQR("SG2:" + strings.Repeat("D4E5F6", 29))
	if err != nil {
		t.Fatal(err)
	}
	if sg1.Version != 12 || sg1.Module() != ModulePx || sg1.SidePx() != BoxPx {
		t.Errorf("SG1: version %d, module %d px, side %d px; want 12, %d, %d", sg1.Version, sg1.Module(), sg1.SidePx(), ModulePx, BoxPx)
	}
	if sg2.Version != 9 || sg2.Module() != 7 || sg2.SidePx() > BoxPx {
		t.Errorf("SG2: version %d, module %d px, side %d px; want 9, 7, ≤ %d", sg2.Version, sg2.Module(), sg2.SidePx(), BoxPx)
	}
	img, err := Render(Card{Name: "王秀英", Category: "elder", QRText: "SG2:" + strings.Repeat("D4E5F6", 29)})
	if err != nil || img == nil {
		t.Fatalf("render an SG2 card: %v", err)
	}
}
