package load_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/normalize/fieldsamples"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/query"
	"github.com/counternet/counternet/internal/testenv"
)

// fieldSample is one entry of internal/normalize/testdata/fields.json, the
// sample value of every field a site file may set.
type fieldSample = fieldsamples.Sample

const fieldsDir = "../normalize/testdata"

func fieldSamples(t *testing.T) map[string]map[string]fieldSample {
	t.Helper()
	out, err := fieldsamples.Load(filepath.Join(fieldsDir, "fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fieldCase is one field of one record type followed to ClickHouse: the
// event of a record without the field (base) and with it (with), each
// under its own natural key.
type fieldCase struct {
	typ, name       string
	baseKey, andKey string
}

// tables names each record type's observation table and natural key column.
var tables = map[string]struct{ table, key string }{
	pipeline.RecordListing: {"listing_obs", "listing_id"},
	pipeline.RecordVendor:  {"vendor_obs", "handle"},
	pipeline.RecordPost:    {"post_obs", "post_id"},
	pipeline.RecordThread:  {"thread_obs", "thread_id"},
}

// TestEveryFieldReachesClickHouse follows every field a site file may set,
// for every record type (the sample values of the normalizer's every-field
// test), through normalize, the bus and the loader into ClickHouse: the
// row of a record with the field differs from the row of the same record
// without it in some column besides the key and the event id. Nothing is
// dead-lettered on the way. A field whose value stops short of a column
// (a column the loader does not fill, an event field no column holds)
// fails here.
func TestEveryFieldReachesClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	samples := fieldSamples(t)
	prov := event.Provenance{Source: "harbor", Mirror: "harbor.onion", URL: "http://harbor.onion/page",
		ObservedAt: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), CaptureSHA256: strings.Repeat("5e", 32),
		Pipeline: "harbor@1", RunID: "run-fields"}
	var (
		cases []fieldCase
		msgs  []bus.Message
	)
	add := func(typ string, r pipeline.Record) {
		var (
			ev      any
			id, sub string
		)
		switch typ {
		case pipeline.RecordListing:
			l := normalize.Listing(r, prov, normalize.Rates{})
			ev, id, sub = &l, l.EventID, event.Subject(event.TypeListing, prov.Source)
		case pipeline.RecordVendor:
			v := normalize.Vendor(r, prov)
			ev, id, sub = &v, v.EventID, event.Subject(event.TypeVendor, prov.Source)
		case pipeline.RecordPost:
			p := normalize.Post(r, prov, nil)
			ev, id, sub = &p, p.EventID, event.Subject(event.TypePost, prov.Source)
		case pipeline.RecordThread:
			th := normalize.Thread(r, prov)
			ev, id, sub = &th, th.EventID, event.Subject(event.TypeThread, prov.Source)
		default:
			t.Fatalf("record type %q has no table", typ)
		}
		m, err := bus.Encode(sub, id, ev)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	for _, typ := range pipeline.RecordTypes() {
		key := pipeline.NaturalKey(typ)
		names := pipeline.Fields(typ)
		for name := range samples["*"] {
			names = append(names, name)
		}
		for i, name := range names {
			if name == key {
				continue // every row has one; its column is compared below
			}
			s, ok := samples[typ][name]
			if !ok {
				s, ok = samples["*"][name]
			}
			if !ok {
				t.Errorf("%s.%s: no sample value in %s/fields.json", typ, name, fieldsDir)
				continue
			}
			if s.File != "" {
				data, err := os.ReadFile(filepath.Join(fieldsDir, s.File))
				if err != nil {
					t.Fatal(err)
				}
				s.Raw = string(data)
			}
			c := fieldCase{typ: typ, name: name, baseKey: fmt.Sprintf("base-%d", i), andKey: fmt.Sprintf("with-%d", i)}
			base := pipeline.Record{Type: typ, Fields: map[string]pipeline.Field{key: {Raw: c.baseKey}}}
			with := pipeline.Record{Type: typ, Fields: map[string]pipeline.Field{key: {Raw: c.andKey}, name: {Raw: s.Raw, Parser: s.Parser}}}
			for k, v := range s.With {
				base.Fields[k] = pipeline.Field{Raw: v}
				with.Fields[k] = pipeline.Field{Raw: v}
			}
			add(typ, base)
			add(typ, with)
			cases = append(cases, c)
		}
	}
	if len(cases) < 60 {
		t.Fatalf("%d fields followed; the field lists are broken", len(cases))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := testenv.ClickHouse(t)
	c := connectBus(t, testenv.NATS(t))
	publish(t, c, msgs)
	cons, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 5000, AckWait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ld := newLoader(c, db, cons, load.Options{BatchSize: 1000, FlushInterval: 100 * time.Millisecond},
		zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err := ld.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := ld.Stats(); st.DeadLetters != 0 || st.Loaded != len(msgs) {
		t.Fatalf("loader stats %+v, want %d loaded and no dead letters", st, len(msgs))
	}

	rows := map[string]map[string]string{} // type/key -> column -> value
	for typ, tk := range tables {
		res, err := query.Fetch(ctx, db.Conn(), 0, "SELECT * FROM "+tk.table+" FINAL")
		if err != nil {
			t.Fatal(err)
		}
		keyCol := -1
		for i, col := range res.Columns {
			if col == tk.key {
				keyCol = i
			}
		}
		for _, r := range res.Rows {
			row := map[string]string{}
			for i, v := range r {
				row[res.Columns[i]] = cell(v)
			}
			rows[typ+"/"+row[res.Columns[keyCol]]] = row
		}
	}
	for _, fc := range cases {
		base, with := rows[fc.typ+"/"+fc.baseKey], rows[fc.typ+"/"+fc.andKey]
		if base == nil || with == nil {
			t.Errorf("%s.%s: rows not stored (without it: %v, with it: %v)", fc.typ, fc.name, base != nil, with != nil)
			continue
		}
		var differ []string
		for col, v := range with {
			switch col {
			case tables[fc.typ].key, "event_id", "inserted_at":
				continue
			}
			if base[col] != v {
				differ = append(differ, col)
			}
		}
		if len(differ) == 0 {
			t.Errorf("%s.%s: the row with the field equals the row without it: the value stops short of ClickHouse", fc.typ, fc.name)
			continue
		}
		sort.Strings(differ)
		t.Logf("%s.%s -> %s", fc.typ, fc.name, strings.Join(differ, ", "))
	}
}

// cell is a value as text; NULL is "NULL", a pointer its value.
func cell(v any) string {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL"
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return "NULL"
	}
	if tm, ok := rv.Interface().(time.Time); ok {
		return tm.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(rv.Interface())
}
