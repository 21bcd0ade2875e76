package query

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/counternet/counternet/internal/warehouse"
)

// Formats Write knows.
var Formats = []string{"table", "csv", "json"}

// Write prints the result as "table" (aligned columns, control characters
// made spaces, every value in full unless CutText says otherwise), "csv"
// (arrays as JSON) or "json" (one object per row in an array).
func (r *Result) Write(w io.Writer, format string) error {
	var err error
	switch format {
	case "table", "":
		err = r.writeTable(w)
	case "csv":
		err = r.writeCSV(w)
	case "json":
		err = r.writeJSON(w)
	default:
		return fmt.Errorf("writing result: format %q, want one of %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("writing result as %s: %w", format, err)
	}
	return nil
}

func (r *Result) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(r.Columns, "\t"))
	for _, row := range r.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = r.cell(r.text(i, v))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	note := fmt.Sprintf("(%d rows)", len(r.Rows))
	if r.Truncated {
		note = fmt.Sprintf("(first %d rows; raise --limit for more)", len(r.Rows))
	}
	_, err := fmt.Fprintln(w, note)
	return err
}

func (r *Result) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	for _, row := range r.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = r.text(i, v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (r *Result) writeJSON(w io.Writer) error {
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		m := make(map[string]any, len(row))
		for j, v := range row {
			if d, ok := r.date(j, v); ok {
				m[r.Columns[j]] = d
				continue
			}
			m[r.Columns[j]] = jsonValue(v)
		}
		out[i] = m
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// jsonValue makes times RFC 3339 and non-finite floats null.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil
		}
	}
	return v
}

// text renders value v of column i, a Date column as YYYY-MM-DD.
func (r *Result) text(i int, v any) string {
	if d, ok := r.date(i, v); ok {
		return d
	}
	return Text(v)
}

// date renders value v of column i as YYYY-MM-DD when the column is a Date.
func (r *Result) date(i int, v any) (string, bool) {
	if t, ok := v.(time.Time); ok && i < len(r.Types) && r.Types[i] == "Date" {
		return t.UTC().Format(time.DateOnly), true
	}
	return "", false
}

// Text renders one value as text: times as RFC 3339 UTC, floats without
// exponent noise, arrays as JSON.
func Text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case []string, []uint64, []int64, []float64, []uint32, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// cell makes scraped text safe for a table cell: control characters
// (tabs and line breaks among them) become spaces, an empty value is "-".
// A value is cut only when CutText is set, it is longer, and it holds a
// space: a value without one (a hash, an id, an onion host, an address, a
// fingerprint) is something an analyst pastes elsewhere, and is never cut.
func (r *Result) cell(s string) string {
	c := warehouse.Cell(s, math.MaxInt)
	if r.CutText > 1 && utf8.RuneCountInString(c) > r.CutText && strings.ContainsRune(c, ' ') {
		c = warehouse.Cell(c, r.CutText)
	}
	return c
}
