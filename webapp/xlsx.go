package webapp

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/scangate/scangate/sync/collector"
)

// writeVisitsXLSX writes visits as one sheet with the columns of the CSV
// export. Every cell is a string cell: a name such as "=1+1" stays text,
// never a formula, and ids keep their leading zeros.
func writeVisitsXLSX(w io.Writer, vs []collector.Visit, loc *time.Location, sheet string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("webapp: xlsx sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("webapp: xlsx: %w", err)
	}
	row := func(n int, vals []string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = excelize.Cell{Value: v}
		}
		addr, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		return sw.SetRow(addr, cells)
	}
	if err := row(1, collector.VisitCSVHeader); err != nil {
		return fmt.Errorf("webapp: xlsx header: %w", err)
	}
	for i, v := range vs {
		if err := row(i+2, collector.VisitFields(v, loc)); err != nil {
			return fmt.Errorf("webapp: xlsx row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("webapp: xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("webapp: xlsx write: %w", err)
	}
	return nil
}
