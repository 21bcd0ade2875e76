package synth_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/synth"
	"github.com/counternet/counternet/internal/testenv"
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
}
