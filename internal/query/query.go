package query

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Errors of binding parameters.
var (
	ErrUnknownQuery = errors.New("unknown query")
	ErrUnknownParam = errors.New("unknown parameter")
	ErrBadParam     = errors.New("bad parameter value")
	ErrMissingParam = errors.New("missing parameter")
)

// Type is the type of a parameter.
type Type string

// Parameter types.
const (
	String  Type = "string"
	Int     Type = "int"     // an integer from Min to Max
	Float   Type = "float"   // a number
	Country Type = "country" // an ISO 3166-1 alpha-2 code (upper-cased), or empty
	Date    Type = "date"    // YYYY-MM-DD
)

// Param is one parameter of a saved query.
type Param struct {
	Name    string
	Type    Type
	Default string
	Doc     string
	// Choices, when set, are the only values a String parameter takes.
	Choices []string
	// Required says the parameter has no default: a query without it (or
	// with it empty) is an error, never a query for the empty value.
	Required bool
	// Min and Max bound an Int parameter (both inclusive); a value outside
	// is an error, not a query ClickHouse would answer with nothing.
	Min, Max int64
}

// Query is one saved query. Its SQL names parameters as @name.
type Query struct {
	Name        string
	Description string
	Params      []Param
	SQL         string
	// RefreshClusters says the query reads vendor_clusters, which the
	// caller recomputes first (warehouse.RefreshVendorClusters).
	RefreshClusters bool
}

// MaxStringParam bounds the length of a string parameter.
const MaxStringParam = 256

var (
	reDate    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	reCountry = regexp.MustCompile(`^[A-Z]{2}$`)
)

// value parses s as a value of p's type.
func (p Param) value(s string) (any, error) {
	switch p.Type {
	case Int:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v < p.Min || v > p.Max {
			return nil, fmt.Errorf("%w: %s=%q: want an integer from %d to %d", ErrBadParam, p.Name, s, p.Min, p.Max)
		}
		return v, nil
	case Float:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: %s=%q: want a number", ErrBadParam, p.Name, s)
		}
		return v, nil
	case Country:
		s = strings.ToUpper(strings.TrimSpace(s))
		if s != "" && !reCountry.MatchString(s) {
			return nil, fmt.Errorf("%w: %s=%q: want an ISO 3166-1 alpha-2 code like DE", ErrBadParam, p.Name, s)
		}
		return s, nil
	case Date:
		// The pattern keeps the form; Parse rejects a month 13 or a
		// 31 February, which ClickHouse 18.16 would read as some other day.
		if _, err := time.Parse(time.DateOnly, s); err != nil || !reDate.MatchString(s) {
			return nil, fmt.Errorf("%w: %s=%q: want a date like 2026-01-31", ErrBadParam, p.Name, s)
		}
		return s, nil
	default:
		if len(s) > MaxStringParam {
			return nil, fmt.Errorf("%w: %s: longer than %d bytes", ErrBadParam, p.Name, MaxStringParam)
		}
		if len(p.Choices) > 0 && !slices.Contains(p.Choices, s) {
			return nil, fmt.Errorf("%w: %s=%q: want one of %s", ErrBadParam, p.Name, s, strings.Join(p.Choices, ", "))
		}
		return s, nil
	}
}

