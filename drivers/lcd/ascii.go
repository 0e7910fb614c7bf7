package lcd

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

var pinyinArgs = pinyin.NewArgs() // Normal style: no tone marks, plain ASCII

// Pinyin transliterates s for a character LCD: each Han character becomes
// its upper-case pinyin, separated by spaces from neighbouring syllables;
// ASCII the HD44780's ROM (A00) shows as ASCII is kept; anything else
// becomes '?'. "王*英" gives "WANG*YING", "请通行" gives "QING TONG XING".
func Pinyin(s string) string {
	var b strings.Builder
	prevHan := false
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			if py := pinyin.SinglePinyin(r, pinyinArgs); len(py) > 0 {
				if prevHan {
					b.WriteByte(' ')
				}
				b.WriteString(strings.ToUpper(py[0]))
				prevHan = true
				continue
			}
		}
		prevHan = false
		switch {
		case r == '\u3000':
			b.WriteByte(' ')
		case r >= 0x20 && r <= 0x7d && r != '\\': // 0x5C is ¥ and 0x7E/0x7F arrows in ROM A00
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// ASCIILines fits screen lines onto a cols×rows character display. Chinese
// lines become pinyin; long lines wrap at spaces. When the result has more
// rows than the display, Chinese lines followed by an English line (their
// translation) are dropped first, then the last rows are cut.
func ASCIILines(lines []string, cols, rows int) []string {
	type line struct {
		rows      []string
		droppable bool
	}
	var ls []line
	total := 0
	for i, l := range lines {
		cjk := !isASCII(l)
		w := wrap(Pinyin(l), cols)
		ls = append(ls, line{rows: w, droppable: cjk && i+1 < len(lines) && isASCII(lines[i+1])})
		total += len(w)
	}
	for i := range ls {
		if total <= rows {
			break
		}
		if ls[i].droppable {
			total -= len(ls[i].rows)
			ls[i].rows = nil
		}
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.rows...)
	}
	if len(out) > rows {
		out = out[:rows]
	}
	return out
}

// wrap splits s into pieces of at most cols bytes, at spaces where it can.
func wrap(s string, cols int) []string {
	var out []string
	s = strings.TrimSpace(s)
	for len(s) > cols {
		cut := strings.LastIndexByte(s[:cols+1], ' ')
		if cut <= 0 {
			cut = cols
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = strings.TrimSpace(s[cut:])
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}
