package warehouse_test

import (
	"testing"

	"github.com/counternet/counternet/internal/testenv"
)

// TestRoutesCountOnceAcrossParts: routes counts a listing seen in two
// inserts of the same week once, while its rows are in two parts of
// routes_ids (counted by their ids) and after the engine merged them
// into one (counted by rows), equal to the view of 0062 both times.
func TestRoutesCountOnceAcrossParts(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	// The same observations twice, as a batch delivered again would be:
	// every row of routes_ids is in two parts.
	fillVaried(t, db, 0, 600)
	fillVaried(t, db, 0, 600)
	oldViews(t, db)
	cols := "ships_from, ships_to, category, week, source, listings, listings_explicit, listings_region, listings_worldwide, vendors"
	compare := func(when string) {
		t.Helper()
		got := rowsOf(t, db, "SELECT "+cols+" FROM routes ORDER BY "+cols)
		want := rowsOf(t, db, "SELECT "+cols+" FROM routes_old ORDER BY "+cols)
		if len(want) < 20 {
			t.Fatalf("%s: routes_old has %d rows: too few to compare", when, len(want))
		}
		check(t, "routes "+when, got, want)
	}
	rows := count(t, db, "SELECT count() FROM routes_ids WHERE kind = 0")
	if listings := count(t, db, "SELECT sum(listings) FROM routes"); rows != 2*listings {
		t.Fatalf("routes_ids holds %d listing rows for %d listings on routes: want every row twice before the merge", rows, listings)
	}
	compare("with every row in two parts")

	if err := db.Conn().Exec(ctx, "OPTIMIZE TABLE routes_ids FINAL"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count() FROM (SELECT partition FROM system.parts WHERE database = currentDatabase()
		AND table = 'routes_ids' AND active GROUP BY partition HAVING count() > 1)`); n != 0 {
		t.Fatalf("%d months of routes_ids are still in several parts after OPTIMIZE ... FINAL", n)
	}
	if n := count(t, db, "SELECT count() FROM routes_ids WHERE kind = 0"); n != rows/2 {
		t.Fatalf("routes_ids holds %d listing rows after the merge, want %d", n, rows/2)
	}
	compare("merged")
}
