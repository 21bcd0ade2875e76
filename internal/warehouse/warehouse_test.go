package warehouse_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var week1 = time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC) // a Monday

func listing(source, id, vendor string, at time.Time, usd float64, from string, to ...string) event.Listing {
	l := event.Listing{
		Provenance: event.Provenance{
			Source:        source,
			Mirror:        source + "xyz.onion",
			URL:           "http://" + source + "xyz.onion/listing/" + id,
			ObservedAt:    at,
			CaptureSHA256: fmt.Sprintf("%064x", at.Unix()),
			Pipeline:      source + "@1",
			RunID:         "run-" + at.Format("20060102"),
		},
		ListingID: id,
		Title:     "title " + id + " " + at.Format(time.DateOnly),
		Category:  "drugs.stimulants",
		Vendor:    vendor,
		Price:     event.Money{Amount: usd, Currency: "USD", Raw: fmt.Sprintf("$%.2f", usd)},
		PriceUSD:  usd,
		ShipsFrom: from,
		ShipsTo:   to,
	}
	l.Finalize()
	return l
}

func count(t *testing.T, db *warehouse.DB, query string) uint64 {
	t.Helper()
	var n uint64
	if err := db.Conn().QueryRow(testCtx(t), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrateTwice(t *testing.T) {
	db := testenv.ClickHouse(t) // migrated once already
	ctx := testCtx(t)
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	ms, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Conn().Query(ctx, "SELECT version, name, count() FROM schema_migrations GROUP BY version, name ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			v    uint32
			name string
			n    uint64
		)
		if err := rows.Scan(&v, &name, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("version %d recorded %d times, want once", v, n)
		}
		got = append(got, fmt.Sprintf("%04d_%s", v, name))
	}
	var want []string
	for _, m := range ms {
		want = append(want, fmt.Sprintf("%04d_%s", m.Version, m.Name))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("schema_migrations = %v, want %v", got, want)
	}
	for _, table := range []string{"listing_obs", "vendor_obs", "captures", "runs", "listing_current", "vendor_current", "routes"} {
		if n := count(t, db, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = '"+table+"'"); n != 1 {
			t.Errorf("table %s missing", table)
		}
	}
}

func TestMigrateConcurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	addr := testenv.ClickHouseAddr(t)
	ctx := testCtx(t)
	dsn := fmt.Sprintf("clickhouse://%s/t_concurrent_%d", addr, time.Now().UnixNano())
	var (
		wg   sync.WaitGroup
		errs = make([]error, 3)
		dbs  = make([]*warehouse.DB, 3)
	)
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := warehouse.Open(ctx, dsn, zerolog.Nop())
			if err != nil {
				errs[i] = err
				return
			}
			dbs[i] = db
			errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	if dbs[0] == nil {
		t.FailNow()
	}
	ms, _ := warehouse.Migrations()
	if n := count(t, dbs[0], "SELECT count() FROM schema_migrations FINAL"); n != uint64(len(ms)) {
		t.Errorf("schema_migrations FINAL has %d rows, want %d", n, len(ms))
	}
	if err := dbs[0].Conn().Exec(ctx, "DROP DATABASE "+dbs[0].Database()); err != nil {
		t.Error(err)
	}
	for _, db := range dbs {
		if db != nil {
			db.Close()
		}
	}
}

