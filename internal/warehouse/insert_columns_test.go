package warehouse_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// vary sets v (addressable) to a value that depends on seed: strings
// "s<seed>", numbers seed, alternating booleans, times seed seconds after
// 2024-05-06, pointers set for two seeds in three, slices of seed%3
// elements, maps of seed%3 entries, structs with every field varied.
func vary(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(seed))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed%1000) + 0.25)
	case reflect.Bool:
		v.SetBool(seed%2 == 1)
	case reflect.Pointer:
		if seed%3 != 0 {
			p := reflect.New(v.Type().Elem())
			vary(p.Elem(), seed)
			v.Set(p)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), seed%3, seed%3)
		for i := range s.Len() {
			vary(s.Index(i), seed+i)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range seed % 3 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			vary(k, seed+i)
			vary(e, seed+i)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).Add(time.Duration(seed) * time.Second)))
			return
		}
		for i := range v.NumField() {
			vary(v.Field(i), seed+i)
		}
	}
}

// varied is n events of type T with every field varied, event ids unique
// from first on.
func varied[T any](n, first int, id func(*T) *string) []T {
	out := make([]T, n)
	for i := range out {
		vary(reflect.ValueOf(&out[i]).Elem(), first+i)
		*id(&out[i]) = "ev" + strconv.Itoa(first+i)
	}
	return out
}

// sparseBatch is n listings that fill only what the benchmark's listings
// do, so the columns later versions added are all empty, except
// price_max, a negative zero in every row (not the stored default, so it
// must be sent); and posts and threads with only their ids and text.
func sparseBatch(n int) *warehouse.Batch {
	b := &warehouse.Batch{}
	at := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	for i := range n {
		l := listing("alpha", strconv.Itoa(i), "vendor"+strconv.Itoa(i%50), at.Add(time.Duration(i)*time.Second), float64(i%300), "NL", "DE", "FR")
		l.PaymentMethods = []string{"btc", "xmr"}
		l.Crypto = []event.CryptoAddress{{Chain: "btc", Address: "bc1q" + strconv.Itoa(i)}}
		l.PriceMax = math.Copysign(0, -1)
		b.Listings = append(b.Listings, l)
	}
	for i := range 3 {
		b.Posts = append(b.Posts, event.Post{EventID: "p" + strconv.Itoa(i), Provenance: event.Provenance{Source: "forum"}, PostID: strconv.Itoa(i), Body: "hello"})
		b.Threads = append(b.Threads, event.Thread{EventID: "t" + strconv.Itoa(i), Provenance: event.Provenance{Source: "forum"}, ThreadID: strconv.Itoa(i)})
	}
	return b
}

// fullBatch has n listings and a few events of every other kind with every
// field varied, empty and nil in some rows and not in others.
func fullBatch(n int) *warehouse.Batch {
	return &warehouse.Batch{
		Listings: varied(n, 100000, func(l *event.Listing) *string { return &l.EventID }),
		Vendors:  varied(40, 200000, func(v *event.Vendor) *string { return &v.EventID }),
		Posts:    varied(40, 300000, func(p *event.Post) *string { return &p.EventID }),
		Threads:  varied(40, 400000, func(t *event.Thread) *string { return &t.EventID }),
		Captures: varied(40, 500000, func(c *event.Capture) *string { return &c.EventID }),
		Runs:     varied(40, 600000, func(r *event.Run) *string { return &r.EventID }),
	}
}

