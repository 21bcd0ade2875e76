package load

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/counternet/counternet/internal/event"
)

// strs visits every string of v (a pointer), in fields, slices and nested
// structs, by reflection.
func strs(v reflect.Value, visit func(reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer:
		strs(v.Elem(), visit)
	case reflect.String:
		visit(v)
	case reflect.Struct:
		for i := range v.NumField() {
			strs(v.Field(i), visit)
		}
	case reflect.Slice:
		for i := range v.Len() {
			strs(v.Index(i), visit)
		}
	}
}

// TestTextsOwnEveryString guards texts.own: every string of a listing, a
// field added later included, must be copied out of the message, or the
// batch would keep pointing into messages it no longer holds.
func TestTextsOwnEveryString(t *testing.T) {
	msg := strings.Repeat("x", 1<<16) // the "message" every string points into
	inMsg := func(s string) bool {
		if s == "" {
			return false
		}
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(msg)))
		return p >= lo && p < lo+uintptr(len(msg))
	}
	var l event.Listing
	l.ShipsTo, l.ShipsToExcluded = make([]string, 2), make([]string, 2)
	l.PaymentMethods, l.Flags = make([]string, 2), make([]string, 2)
	l.Crypto = make([]event.CryptoAddress, 2)
	l.ShipsToBasis, l.Prices, l.Attributes = make([]string, 2), make([]event.Money, 2), make([]event.Attr, 2)
	l.ShippingOptions = []event.ShippingOption{{Destinations: make([]string, 2)}, {Destinations: make([]string, 1)}}
	off := 0
	strs(reflect.ValueOf(&l), func(v reflect.Value) {
		v.SetString(msg[off : off+3+off%5])
		off += 8
	})
	want := map[string]bool{}
	strs(reflect.ValueOf(&l), func(v reflect.Value) { want[fmt.Sprintf("%d:%s", v.Len(), v.String())] = true })

	var tx texts
	tx.own(&l)
	n := 0
	strs(reflect.ValueOf(&l), func(v reflect.Value) {
		n++
		if inMsg(v.String()) {
			t.Errorf("a string of the listing (%q) still points into the message: texts.own misses a field", v.String())
		}
		if !want[fmt.Sprintf("%d:%s", v.Len(), v.String())] {
			t.Errorf("texts.own changed a string to %q", v.String())
		}
	})
	if n < 50 {
		t.Fatalf("visited %d strings; the walk misses the listing's fields", n)
	}
}

// TestArenaReuse checks that strings stay intact across chunk boundaries,
// that a string longer than a chunk fits, and that a reset arena reuses
// its chunks.
func TestArenaReuse(t *testing.T) {
	var a arena
	var got, want []string
	for i := range 5000 {
		s := strings.Repeat(string(rune('a'+i%26)), 1+i%300)
		if i == 2500 {
			s = strings.Repeat("L", 3*arenaChunk)
		}
		got, want = append(got, a.copy(s)), append(want, s)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("string %d = %.20q…, want %.20q…", i, got[i], want[i])
		}
	}
	chunks := len(a.chunks)
	a.n = 0
	for range 5000 {
		a.copy(strings.Repeat("z", 150))
	}
	if len(a.chunks) != chunks {
		t.Errorf("after reset the arena grew from %d to %d chunks; want them reused", chunks, len(a.chunks))
	}
}