func TestInsertDuplicatesCollapse(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	week2 := week1.AddDate(0, 0, 7)
	ls := []event.Listing{
		listing("alpha", "1", "vend", week1, 100, "NL", "DE", "FR"),
		listing("alpha", "1", "vend", week2, 120, "NL", "DE"), // later observation, new price
		listing("alpha", "2", "vend", week1, 50, "NL", "BE"),
		listing("beta", "1", "vend", week1, 80, "DE", "AT"), // same listing id, other market
	}
	ids := map[string]bool{}
	for _, l := range ls {
		ids[l.EventID] = true
	}
	for range 2 {
		if err := db.Insert(ctx, &warehouse.Batch{Listings: ls}); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, db, "SELECT count() FROM listing_obs"); n != uint64(2*len(ls)) {
		t.Logf("listing_obs holds %d rows before merge (two inserts of %d)", n, len(ls))
	}
	if n := count(t, db, "SELECT count() FROM listing_obs FINAL"); n != uint64(len(ids)) {
		t.Errorf("listing_obs FINAL = %d rows, want %d distinct events", n, len(ids))
	}
	got, err := db.CountListings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != 3 {
		t.Errorf("CountListings = %d, want 3", got)
	}

	rows, err := db.Conn().Query(ctx, `SELECT source, listing_id, event_id, title, price_usd, ships_to,
		first_seen, last_seen, observations FROM listing_current ORDER BY source, listing_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type current struct {
		source, id, eventID, title string
		usd                        float64
		shipsTo                    []string
		first, last                time.Time
		observations               uint64
	}
	var cur []current
	for rows.Next() {
		var c current
		if err := rows.Scan(&c.source, &c.id, &c.eventID, &c.title, &c.usd, &c.shipsTo, &c.first, &c.last, &c.observations); err != nil {
			t.Fatal(err)
		}
		cur = append(cur, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []current{
		{"alpha", "1", ls[1].EventID, ls[1].Title, 120, []string{"DE"}, week1, week2, 2},
		{"alpha", "2", ls[2].EventID, ls[2].Title, 50, []string{"BE"}, week1, week1, 1},
		{"beta", "1", ls[3].EventID, ls[3].Title, 80, []string{"AT"}, week1, week1, 1},
	}
	if len(cur) != len(want) {
		t.Fatalf("listing_current has %d rows, want %d: %+v", len(cur), len(want), cur)
	}
	for i := range want {
		g, w := cur[i], want[i]
		if g.source != w.source || g.id != w.id || g.eventID != w.eventID || g.title != w.title ||
			g.usd != w.usd || !reflect.DeepEqual(g.shipsTo, w.shipsTo) || !g.first.Equal(w.first) ||
			!g.last.Equal(w.last) || g.observations != w.observations {
			t.Errorf("listing_current row %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestListingRoundTrip(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	l := listing("gamma", "77", "v77", week1, 42.5, "GB", "US", "CA")
	l.Description = "line one\nline two 'quoted' \\ back"
	l.CategoryRaw = "Drugs > Stimulants"
	l.Quantity, l.Unit = 3.5, "g"
	l.ShipsFromRaw, l.ShipsToRaw = "United Kingdom", "USA, Canada"
	l.PaymentMethods = []string{"btc", "xmr"}
	l.Escrow = true
	l.Crypto = []event.CryptoAddress{{Chain: "btc", Address: "bc1qexample"}, {Chain: "xmr", Address: "4xmrexample"}}
	l.Flags = []string{"description:truncated"}
	l.Finalize()
	if err := db.Insert(ctx, &warehouse.Batch{Listings: []event.Listing{l}}); err != nil {
		t.Fatal(err)
	}
	var (
		g        event.Listing
		escrow   uint8
		chains   []string
		addrs    []string
		inserted time.Time
	)
	err := db.Conn().QueryRow(ctx, `SELECT event_id, source, mirror, url, listing_id, title, description,
		category_raw, category, vendor, price_amount, price_currency, price_raw, price_usd, quantity, unit,
		ships_from, ships_from_raw, ships_to, ships_to_raw, payment_methods, escrow, crypto_chains,
		crypto_addresses, flags, observed_at, capture_sha256, pipeline, run_id, inserted_at FROM listing_obs`).Scan(
		&g.EventID, &g.Source, &g.Mirror, &g.URL, &g.ListingID, &g.Title, &g.Description,
		&g.CategoryRaw, &g.Category, &g.Vendor, &g.Price.Amount, &g.Price.Currency, &g.Price.Raw, &g.PriceUSD,
		&g.Quantity, &g.Unit, &g.ShipsFrom, &g.ShipsFromRaw, &g.ShipsTo, &g.ShipsToRaw, &g.PaymentMethods,
		&escrow, &chains, &addrs, &g.Flags, &g.ObservedAt, &g.CaptureSHA256, &g.Pipeline, &g.RunID, &inserted)
	if err != nil {
		t.Fatal(err)
	}
	g.Escrow = escrow == 1
	for i := range chains {
		g.Crypto = append(g.Crypto, event.CryptoAddress{Chain: chains[i], Address: addrs[i]})
	}
	g.Schema = l.Schema
	g.ObservedAt = g.ObservedAt.UTC()
	if !reflect.DeepEqual(g, l) {
		t.Errorf("round trip:\n got %+v\nwant %+v", g, l)
	}
	if time.Since(inserted) > time.Hour || time.Until(inserted) > time.Hour {
		t.Errorf("inserted_at = %v, want about now", inserted)
	}
}

func TestVendorsCapturesRuns(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	v1 := event.Vendor{
		Provenance: event.Provenance{Source: "alpha", Mirror: "a.onion", URL: "http://a.onion/v/x", ObservedAt: week1,
			CaptureSHA256: "aa", Pipeline: "alpha@1", RunID: "r1"},
		Handle: "x", PGPFingerprints: []string{"ABCDEF"}, Rating: 4.5, Sales: 100, Joined: "2023-01-02",
		ShipsFrom: "NL", Contacts: []string{"session:05ab"},
		Crypto: []event.CryptoAddress{{Chain: "btc", Address: "bc1qvendor"}},
	}
	v1.Finalize()
	v2 := v1
	v2.ObservedAt = week1.Add(24 * time.Hour)
	v2.Sales = 130
	v2.CaptureSHA256 = "bb"
	v2.Finalize()
	c := event.Capture{Source: "alpha", URL: "http://a.onion/", FetchedAt: week1, Status: 200, Outcome: "ok",
		Bytes: 1234, SHA256: "aa", Type: "text/html", PageKind: "index", Records: 7, RunID: "r1", DurationMS: 321}
	c.Finalize()
	r := event.Run{RunID: "r1", Source: "alpha", Pipeline: "alpha@1", StartedAt: week1, Outcome: "failed",
		Pages: 3, Failed: 1, Listings: 20, Vendors: 2, Error: "proxy down"} // FinishedAt zero
	r.Finalize()
	b := &warehouse.Batch{Vendors: []event.Vendor{v1, v2, v1}, Captures: []event.Capture{c, c}, Runs: []event.Run{r}}
	if b.Len() != 6 {
		t.Errorf("Len = %d, want 6", b.Len())
	}
	if err := db.Insert(ctx, b); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]uint64{
		"SELECT count() FROM vendor_obs FINAL":                                 2,
		"SELECT count() FROM vendor_current":                                   1,
		"SELECT toUInt64(sales) FROM vendor_current":                           130,
		"SELECT observations FROM vendor_current":                              2,
		"SELECT count() FROM captures FINAL":                                   1,
		"SELECT toUInt64(status + records + bytes) FROM captures FINAL":        200 + 7 + 1234,
		"SELECT toUInt64(pages + pages_failed + listings + vendors) FROM runs": 26,
		"SELECT toUInt64(finished_at) FROM runs":                               0,
	} {
		if got := count(t, db, query); got != want {
			t.Errorf("%s = %d, want %d", query, got, want)
		}
	}
	var pgp, addrs []string
	if err := db.Conn().QueryRow(ctx, "SELECT pgp_fingerprints, crypto_addresses FROM vendor_current").Scan(&pgp, &addrs); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pgp, []string{"ABCDEF"}) || !reflect.DeepEqual(addrs, []string{"bc1qvendor"}) {
		t.Errorf("vendor_current pgp %v addresses %v", pgp, addrs)
	}
}

func TestRoutesView(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	week2 := week1.AddDate(0, 0, 7)
	ls := []event.Listing{
		listing("alpha", "1", "v1", week1, 100, "NL", "DE", "FR"),
		listing("alpha", "1", "v1", week1.Add(48*time.Hour), 300, "NL", "DE", "FR"), // same week, new price
		listing("alpha", "2", "v2", week1, 200, "NL", "DE"),
		listing("alpha", "3", "v2", week1, 0, "NL", "DE"), // no USD price: not in the median
		listing("alpha", "1", "v1", week2, 120, "NL", "DE"),
		listing("beta", "9", "v1", week1, 0, "", "US"), // unknown origin
		listing("beta", "8", "v3", week1, 10, "CO"),    // no destination: on no route
	}
	for range 2 { // duplicates must not change the distinct counts
		if err := db.Insert(ctx, &warehouse.Batch{Listings: ls}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.Conn().Query(ctx, `SELECT ships_from, ships_to, category, week, source, listings, vendors, median_price_usd
		FROM routes ORDER BY week, source, ships_from, ships_to`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			from, to, cat, source string
			week                  time.Time
			listings, vendors     uint64
			median                float64
		)
		if err := rows.Scan(&from, &to, &cat, &week, &source, &listings, &vendors, &median); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s>%s %s %s %s listings=%d vendors=%d median=%g",
			from, to, cat, week.Format(time.DateOnly), source, listings, vendors, median))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		// week 1 alpha NL>DE: listings 1, 2, 3; prices 100, 300, 200 (and 0, excluded), each twice.
		"NL>DE drugs.stimulants 2024-03-04 alpha listings=3 vendors=2 median=200",
		"NL>FR drugs.stimulants 2024-03-04 alpha listings=1 vendors=1 median=200",
		">US drugs.stimulants 2024-03-04 beta listings=1 vendors=1 median=0",
		"NL>DE drugs.stimulants 2024-03-11 alpha listings=1 vendors=1 median=120",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("routes:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestSummary(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)

	empty, err := db.Summary(ctx)
	if err != nil {
		t.Fatalf("Summary on empty database: %v", err)
	}
	for _, tc := range empty.Tables {
		if tc.Rows != 0 {
			t.Errorf("empty database: %s has %d rows", tc.Name, tc.Rows)
		}
	}
	if len(empty.Tables) != 9 || len(empty.TopRoutes) != 0 || len(empty.TopVendors) != 0 {
		t.Errorf("empty summary = %+v", empty)
	}
	var buf bytes.Buffer
	if err := empty.Print(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "(none)") {
		t.Errorf("empty summary print:\n%s", buf.String())
	}

	ls := []event.Listing{
		listing("alpha", "1", "big", week1, 10, "NL", "DE", "FR"),
		listing("alpha", "1", "big", week1.AddDate(0, 0, 7), 10, "NL", "DE", "FR"),
		listing("alpha", "2", "big", week1, 10, "NL", "DE"),
		listing("beta", "5", "big", week1, 10, "NL", "DE"),
		listing("beta", "6", "small\tname\n", week1, 10, "ES", "PT"),
		listing("beta", "7", "globe", week1, 10, "NL", "DE", "PT"), // worldwide except ...
	}
	ls[0].ShipsToBasis, ls[1].ShipsToBasis = []string{event.DestExplicit, event.DestExplicit}, []string{event.DestExplicit, event.DestRegion}
	ls[5].ShipsToBasis, ls[5].ShipsToExcluded = []string{event.DestWorldwide, event.DestWorldwide}, []string{"FR"}
	for range 2 {
		if err := db.Insert(ctx, &warehouse.Batch{Listings: ls}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := db.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rowsOf := map[string]uint64{}
	for _, tc := range s.Tables {
		rowsOf[tc.Name] = tc.Rows
	}
	if rowsOf["listing_obs"] != 6 || rowsOf["listing_current"] != 5 || rowsOf["vendor_obs"] != 0 {
		t.Errorf("table rows = %v", rowsOf)
	}
	// a1 named DE and FR, then FR as part of a region; the others' bases were not recorded.
	wantRoutes := []warehouse.RouteCount{{"NL", "DE", 4, 1, 0, 1}, {"ES", "PT", 1, 0, 0, 0}, {"NL", "FR", 1, 1, 1, 0}, {"NL", "PT", 1, 0, 0, 1}}
	if !reflect.DeepEqual(s.TopRoutes, wantRoutes) {
		t.Errorf("TopRoutes = %v, want %v", s.TopRoutes, wantRoutes)
	}
	wantVendors := []warehouse.VendorCount{{"big", 2, 3}, {"globe", 1, 1}, {"small\tname\n", 1, 1}}
	if !reflect.DeepEqual(s.TopVendors, wantVendors) {
		t.Errorf("TopVendors = %v, want %v", s.TopVendors, wantVendors)
	}
	buf.Reset()
	if err := s.Print(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		lines[strings.Join(strings.Fields(line), " ")] = true
	}
	for _, want := range []string{"listing_current 5", "NL DE 4 1 0 1", "NL FR 1 1 1 0", "big 2 3", "small name 1 1"} {
		if !lines[want] {
			t.Errorf("print lacks a line %q:\n%s", want, out)
		}
	}
	t.Logf("summary:\n%s", out)
}

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"empty", "", nil},
		{"comments only", "-- a;\n-- b\n", nil},
		{"one without semicolon", "SELECT 1", []string{"SELECT 1"}},
		{"two", "-- head\nCREATE TABLE a (x UInt8)\nENGINE = Memory;\n\nSELECT 1;\n", []string{"CREATE TABLE a (x UInt8)\nENGINE = Memory", "SELECT 1"}},
		{"semicolon mid-line stays", "SELECT ';' AS s, 1;\n", []string{"SELECT ';' AS s, 1"}},
		{"comment inside", "SELECT\n  -- the answer;\n  42;", []string{"SELECT\n  42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := warehouse.SplitStatements(tt.sql)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitStatements(%q) = %q, want %q", tt.sql, got, tt.want)
			}
		})
	}
}

func TestMigrationsEmbedded(t *testing.T) {
	ms, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, m := range ms {
		versions = append(versions, int(m.Version))
		for _, s := range m.Statements {
			// ALTER TABLE ... ADD COLUMN has no IF NOT EXISTS on 18.16; the
			// migrator treats "column already exists" as done.
			addColumn := strings.HasPrefix(s, "ALTER TABLE ") && strings.Contains(s, " ADD COLUMN ")
			// A copy (INSERT ... SELECT) skips the rows it already copied.
			copyOnce := strings.HasPrefix(s, "INSERT INTO ") && strings.Contains(s, ") NOT IN (SELECT ")
			if !strings.Contains(s, "IF NOT EXISTS") && !strings.HasPrefix(s, "DROP TABLE IF EXISTS") && !addColumn && !copyOnce {
				t.Errorf("%04d_%s: statement is not idempotent: %.60s", m.Version, m.Name, s)
			}
		}
	}
	if !sort.IntsAreSorted(versions) || len(versions) < 2 || versions[0] != 1 {
		t.Errorf("versions = %v", versions)
	}
}

// TestInsertManyBlocks inserts a batch larger than one data block (the
// insert sends it in blocks, reusing the driver's buffers): every row
// arrives once, with the values of its own event, whatever block it was in.
func TestInsertManyBlocks(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	const n = 20_000 // three blocks, the last one partial
	ls := make([]event.Listing, n)
	var wantUSD float64
	for i := range ls {
		usd := float64(i%977) + 0.25
		to := []string{"DE", "FR", "BE"}[:1+i%3]
		ls[i] = listing("alpha", fmt.Sprint(i), fmt.Sprintf("v%d", i%50), week1.Add(time.Duration(i)*time.Second), usd, "NL", to...)
		wantUSD += usd
	}
	if err := db.Insert(ctx, &warehouse.Batch{Listings: ls}); err != nil {
		t.Fatal(err)
	}
	var (
		rows, ids, routes uint64
		sumUSD            float64
	)
	err := db.Conn().QueryRow(ctx, `SELECT count(), uniqExact(event_id), sum(length(ships_to)), sum(price_usd)
		FROM listing_obs`).Scan(&rows, &ids, &routes, &sumUSD)
	if err != nil {
		t.Fatal(err)
	}
	if rows != n || ids != n {
		t.Errorf("listing_obs holds %d rows, %d distinct events; want %d of each", rows, ids, n)
	}
	if wantRoutes := uint64(n/3*(1+2+3) + 1 + 2); routes != wantRoutes { // 20,000 = 3·6666 + 2
		t.Errorf("ships_to entries = %d, want %d", routes, wantRoutes)
	}
	if sumUSD != wantUSD {
		t.Errorf("sum(price_usd) = %v, want %v", sumUSD, wantUSD)
	}
	// One row near the end of the last block, read back whole.
	var title, shipsFrom string
	var shipsTo []string
	err = db.Conn().QueryRow(ctx, `SELECT title, ships_from, ships_to FROM listing_obs WHERE listing_id = '19999'`).
		Scan(&title, &shipsFrom, &shipsTo)
	if err != nil {
		t.Fatal(err)
	}
	if want := ls[19999].Title; title != want || shipsFrom != "NL" || !slices.Equal(shipsTo, []string{"DE", "FR"}) {
		t.Errorf("listing 19999 = %q %q %v, want %q NL [DE FR]", title, shipsFrom, shipsTo, want)
	}
}

// TestSourceStatuses reads back each source's latest run (what `counternet
// status` prints): of two runs of one source the later one, with its own
// outcome and counts.
func TestSourceStatuses(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	run := func(source, id string, start time.Time, outcome string, pages int) event.Run {
		r := event.Run{RunID: id, Source: source, Pipeline: source + "@1", StartedAt: start,
			FinishedAt: start.Add(time.Minute), Outcome: outcome, Pages: pages, Listings: pages * 2}
		r.Finalize()
		return r
	}
	runs := []event.Run{
		run("alpha", "a1", week1, "failed", 3),
		run("alpha", "a2", week1.Add(time.Hour), "ok", 10),
		run("beta", "b1", week1, "partial", 4),
	}
	if err := db.Insert(ctx, &warehouse.Batch{Runs: runs}); err != nil {
		t.Fatal(err)
	}
	got, err := db.SourceStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("SourceStatuses = %+v, want alpha and beta", got)
	}
	a, b := got[0], got[1]
	if a.Source != "alpha" || !a.LastStart.Equal(week1.Add(time.Hour)) || !a.LastFinish.Equal(week1.Add(time.Hour+time.Minute)) ||
		a.LastOutcome != "ok" || a.Pages != 10 || a.Listings != 20 {
		t.Errorf("alpha: %+v, want the run a2 (ok, 10 pages, 20 listings)", a)
	}
	if b.Source != "beta" || b.LastOutcome != "partial" || b.Pages != 4 {
		t.Errorf("beta: %+v, want the run b1 (partial, 4 pages)", b)
	}
}