// TestInsertEqualsRowByRow: Insert (columns built once, arrays filled in
// bulk, columns left out where the table's default stores the same value)
// stores exactly what the plain row-by-row insert of every column stores,
// in every column of every table, the tables the materialized views fill
// included, for a batch whose later-v1 columns are all empty and for one
// whose every field is set, each over more than one data block.
func TestInsertEqualsRowByRow(t *testing.T) {
	ctx := testCtx(t)
	for name, tt := range map[string]struct {
		b       *warehouse.Batch
		tables  int      // at least this many tables hold rows
		sent    []string // listing_obs columns Insert must send
		notSent []string // and must not
	}{
		"sparse": {sparseBatch(8192 + 300), 5, []string{"event_id", "ships_to", "crypto_addresses", "price_max"},
			[]string{"prices_amount", "attr_keys", "listed_at", "stock", "vendor_rating", "shipping_costs", "finalize_early"}},
		"full": {fullBatch(8192 + 300), 8, []string{"prices_amount", "attr_keys", "listed_at", "stock", "vendor_rating", "shipping_costs", "finalize_early"}, nil},
	} {
		b := tt.b
		t.Run(name, func(t *testing.T) {
			got, want := testenv.ClickHouse(t), testenv.ClickHouse(t)
			sent, err := warehouse.SentColumns(ctx, got, b)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.sent {
				if !slices.Contains(sent["listing_obs"], c) {
					t.Errorf("listing_obs column %s is not sent", c)
				}
			}
			for _, c := range tt.notSent {
				if slices.Contains(sent["listing_obs"], c) {
					t.Errorf("listing_obs column %s, all default, is sent", c)
				}
			}
			if err := got.Insert(ctx, b); err != nil {
				t.Fatal(err)
			}
			if err := warehouse.InsertRowByRow(ctx, want, b); err != nil {
				t.Fatal(err)
			}
			compared := 0
			for _, table := range dataTables(t, ctx, got) {
				g, w := tableRows(t, ctx, got, table), tableRows(t, ctx, want, table)
				if len(g) != len(w) {
					t.Errorf("%s: %d rows, row by row %d", table, len(g), len(w))
					continue
				}
				for i := range g {
					if g[i] != w[i] {
						t.Errorf("%s row %d:\n got %s\nwant %s", table, i, g[i], w[i])
						break
					}
				}
				if len(g) > 0 {
					compared++
				}
			}
			if compared < tt.tables {
				t.Errorf("only %d tables held rows to compare, want %d or more", compared, tt.tables)
			}
			t.Logf("%d tables compared; listing_obs: %d columns sent", compared, len(sent["listing_obs"]))
			if n := count(t, got, "SELECT count() FROM listing_obs"); n != uint64(len(b.Listings)) {
				t.Errorf("listing_obs holds %d rows, want %d", n, len(b.Listings))
			}
		})
	}
}

// dataTables lists the tables of db that hold data (materialized views'
// inner tables included; views and schema_migrations not).
func dataTables(t *testing.T, ctx context.Context, db *warehouse.DB) []string {
	rows, err := db.Conn().Query(ctx, `SELECT name FROM system.tables WHERE database = ?
		AND engine NOT IN ('View', 'MaterializedView') AND name != 'schema_migrations' ORDER BY name`, db.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out = append(out, name)
	}
	return out
}

// tableRows is every row of table, each printed with every column but
// those filled by now() (aggregate states by their final values), sorted.
func tableRows(t *testing.T, ctx context.Context, db *warehouse.DB, table string) []string {
	q := "SELECT name, type FROM system.columns WHERE database = ? AND table = ? AND position(default_expression, 'now()') = 0 ORDER BY name"
	names, err := db.Conn().Query(ctx, q, db.Database(), table)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for names.Next() {
		var n, typ string
		if err := names.Scan(&n, &typ); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(typ, "AggregateFunction(") {
			cols = append(cols, "finalizeAggregation(`"+n+"`)")
		} else {
			cols = append(cols, "`"+n+"`")
		}
	}
	names.Close()
	rows, err := db.Conn().Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM `"+table+"`")
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i, ct := range rows.ColumnTypes() {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		var line strings.Builder
		for i, v := range vals {
			fmt.Fprintf(&line, "%s=%v ", cols[i], printable(reflect.ValueOf(v).Elem()))
		}
		out = append(out, line.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// printable dereferences pointers, so NULL prints as <nil> and a value as
// itself; times print in UTC.
func printable(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if tm, ok := v.Interface().(time.Time); ok {
		return tm.UTC()
	}
	return v.Interface()
}
