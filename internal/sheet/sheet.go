// Package sheet writes tables for spreadsheets, the exports of the staff
// desks (the collector's and the kiosk's) and the admin API: CSV after a
// UTF-8 BOM with formula-like cells quoted, and Excel workbooks of one
// sheet of text cells. Either way a name such as "=1+1" stays text, never
// a formula, and ids keep their leading zeros.
package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// CSV writes rows as CSV after a UTF-8 BOM: Excel reads a file without
// one in the system's code page (GBK on Chinese Windows) and garbles the
// names.
type CSV struct{ cw *csv.Writer }

// NewCSV writes the BOM and returns the writer of the rows.
func NewCSV(w io.Writer) (*CSV, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, fmt.Errorf("sheet: csv: %w", err)
	}
	return &CSV{csv.NewWriter(w)}, nil
}

// Write writes one row; a cell a spreadsheet would run as a formula is
// quoted. Errors surface in Flush.
func (c *CSV) Write(row []string) {
	out := make([]string, len(row))
	for i, s := range row {
		out[i] = Cell(s)
	}
	c.cw.Write(out)
}

// Flush writes what is buffered and reports the first error.
func (c *CSV) Flush() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return fmt.Errorf("sheet: csv: %w", err)
	}
	return nil
}

// Cell keeps a value from being run as a spreadsheet formula when the CSV
// is opened.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteXLSX writes rows (the first is the header) as the sheet named sheet.
func WriteXLSX(w io.Writer, sheet string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("sheet: xlsx: sheet %q: %w", sheet, err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("sheet: xlsx: %w", err)
	}
	for n, vals := range rows {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = excelize.Cell{Value: v}
		}
		addr, err := excelize.CoordinatesToCellName(1, n+1)
		if err == nil {
			err = sw.SetRow(addr, cells)
		}
		if err != nil {
			return fmt.Errorf("sheet: xlsx: row %d: %w", n+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("sheet: xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("sheet: xlsx: write: %w", err)
	}
	return nil
}
