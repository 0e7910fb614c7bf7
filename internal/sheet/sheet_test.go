package sheet

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

// What is written reads back as text, formulas and leading zeros included.
func TestWriteReadsBack(t *testing.T) {
	rows := [][]string{{"name", "card_id", "n"}, {"=1+1", "0042", "7"}, {"王*英", "", "-1"}}
	var b bytes.Buffer
	if err := WriteXLSX(&b, "2026-12-04", rows); err != nil {
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
	if err := WriteXLSX(&bytes.Buffer{}, "a/b:c", nil); err == nil {
		t.Error("a sheet name with / and : was accepted")
	}
}

// The CSV starts with a BOM and reads back with formula-like cells quoted.
func TestCSV(t *testing.T) {
	var b bytes.Buffer
	c, err := NewCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]string{"name", "n"})
	c.Write([]string{"=1+1", "-1"})
	c.Write([]string{"王*英", "7"})
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	body, ok := bytes.CutPrefix(b.Bytes(), []byte("\ufeff"))
	if !ok {
		t.Fatal("no BOM")
	}
	got, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	want := [][]string{{"name", "n"}, {"'=1+1", "'-1"}, {"王*英", "7"}}
	if err != nil || len(got) != len(want) {
		t.Fatalf("read back %q, %v; want %q", got, err, want)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("row %d: %q, want %q", i, got[i], want[i])
		}
	}
}
