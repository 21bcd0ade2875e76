package warehouse

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ClickHouse/ch-go/proto"
	chcolumn "github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// newColumn is an empty driver column of type typ, as a batch holds it.
func newColumn(tb testing.TB, typ string) chcolumn.Interface {
	tb.Helper()
	col, err := chcolumn.Type(typ).Column("c", &chcolumn.ServerContext{})
	if err != nil {
		tb.Fatal(err)
	}
	return col
}

// driverColumn appends through the driver's own column methods, as
// batch.Column(i) does.
type driverColumn struct{ col chcolumn.Interface }

func (d driverColumn) Append(v any) error {
	_, err := d.col.Append(v)
	return err
}

func (d driverColumn) AppendRow(v any) error { return d.col.AppendRow(v) }

var _ driver.BatchColumn = driverColumn{}

// TestAppendArraysInBulk: every array type the column builders make fills
// an empty column of its exact type with the same rows, in order, empty
// arrays, edge numbers, empty and long strings among them, as the driver's
// own row-by-row append gives; arrays of numbers in bulk (the driver's
// path is not taken: its BatchColumn is nil for them).
func TestAppendArraysInBulk(t *testing.T) {
	long := strings.Repeat("é", 300)
	for typ, values := range map[string]any{
		"Array(String)":  [][]string{{"a", "", long}, nil, {}, {"b"}},
		"Array(Float64)": [][]float64{{1.5, math.Copysign(0, -1), math.Inf(1)}, nil, {-2}},
		"Array(Int64)":   [][]int64{{math.MinInt64, 0, math.MaxInt64}, {}, {7}},
		"Array(UInt32)":  [][]uint32{{math.MaxUint32}, nil, {0, 1}},
		"Array(UInt8)":   [][]uint8{{255, 0}, {}, {1}},
	} {
		bulk, rows := newColumn(t, typ), newColumn(t, typ)
		var driverPath driver.BatchColumn
		if typ == "Array(String)" {
			driverPath = driverColumn{bulk}
		}
		if err := appendColumn(driverPath, bulk, values); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		v := reflect.ValueOf(values)
		for i := range v.Len() {
			if err := rows.AppendRow(v.Index(i).Interface()); err != nil {
				t.Fatalf("%s row %d: %v", typ, i, err)
			}
		}
		if bulk.Rows() != v.Len() || rows.Rows() != v.Len() {
			t.Fatalf("%s: %d rows in bulk, %d row by row, want %d", typ, bulk.Rows(), rows.Rows(), v.Len())
		}
		for i := range v.Len() {
			got, want := bulk.Row(i, false), rows.Row(i, false)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(reflect.ValueOf(got).Len(), v.Index(i).Len()) {
				t.Errorf("%s row %d: %#v, row by row %#v", typ, i, got, want)
			}
		}
	}
}

// TestAppendArraysOtherwise: a column of another element type than the Go
// values', or one that already holds rows, goes the driver's way, which
// converts or refuses as it does for any value.
func TestAppendArraysOtherwise(t *testing.T) {
	col := newColumn(t, "Array(Float32)")
	if err := appendColumn(driverColumn{col}, col, [][]float64{{1.5}}); err != nil {
		t.Fatal(err)
	}
	if got := col.Row(0, false); !reflect.DeepEqual(got, []float32{1.5}) {
		t.Errorf("Array(Float32) from float64: %#v", got)
	}
	col = newColumn(t, "Array(String)")
	if err := appendColumn(driverColumn{col}, col, [][]string{{"a"}}); err != nil {
		t.Fatal(err)
	}
	if err := appendColumn(driverColumn{col}, col, [][]string{{"b", "c"}, {}}); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a"}, {"b", "c"}, {}}
	for i := range want {
		if got := col.Row(i, false); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("row %d: %#v, want %#v", i, got, want[i])
		}
	}
	col = newColumn(t, "Array(UInt32)")
	if err := appendColumn(driverColumn{col}, col, [][]string{{"x"}}); err == nil {
		t.Error("strings into Array(UInt32) were taken")
	}
}

// BenchmarkAppendStringArrays compares ways to fill an Array(String)
// column of 8,192 rows of three strings: through Decode of their Native
// form, row by row as pointers (appendStringRows), and the driver's Append.
func BenchmarkAppendStringArrays(b *testing.B) {
	values := make([][]string, 8192)
	for i := range values {
		values[i] = []string{"DE", "FR", "country" + strconv.Itoa(i)}
	}
	b.Run("decode", func(b *testing.B) {
		col := newColumn(b, "Array(String)")
		for b.Loop() {
			col.Reset()
			var buf []byte
			end := uint64(0)
			for _, row := range values {
				end += uint64(len(row))
				buf = binary.LittleEndian.AppendUint64(buf, end)
			}
			for _, row := range values {
				for _, s := range row {
					buf = binary.AppendUvarint(buf, uint64(len(s)))
					buf = append(buf, s...)
				}
			}
			if err := col.Decode(proto.NewReader(bytes.NewReader(buf)), len(values)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rows", func(b *testing.B) {
		col := newColumn(b, "Array(String)")
		for b.Loop() {
			col.Reset()
			if err := appendStringRows(driverColumn{col}, values); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("driver-append", func(b *testing.B) {
		col := newColumn(b, "Array(String)")
		for b.Loop() {
			col.Reset()
			if _, err := col.Append(values); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAppendFloatArrays compares filling an Array(Float64) column of
// 8,192 rows of two numbers in bulk with the driver's Append of [][]float64
// (the path before) and with AppendRow row by row.
func BenchmarkAppendFloatArrays(b *testing.B) {
	values := make([][]float64, 8192)
	for i := range values {
		values[i] = []float64{float64(i), 2.5}
	}
	b.Run("bulk", func(b *testing.B) {
		col := newColumn(b, "Array(Float64)")
		for b.Loop() {
			col.Reset()
			if err := appendColumn(nil, col, values); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("driver-append", func(b *testing.B) {
		col := newColumn(b, "Array(Float64)")
		for b.Loop() {
			col.Reset()
			if _, err := col.Append(values); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rows", func(b *testing.B) {
		col := newColumn(b, "Array(Float64)")
		for b.Loop() {
			col.Reset()
			for _, row := range values {
				if err := col.AppendRow(row); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
