package hidscan

// Key codes from linux/input-event-codes.h that the decoder treats specially.
const (
	KeyEnter      = 28
	KeyLeftCtrl   = 29
	KeyLeftShift  = 42
	KeyRightShift = 54
	KeyLeftAlt    = 56
	KeyCapsLock   = 58
	KeyF1         = 59
	KeyNumLock    = 69
	KeyScrollLock = 70
	KeyKPEnter    = 96
	KeyRightCtrl  = 97
	KeyRightAlt   = 100
	KeyLeftMeta   = 125
	KeyRightMeta  = 126
)

type keyChars struct{ plain, shifted byte }

// usKeys is the US layout: key code -> character without and with Shift.
var usKeys = func() [128]keyChars {
	var m [128]keyChars
	row := func(first int, plain, shifted string) {
		for i := range len(plain) {
			m[first+i] = keyChars{plain[i], shifted[i]}
		}
	}
	row(2, "1234567890-=", "!@#$%^&*()_+")      // KEY_1 .. KEY_EQUAL
	row(15, "\tqwertyuiop[]", "\tQWERTYUIOP{}") // KEY_TAB .. KEY_RIGHTBRACE
	row(30, "asdfghjkl;'`", "ASDFGHJKL:\"~")    // KEY_A .. KEY_GRAVE
	row(43, "\\zxcvbnm,./", "|ZXCVBNM<>?")      // KEY_BACKSLASH .. KEY_SLASH
	row(55, "*", "*")                           // KEY_KPASTERISK
	row(57, " ", " ")                           // KEY_SPACE
	row(71, "789-456+1230.", "789-456+1230.")   // KEY_KP7 .. KEY_KPDOT
	row(98, "/", "/")                           // KEY_KPSLASH
	row(117, "=", "=")                          // KEY_KPEQUAL
	return m
}()

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// KeyFor returns the key and Shift state that type c on a US keyboard, using
// the main block rather than the keypad.
func KeyFor(c byte) (code uint16, shift, ok bool) {
	for k := range usKeys {
		if k > 57 {
			break // the keypad repeats what the main block has
		}
		if usKeys[k].plain == 0 || k == 55 { // 55: keypad '*'
			continue
		}
		switch c {
		case usKeys[k].plain:
			return uint16(k), false, true
		case usKeys[k].shifted:
			return uint16(k), true, true
		}
	}
	return 0, false, false
}
