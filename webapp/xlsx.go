package webapp

import (
	"io"
	"time"

	"github.com/scangate/scangate/internal/sheet"
	"github.com/scangate/scangate/sync/collector"
)

// writeVisitsXLSX writes visits as one sheet with the columns of the CSV
// export.
func writeVisitsXLSX(w io.Writer, vs []collector.Visit, loc *time.Location, name string) error {
	rows := [][]string{collector.VisitCSVHeader}
	for _, v := range vs {
		rows = append(rows, collector.VisitFields(v, loc))
	}
	return sheet.WriteXLSX(w, name, rows)
}
