package idcode

import "testing"

func TestMaskName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"王秀英", "王*英"},
		{"李明", "李*"},
		{"欧阳娜娜", "欧**娜"},
		{"张", "张"},
		{"  张三丰  ", "张*丰"},
		{"Anna Li", "A*** L*"},
		{"Anna  Li", "A*** L*"},
		{"Jean-Luc Picard", "J***-L** P*****"},
		{"阿卜杜·热合曼", "阿**·热**"},
		{"김민준", "김*준"},
		{"Anna", "A***"},
		{"", ""},
		{"   ", ""},
	} {
		if got := MaskName(c.in); got != c.want {
			t.Errorf("MaskName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
