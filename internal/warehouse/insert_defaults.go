package warehouse

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// omitDefaults is cols without the columns the INSERT into table need not
// send: those whose every value is its type's zero (""; 0, with no sign;
// 1970-01-01 00:00:00; an empty array; NULL) where the table, given no
// value, stores that same zero (no DEFAULT, or a DEFAULT that is that zero
// written as a literal). A column whose DEFAULT is anything else (now(),
// another column, a non-zero literal), whose type does not match the Go
// values' (a Nullable column fed plain values), or that the table does not
// have, is sent as it is. Many columns a later v1 added are empty for most
// sources; not sending them saves the loader filling them and the server
// reading them, and the stored rows are the same.
func (db *DB) omitDefaults(ctx context.Context, table string, cols []column) ([]column, error) {
	var zero []int
	for i, c := range cols {
		if allZero(c.values) {
			zero = append(zero, i)
		}
	}
	if len(zero) == 0 {
		return cols, nil
	}
	stored, err := db.zeroWhenOmitted(ctx, table)
	if err != nil {
		return nil, err
	}
	kept := make([]column, 0, len(cols))
	z := 0
	for i, c := range cols {
		if z < len(zero) && zero[z] == i {
			z++
			if typ, ok := stored[c.name]; ok && sameClass(typ, c.values) {
				continue
			}
		}
		kept = append(kept, c)
	}
	return kept, nil
}

// zeroWhenOmitted reads table's columns and returns, for each that stores
// its type's zero when an INSERT leaves it out, its type.
func (db *DB) zeroWhenOmitted(ctx context.Context, table string) (map[string]string, error) {
	rows, err := db.conn.Query(ctx, `SELECT name, type, default_kind, default_expression
		FROM system.columns WHERE database = ? AND table = ?`, db.database, table)
	if err != nil {
		return nil, fmt.Errorf("reading the defaults of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, typ, kind, expr string
		if err := rows.Scan(&name, &typ, &kind, &expr); err != nil {
			return nil, fmt.Errorf("reading the defaults of %s: %w", table, err)
		}
		if zeroDefault(typ, kind, expr) {
			out[name] = typ
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the defaults of %s: %w", table, err)
	}
	return out, nil
}

// zeroDefault reports whether a column of type typ with that default
// (kind and expression as system.columns gives them) stores typ's zero
// when an INSERT leaves it out.
func zeroDefault(typ, kind, expr string) bool {
	class := typeClass(typ)
	if class == "" {
		return false
	}
	switch kind {
	case "":
		return true
	case "DEFAULT":
	default: // MATERIALIZED, ALIAS: not inserted at all
		return false
	}
	var zeros []string
	switch class {
	case "string":
		zeros = []string{"''"}
	case "number":
		zeros = []string{"0"}
	case "datetime":
		zeros = []string{"0", "toDateTime(0)"}
	case "array":
		zeros = []string{"[]"}
	case "nullable":
		zeros = []string{"NULL"}
	}
	for _, z := range zeros {
		// ClickHouse keeps a literal DEFAULT of an ADD COLUMN as
		// CAST(literal, 'type') with the column's own type.
		if expr == z || expr == "CAST("+z+", '"+typ+"')" {
			return true
		}
	}
	return false
}

// typeClass sorts the ClickHouse types whose zero allZero knows.
func typeClass(typ string) string {
	switch {
	case strings.HasPrefix(typ, "Nullable("):
		return "nullable"
	case strings.HasPrefix(typ, "Array("):
		return "array"
	case typ == "String" || typ == "LowCardinality(String)":
		return "string"
	case typ == "DateTime":
		return "datetime"
	}
	switch typ {
	case "UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64", "Float32", "Float64":
		return "number"
	}
	return ""
}

// sameClass reports whether the zero of values is typ's zero: nil pointers
// are NULL only in a Nullable column, plain zeros only outside one, and
// the class of typ is the class of the values.
func sameClass(typ string, values any) bool {
	class := typeClass(typ)
	switch values.(type) {
	case []*int64, []*float64, []*uint8:
		return class == "nullable"
	case []string:
		return class == "string"
	case []time.Time:
		return class == "datetime"
	case []float64, []int64, []uint8, []uint16, []uint32:
		return class == "number"
	case [][]string, [][]float64, [][]int64, [][]uint32, [][]uint8:
		return class == "array"
	}
	return false
}

// allZero reports whether every value of values is its type's zero as
// ClickHouse stores it; false for a type it does not know and for no rows.
func allZero(values any) bool {
	switch v := values.(type) {
	case []string:
		return every(v, func(s string) bool { return s == "" })
	case []float64:
		return every(v, func(f float64) bool { return math.Float64bits(f) == 0 })
	case []int64:
		return every(v, func(i int64) bool { return i == 0 })
	case []uint8:
		return every(v, func(u uint8) bool { return u == 0 })
	case []uint16:
		return every(v, func(u uint16) bool { return u == 0 })
	case []uint32:
		return every(v, func(u uint32) bool { return u == 0 })
	case []time.Time:
		return every(v, func(t time.Time) bool { return t.Unix() == 0 })
	case []*int64:
		return every(v, func(p *int64) bool { return p == nil })
	case []*float64:
		return every(v, func(p *float64) bool { return p == nil })
	case []*uint8:
		return every(v, func(p *uint8) bool { return p == nil })
	case [][]string:
		return every(v, func(a []string) bool { return len(a) == 0 })
	case [][]float64:
		return every(v, func(a []float64) bool { return len(a) == 0 })
	case [][]int64:
		return every(v, func(a []int64) bool { return len(a) == 0 })
	case [][]uint32:
		return every(v, func(a []uint32) bool { return len(a) == 0 })
	case [][]uint8:
		return every(v, func(a []uint8) bool { return len(a) == 0 })
	}
	return false
}

func every[T any](v []T, zero func(T) bool) bool {
	if len(v) == 0 {
		return false
	}
	for _, x := range v {
		if !zero(x) {
			return false
		}
	}
	return true
}
