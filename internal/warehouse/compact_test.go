package warehouse_test

import (
	"testing"
	"time"

	"github.com/counternet/counternet/internal/testenv"
)

// TestCompactRoutes: Compact merges the past months of routes_ids and
// routes_prices left in several parts into one part each (and the vendor
// identifiers), leaves the months still being written (as of now) in their
// parts, and routes answers as the view of
// 0062 before, after, and once every month is merged; a second call finds
// nothing to merge.
func TestCompactRoutes(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	// Every observation twice, in two inserts: every month in two parts.
	storeTwice(t, db, 1500)
	cols := routesCountCols + ", median_price_usd, median_price_per_gram_usd, gram_observations"
	split := func() (past, recent uint64) {
		t.Helper()
		// Months in several parts before and from December 2023.
		return count(t, db, `SELECT count() FROM (SELECT table, partition_id FROM system.parts WHERE database = currentDatabase()
				AND table IN ('routes_ids', 'routes_prices') AND active GROUP BY table, partition_id HAVING count() > 1 AND partition_id < '202312')`),
			count(t, db, `SELECT count() FROM (SELECT table, partition_id FROM system.parts WHERE database = currentDatabase()
				AND table IN ('routes_ids', 'routes_prices') AND active GROUP BY table, partition_id HAVING count() > 1 AND partition_id >= '202312')`)
	}
	if past, recent := split(); past == 0 || recent == 0 {
		t.Fatalf("before: %d past and %d recent months in several parts; want both", past, recent)
	}
	routesEqualOld(t, db, cols, "before")

	// As of 2023-12-12 (a Tuesday): weeks up to the one of 2023-11-27 are
	// over; November's last week is that one, December's are not.
	now := time.Date(2023, 12, 12, 10, 0, 0, 0, time.UTC)
	months, err := db.Compact(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{}
	for _, m := range months {
		if m.Table != "vendor_identifiers_state" && m.Partition > "202311" {
			t.Errorf("merged %+v, a month not over as of %s", m, now)
		}
		if m.Parts < 2 || m.Rows == 0 {
			t.Errorf("month %+v: want the parts and rows it had", m)
		}
		tables[m.Table] = true
	}
	if !tables["routes_ids"] || !tables["routes_prices"] || !tables["vendor_identifiers_state"] {
		t.Errorf("merged %+v: want months of routes_ids and routes_prices, and vendor_identifiers_state", months)
	}
	if past, recent := split(); past != 0 || recent == 0 {
		t.Fatalf("after: %d past and %d recent months in several parts; want 0 past, the recent ones left", past, recent)
	}
	routesEqualOld(t, db, cols, "with the past months merged")

	months, err = db.Compact(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(months) == 0 {
		t.Fatal("merged nothing as of today")
	}
	if past, recent := split(); past != 0 || recent != 0 {
		t.Fatalf("after merging as of today: %d and %d months in several parts", past, recent)
	}
	routesEqualOld(t, db, cols, "with every month merged")
	if months, err := db.Compact(ctx, time.Now()); err != nil || len(months) != 0 {
		t.Fatalf("second call merged %+v (%v), want nothing", months, err)
	}
}
