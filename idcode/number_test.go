package idcode

import "testing"

func TestPrintedNumber(t *testing.T) {
	for in, want := range map[string]string{
		"76ace3fa0123456789abcdef01234567": "76AC-E3FA",
		"76ACE3FA":                         "76AC-E3FA",
		"abc":                              "ABC",
		"":                                 "",
	} {
		if got := PrintedNumber(in); got != want {
			t.Errorf("PrintedNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
