package lcd

import (
	"strings"
	"testing"
)

func TestPinyin(t *testing.T) {
	for in, want := range map[string]string{
		"请通行":         "QING TONG XING",
		"王*英":         "WANG*YING",
		"无效码":         "WU XIAO MA",
		"Welcome":     "Welcome",
		"已签到 ok":      "YI QIAN DAO ok",
		"a\\b~é":      "a?b??",
		"设备故障 请找工作人员": "SHE BEI GU ZHANG QING ZHAO GONG ZUO REN YUAN",
	} {
		if got := Pinyin(in); got != want {
			t.Errorf("Pinyin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestASCIILines(t *testing.T) {
	for _, tc := range []struct {
		lines      []string
		cols, rows int
		want       string
	}{
		{[]string{"请通行", "Welcome", "王*英"}, 16, 2, "Welcome|WANG*YING"},
		{[]string{"请通行", "Welcome", "王*英"}, 20, 4, "QING TONG XING|Welcome|WANG*YING"},
		{[]string{"无效码", "Invalid", "已过期", "Expired"}, 16, 2, "Invalid|Expired"},
		{[]string{"设备故障 请找工作人员", "Device fault, see staff"}, 16, 2, "Device fault,|see staff"},
		{[]string{"设备故障 请找工作人员", "Device fault, see staff"}, 20, 4, "Device fault, see|staff"},
		{[]string{"请出示身份码", "Show your card"}, 16, 2, "Show your card"},
		{[]string{"one", "two", "three"}, 16, 2, "one|two"},
		{[]string{"Averyveryverylongword"}, 8, 4, "Averyver|yverylon|gword"},
	} {
		if got := strings.Join(ASCIILines(tc.lines, tc.cols, tc.rows), "|"); got != tc.want {
			t.Errorf("%q on %d×%d = %q, want %q", tc.lines, tc.cols, tc.rows, got, tc.want)
		}
	}
}

func FuzzASCIILines(f *testing.F) {
	for _, s := range []string{"请通行\nWelcome\n王*英", "无效码\nInvalid\n已过期\nExpired", "", "\n\n", "  x  ", "é😀\u3000"} {
		f.Add(s, 16, 2)
	}
	f.Add("Device fault, see staff", 20, 4)
	f.Fuzz(func(t *testing.T, s string, cols, rows int) {
		if cols < 1 || cols > 40 || rows < 1 || rows > 4 {
			return
		}
		out := ASCIILines(strings.Split(s, "\n"), cols, rows)
		if len(out) > rows {
			t.Fatalf("%d rows on a %d-row display", len(out), rows)
		}
		for _, l := range out {
			if len(l) > cols {
				t.Fatalf("row %q longer than %d", l, cols)
			}
			for i := 0; i < len(l); i++ {
				if l[i] < 0x20 || l[i] > 0x7d || l[i] == '\\' {
					t.Fatalf("row %q has byte %#x outside the LCD's ASCII", l, l[i])
				}
			}
		}
	})
}