// Values resolves the given parameter values (name to text) against the
// query's parameters: defaults for those not given, each parsed as its type.
// A name the query does not have is an error.
func (q Query) Values(given map[string]string) (map[string]any, error) {
	out := map[string]any{}
	known := map[string]bool{}
	var errs []error
	for _, p := range q.Params {
		known[p.Name] = true
		s, ok := given[p.Name]
		if !ok {
			s = p.Default
		}
		if p.Required && strings.TrimSpace(s) == "" {
			errs = append(errs, fmt.Errorf("%w: %s needs --param %s=... (%s)", ErrMissingParam, q.Name, p.Name, p.Doc))
			continue
		}
		v, err := p.value(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[p.Name] = v
	}
	var unknown []string
	for k := range given {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("%w %q for %s (it takes: %s)", ErrUnknownParam, k, q.Name, q.paramNames()))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (q Query) paramNames() string {
	if len(q.Params) == 0 {
		return "none"
	}
	names := make([]string, len(q.Params))
	for i, p := range q.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// Statement is the query's SQL with every @name replaced by its value as a
// SQL literal, in one pass over the SQL: a value is never scanned again, so
// a value holding "@other" stays text. It is exactly what Run sends, and
// what Literal prints. An @word that names no parameter is left as it is
// (TestSavedQueriesWellFormed keeps saved queries free of them).
func (q Query) Statement(values map[string]any) string {
	known := make(map[string]bool, len(q.Params))
	for _, p := range q.Params {
		known[p.Name] = true
	}
	sql := strings.TrimSpace(q.SQL)
	var b strings.Builder
	b.Grow(len(sql))
	for i := 0; i < len(sql); {
		if sql[i] != '@' {
			b.WriteByte(sql[i])
			i++
			continue
		}
		j := i + 1
		for j < len(sql) && isIdent(sql[j], j == i+1) {
			j++
		}
		if name := sql[i+1 : j]; known[name] {
			b.WriteString(literal(values[name]))
		} else {
			b.WriteString(sql[i:j])
		}
		i = j
	}
	return b.String()
}

// isIdent reports whether c can be part of a parameter name (its first
// character when first).
func isIdent(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// Literal is Statement preceded by a comment naming the query and its
// values and ended by ";": the text `counternet query --sql` prints, for
// clickhouse-client. The statement in it is byte for byte the one Run sends.
func (q Query) Literal(values map[string]any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s: %s\n", q.Name, q.Description)
	for _, p := range q.Params {
		fmt.Fprintf(&b, "--   %s = %s\n", p.Name, literal(values[p.Name]))
	}
	b.WriteString(q.Statement(values))
	b.WriteString(";\n")
	return b.String()
}

// literalEscaper escapes a string for a ClickHouse string literal; line
// breaks are escaped too, so a value cannot end the comment line it is
// echoed in.
var literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "\x00", `\0`)

// literal quotes v as a ClickHouse literal: strings in single quotes with
// backslash, quote, line breaks, tabs and NUL escaped.
func literal(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + literalEscaper.Replace(x) + "'"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// All returns the saved queries sorted by name.
func All() []Query {
	qs := append([]Query(nil), saved...)
	sort.Slice(qs, func(i, j int) bool { return qs[i].Name < qs[j].Name })
	return qs
}

// Lookup finds a saved query by name.
func Lookup(name string) (Query, error) {
	for _, q := range saved {
		if q.Name == name {
			return q, nil
		}
	}
	return Query{}, fmt.Errorf("%w %q (counternet query --list names them)", ErrUnknownQuery, name)
}

// Result is what a query returned: column names and types, and rows of Go
// values as the driver scanned them.
type Result struct {
	Columns   []string
	Types     []string
	Rows      [][]any
	Truncated bool // more rows than the limit were available
	// CutText, when above 1, cuts table cells of free text (values holding
	// a space) to this many characters; 0 prints every value in full.
	CutText int
}

// Fetch runs sql with args and reads at most limit rows (0: no limit).
// Without args the driver sends sql as it is.
func Fetch(ctx context.Context, conn driver.Conn, limit int, sql string, args ...any) (*Result, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("running query: %w", err)
	}
	defer rows.Close()
	cts := rows.ColumnTypes()
	res := &Result{Columns: rows.Columns()}
	for _, ct := range cts {
		res.Types = append(res.Types, ct.DatabaseTypeName())
	}
	for rows.Next() {
		if limit > 0 && len(res.Rows) >= limit {
			res.Truncated = true
			break
		}
		ptrs := make([]any, len(cts))
		for i, ct := range cts {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("reading query result: %w", err)
		}
		row := make([]any, len(ptrs))
		for i, p := range ptrs {
			row[i] = reflect.ValueOf(p).Elem().Interface()
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading query result: %w", err)
	}
	return res, nil
}

// Run resolves the given parameters and runs the saved query, reading at
// most limit rows (0: no limit).
func Run(ctx context.Context, conn driver.Conn, q Query, given map[string]string, limit int) (*Result, error) {
	values, err := q.Values(given)
	if err != nil {
		return nil, err
	}
	res, err := Fetch(ctx, conn, limit, q.Statement(values))
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", q.Name, err)
	}
	return res, nil
}
