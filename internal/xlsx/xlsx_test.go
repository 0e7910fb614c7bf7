package xlsx

import (
	"bytes"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

// What is written reads back as text, formulas and leading zeros included.
func TestWriteReadsBack(t *testing.T) {
	rows := [][]string{{"name", "card_id", "n"}, {"=1+1", "0042", "7"}, {"王*英", "", "-1"}}
	var b bytes.Buffer
	if err := Write(&b, "2026-12-04", rows); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.GetRows("2026-12-04")
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if i >= len(got) || !slices.Equal(trim(rows[i]), got[i]) {
			t.Fatalf("rows read back %q, want %q", got, rows)
		}
	}
	if formula, _ := f.GetCellFormula("2026-12-04", "A2"); formula != "" {
		t.Errorf("A2 holds the formula %q, want text", formula)
	}
	if typ, _ := f.GetCellType("2026-12-04", "B2"); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
		t.Errorf("B2 has type %v, want a string", typ)
	}
}

// trim drops trailing empty cells, as GetRows does.
func trim(r []string) []string {
	for len(r) > 0 && r[len(r)-1] == "" {
		r = r[:len(r)-1]
	}
	return r
}

func TestWriteBadSheetName(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "a/b:c", nil); err == nil {
		t.Error("a sheet name with / and : was accepted")
	}
}
