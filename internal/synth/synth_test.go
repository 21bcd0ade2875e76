package synth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/synth"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestWrite writes synthetic observations into a real ClickHouse and counts
// what landed: every listing once, with vendors for them.
func TestWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx := context.Background()
	st, err := synth.Write(ctx, db, synth.Options{Listings: 12345, Seed: 7, Weeks: 3, BatchSize: 5000,
		Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if st.Listings != 12345 || st.Vendors == 0 || st.Batches < 3 {
		t.Fatalf("stats %+v", st)
	}
	var listings, vendors uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM listing_obs FINAL").Scan(&listings); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM vendor_obs FINAL").Scan(&vendors); err != nil {
		t.Fatal(err)
	}
	if listings != 12345 || vendors != uint64(st.Vendors) {
		t.Errorf("ClickHouse holds %d listings and %d vendors, Write reported %+v", listings, vendors, st)
	}

	// Categories are the taxonomy codes the pipeline gives, as it gives
	// them: an unmatched listing keeps only its raw text and is flagged.
	tax, err := normalize.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Conn().Query(ctx, `SELECT category, category_raw, any(title), has(flags, 'category'), count()
FROM listing_obs GROUP BY category, category_raw, has(flags, 'category') ORDER BY category, category_raw`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	coded := 0
	for rows.Next() {
		var (
			code, raw, title string
			flagged          uint8
			n                uint64
		)
		if err := rows.Scan(&code, &raw, &title, &flagged, &n); err != nil {
			t.Fatal(err)
		}
		want, ok := tax.CategoryOf(raw, title)
		if code != want || (flagged == 1) == ok {
			t.Errorf("%d listings of %q: category %q, flagged %d; the taxonomy gives %q, %v", n, raw, code, flagged, want, ok)
		}
		if ok {
			coded += int(n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if coded == 0 {
		t.Error("no synthetic listing has a taxonomy code")
	}

	// The database is marked, and every row says it is synthetic.
	var marks, unmarked uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+synth.MarkerTable).Scan(&marks); err != nil || marks != 1 {
		t.Errorf("%s: %d rows, %v; want 1", synth.MarkerTable, marks, err)
	}
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM listing_obs WHERE NOT endsWith(pipeline, '@synthetic')").Scan(&unmarked); err != nil || unmarked != 0 {
		t.Errorf("%d listing rows without a synthetic pipeline, %v", unmarked, err)
	}
}

// TestWritePrices checks that synthetic prices are converted to USD as a
// collection converts them: with the config's rates, for every currency
// the fixture markets show (Whitehall's XMR prices were taken as dollars,
// so its weekly median came out as $1.2).
func TestWritePrices(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx := context.Background()
	rates := normalize.Rates{USDPer: map[string]float64{"EUR": 1.1, "XMR": 200}}
	if _, err := synth.Write(ctx, db, synth.Options{Listings: 3000, Seed: 7, Weeks: 2, Rates: rates,
		Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Conn().Query(ctx, `SELECT price_currency, count(), countIf(price_usd = 0),
    max(abs(price_usd - price_amount * multiIf(price_currency = 'USD', 1, price_currency = 'EUR', 1.1, price_currency = 'XMR', 200, 0))),
    min(price_usd)
FROM listing_obs GROUP BY price_currency ORDER BY price_currency`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var (
			cur       string
			n, zero   uint64
			diff, low float64
		)
		if err := rows.Scan(&cur, &n, &zero, &diff, &low); err != nil {
			t.Fatal(err)
		}
		seen[cur] = true
		if zero > 0 || diff > 0.01 || !(low > 0) {
			t.Errorf("%s: %d listings, %d without price_usd, largest difference to the rate %.4f, lowest %.4f", cur, n, zero, diff, low)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, cur := range []string{"USD", "EUR", "XMR"} {
		if !seen[cur] {
			t.Errorf("no synthetic listing priced in %s (saw %v)", cur, seen)
		}
	}
}

// TestWriteRefusesCollected checks that synthetic rows never go into a
// database holding collected observations.
func TestWriteRefusesCollected(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx := context.Background()
	l := event.Listing{Provenance: event.Provenance{Source: "nebula", ObservedAt: time.Now().UTC(), Pipeline: "nebula@3",
		CaptureSHA256: strings.Repeat("a", 64)}, ListingID: "1", Title: "collected"}
	l.Finalize()
	if err := db.Insert(ctx, &warehouse.Batch{Listings: []event.Listing{l}}); err != nil {
		t.Fatal(err)
	}
	_, err := synth.Write(ctx, db, synth.Options{Listings: 10, Seed: 7}, zerolog.Nop())
	if !errors.Is(err, synth.ErrCollected) || !strings.Contains(err.Error(), synth.Database(db.Database())) {
		t.Errorf("Write into a database with collected rows: %v, want ErrCollected naming %s", err, synth.Database(db.Database()))
	}
	var n uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM listing_obs").Scan(&n); err != nil || n != 1 {
		t.Errorf("listing_obs holds %d rows (%v), want the collected one only", n, err)
	}
	if synth.Database("counternet") != "counternet_synthetic" || synth.Database("x_synthetic") != "x_synthetic" {
		t.Errorf("Database: %s, %s", synth.Database("counternet"), synth.Database("x_synthetic"))
	}
}
