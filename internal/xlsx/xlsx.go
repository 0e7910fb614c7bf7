// Package xlsx writes a table as an Excel workbook of one sheet, for the
// staff desks' exports (the collector's and the kiosk's). Every cell is a
// text cell: a name such as "=1+1" stays text, never a formula, and ids
// keep their leading zeros.
package xlsx

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// Write writes rows (the first is the header) as the sheet named sheet.
func Write(w io.Writer, sheet string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("xlsx: sheet %q: %w", sheet, err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
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
			return fmt.Errorf("xlsx: row %d: %w", n+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx: write: %w", err)
	}
	return nil
}
