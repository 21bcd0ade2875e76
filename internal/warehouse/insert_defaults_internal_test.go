package warehouse

import (
	"math"
	"testing"
	"time"
)

// TestZeroDefault: only a column that stores its type's zero when left out
// counts: no DEFAULT, or a DEFAULT that is that zero as a literal, bare or
// in the CAST ClickHouse wraps an ADD COLUMN's literal in.
func TestZeroDefault(t *testing.T) {
	for _, tt := range []struct {
		typ, kind, expr string
		want            bool
	}{
		{"String", "", "", true},
		{"String", "DEFAULT", "''", true},
		{"String", "DEFAULT", "'x'", false},
		{"String", "DEFAULT", "source", false},
		{"String", "MATERIALIZED", "''", false},
		{"String", "ALIAS", "''", false},
		{"Float64", "DEFAULT", "CAST(0, 'Float64')", true},
		{"Float64", "DEFAULT", "CAST(0, 'Float32')", false},
		{"Float64", "DEFAULT", "price_amount / quantity", false},
		{"UInt8", "DEFAULT", "0", true},
		{"UInt8", "DEFAULT", "1", false},
		{"Array(String)", "DEFAULT", "CAST([], 'Array(String)')", true},
		{"Array(String)", "DEFAULT", "['x']", false},
		{"Array(Float64)", "", "", true},
		{"DateTime", "DEFAULT", "toDateTime(0)", true},
		{"DateTime", "DEFAULT", "now()", false},
		{"DateTime", "DEFAULT", "observed_at", false},
		{"DateTime('UTC')", "", "", false},
		{"Nullable(Int64)", "", "", true},
		{"Nullable(Int64)", "DEFAULT", "0", false},
		{"Nullable(Int64)", "DEFAULT", "NULL", true},
		{"Decimal(9, 2)", "", "", false},
		{"UUID", "", "", false},
	} {
		if got := zeroDefault(tt.typ, tt.kind, tt.expr); got != tt.want {
			t.Errorf("zeroDefault(%s, %s, %s) = %v, want %v", tt.typ, tt.kind, tt.expr, got, tt.want)
		}
	}
}

// TestAllZero: a column is all zero only when every row stores what the
// type's zero stores: a negative zero or NaN is not 0, a second past 1970
// is not 1970, one non-empty array or set pointer anywhere counts, and no
// rows at all is not "all zero".
func TestAllZero(t *testing.T) {
	one := int64(1)
	for name, tt := range map[string]struct {
		values any
		want   bool
	}{
		"empty strings":    {[]string{"", ""}, true},
		"one string":       {[]string{"", "a"}, false},
		"zeros":            {[]float64{0, 0}, true},
		"negative zero":    {[]float64{0, math.Copysign(0, -1)}, false},
		"NaN":              {[]float64{math.NaN()}, false},
		"epoch":            {[]time.Time{minDateTime, time.Unix(0, 0)}, true},
		"a second later":   {[]time.Time{minDateTime, time.Unix(1, 0)}, false},
		"nil pointers":     {[]*int64{nil, nil}, true},
		"a pointer to 0":   {[]*int64{nil, new(int64)}, false},
		"a pointer to 1":   {[]*int64{&one}, false},
		"empty arrays":     {[][]string{nil, {}}, true},
		"one element":      {[][]float64{nil, {0}}, false},
		"no rows":          {[]string{}, false},
		"unknown type":     {[]int32{0}, false},
		"uint8 zeros":      {[]uint8{0, 0}, true},
		"uint32 not zeros": {[]uint32{0, 3}, false},
	} {
		if got := allZero(tt.values); got != tt.want {
			t.Errorf("%s: allZero = %v, want %v", name, got, tt.want)
		}
	}
}

// TestSameClass: nil pointers are NULL only for a Nullable column, and
// plain zeros only for a column of their own kind.
func TestSameClass(t *testing.T) {
	for _, tt := range []struct {
		typ    string
		values any
		want   bool
	}{
		{"Nullable(Int64)", []*int64{nil}, true},
		{"Int64", []*int64{nil}, false},
		{"Nullable(String)", []string{""}, false},
		{"String", []string{""}, true},
		{"Array(String)", [][]string{nil}, true},
		{"String", [][]string{nil}, false},
		{"DateTime", []time.Time{minDateTime}, true},
		{"UInt32", []time.Time{minDateTime}, false},
	} {
		if got := sameClass(tt.typ, tt.values); got != tt.want {
			t.Errorf("sameClass(%s, %T) = %v, want %v", tt.typ, tt.values, got, tt.want)
		}
	}
}
