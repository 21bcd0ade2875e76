package warehouse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ClickHouse/ch-go/proto"
	chcolumn "github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// appendColumn appends values, a slice with one element per row, to col
// (the same column as bcol, seen through batch.Columns).
//
// Scalar slices ([]string, []float64, []*int64, ...) go in one Append,
// which clickhouse-go copies column-wise without boxing a value.
//
// Arrays are different: the driver's Array.Append walks a [][]T by
// reflection and boxes every element into an interface on its way to the
// element column (an allocation per number or string), and AppendRow does
// the same per row. So an array of numbers whose column is still empty
// (the first thing appended to it in its data block) is filled in one
// step instead: its rows are written in ClickHouse's Native format for the
// column's exact type (the running offsets as UInt64, then the numbers)
// and handed to the column's Decode, which reads a whole column in bulk
// (5 times faster than the driver's Append for 8,192 rows of two Float64,
// BenchmarkAppendFloatArrays). Decode replaces rather than appends, so a
// column that already holds rows, or of another element type, takes the
// driver's own path. Arrays of strings go row by row as pointers
// (appendStringRows): Decode reads a string a byte at a time through
// three readers, 3 times slower than that (BenchmarkAppendStringArrays).
func appendColumn(bcol driver.BatchColumn, col chcolumn.Interface, values any) error {
	if col != nil && col.Rows() == 0 {
		if native, rows, ok := arrayNative(string(col.Type()), values); ok {
			if rows == 0 {
				return nil
			}
			if err := col.Decode(proto.NewReader(bytes.NewReader(native)), rows); err != nil {
				return fmt.Errorf("filling %s from %T: %w", col.Type(), values, err)
			}
			if col.Rows() != rows {
				return fmt.Errorf("filling %s from %T: %d rows read back, want %d", col.Type(), values, col.Rows(), rows)
			}
			return nil
		}
	}
	switch v := values.(type) {
	case [][]string:
		return appendStringRows(bcol, v)
	}
	return bcol.Append(values)
}

// appendStringRows appends v row by row, each row as pointers to its
// strings: a *string boxes into an interface for free, a string does not.
func appendStringRows(col driver.BatchColumn, v [][]string) error {
	n := 0
	for _, row := range v {
		n += len(row)
	}
	ptrs := make([]*string, 0, n)
	for _, row := range v {
		start := len(ptrs)
		for i := range row {
			ptrs = append(ptrs, &row[i])
		}
		if err := col.AppendRow(ptrs[start:len(ptrs):len(ptrs)]); err != nil {
			return err
		}
	}
	return nil
}

// arrayNative is values in the Native format of a column of type typ,
// when values is a slice of rows of arrays of the number type typ names
// exactly: Array(Float64) from [][]float64, Array(Int64) from [][]int64, Array(UInt32) from [][]uint32,
// Array(UInt8) from [][]uint8. ok is false for anything else.
func arrayNative(typ string, values any) (native []byte, rows int, ok bool) {
	switch v := values.(type) {
	case [][]float64:
		return fixedArrayNative(typ, "Array(Float64)", v, 8, func(b []byte, f float64) []byte {
			return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		})
	case [][]int64:
		return fixedArrayNative(typ, "Array(Int64)", v, 8, func(b []byte, i int64) []byte {
			return binary.LittleEndian.AppendUint64(b, uint64(i))
		})
	case [][]uint32:
		return fixedArrayNative(typ, "Array(UInt32)", v, 4, binary.LittleEndian.AppendUint32)
	case [][]uint8:
		return fixedArrayNative(typ, "Array(UInt8)", v, 1, func(b []byte, u uint8) []byte { return append(b, u) })
	}
	return nil, 0, false
}

// fixedArrayNative writes rows of fixed-size elements of size bytes each,
// if typ is want.
func fixedArrayNative[T any](typ, want string, v [][]T, size int, put func([]byte, T) []byte) ([]byte, int, bool) {
	if typ != want {
		return nil, 0, false
	}
	n := 0
	for _, row := range v {
		n += len(row)
	}
	buf := offsetsNative(v, n*size)
	for _, row := range v {
		for _, x := range row {
			buf = put(buf, x)
		}
	}
	return buf, len(v), true
}

// offsetsNative starts the Native form of an array column: the offset
// where each row's elements end, counted from the first row, as UInt64;
// the buffer has room for more bytes of elements.
func offsetsNative[T any](v [][]T, more int) []byte {
	buf := make([]byte, 0, 8*len(v)+more)
	end := uint64(0)
	for _, row := range v {
		end += uint64(len(row))
		buf = binary.LittleEndian.AppendUint64(buf, end)
	}
	return buf
}
