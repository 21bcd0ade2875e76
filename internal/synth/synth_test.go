package synth_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

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
}
