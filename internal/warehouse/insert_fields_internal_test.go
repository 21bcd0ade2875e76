package warehouse

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
)

// fill sets v (addressable) to a non-zero value of its type: strings "x7",
// numbers 7, true, a time, pointers to filled values, slices of one filled
// element, structs with every field filled.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x7")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(7.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem())
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	}
}

// jsonFields lists the top-level JSON fields of an event type (its
// Provenance's included) with the index path of each.
func jsonFields(typ reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous {
			for name, idx := range jsonFields(f.Type) {
				out[name] = append([]int{i}, idx...)
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = []int{i}
		}
	}
	return out
}

// TestEveryEventFieldHasAColumn sets each JSON field of each observation
// event in turn and checks that some column of its insert changes: a
// field added to an event and not to the insert (or a column never
// filled) fails here, before any ClickHouse is involved. schema is the
// only field no column holds (the table is the schema), and a thread's
// forum, which Validate holds equal to its source.
func TestEveryEventFieldHasAColumn(t *testing.T) {
	cases := []struct {
		name string
		ev   any
		cols func(ev any) []column
	}{
		{"listing", &event.Listing{}, func(ev any) []column {
			ls := []event.Listing{*ev.(*event.Listing)}
			return append(listingColumns(ls), listingFieldColumns(ls)...)
		}},
		{"vendor", &event.Vendor{}, func(ev any) []column {
			vs := []event.Vendor{*ev.(*event.Vendor)}
			return append(vendorColumns(vs), vendorFieldColumns(vs)...)
		}},
		{"post", &event.Post{}, func(ev any) []column {
			ps := []event.Post{*ev.(*event.Post)}
			return append(postColumns(ps), postFieldColumns(ps)...)
		}},
		{"thread", &event.Thread{}, func(ev any) []column { return threadColumns([]event.Thread{*ev.(*event.Thread)}) }},
		{"capture", &event.Capture{}, func(ev any) []column {
			cs := []event.Capture{*ev.(*event.Capture)}
			return append(captureColumns(cs), captureCrawlColumns(cs)...)
		}},
		{"run", &event.Run{}, func(ev any) []column {
			rs := []event.Run{*ev.(*event.Run)}
			return append(runColumns(rs), runCrawlColumns(rs)...)
		}},
	}
	for _, tc := range cases {
		typ := reflect.TypeOf(tc.ev).Elem()
		zero := tc.cols(reflect.New(typ).Interface())
		names := map[string]bool{}
		for _, c := range zero {
			if names[c.name] {
				t.Errorf("%s: column %s inserted twice", tc.name, c.name)
			}
			names[c.name] = true
		}
		for field, idx := range jsonFields(typ) {
			if field == "schema" || tc.name == "thread" && field == "forum" {
				continue
			}
			ev := reflect.New(typ)
			fill(ev.Elem().FieldByIndex(idx))
			got := tc.cols(ev.Interface())
			changed := false
			for i := range got {
				if !reflect.DeepEqual(got[i].values, zero[i].values) {
					changed = true
				}
			}
			if !changed {
				t.Errorf("%s.%s: no column of the insert holds it", tc.name, field)
			}
		}
	}
}
