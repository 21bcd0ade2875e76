package warehouse_test

import (
	"testing"

	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// routesCountCols are the columns of routes that count listings and
// vendors; routesEqualOld compares these or more.
const routesCountCols = "ships_from, ships_to, category, week, source, listings, listings_explicit, listings_region, listings_worldwide, vendors"

// storeTwice stores the observations numbered 0..n-1 of fillVaried twice,
// in two inserts, as a batch delivered again would be: every row of the
// routes tables is in two parts. It creates the views of 0009 and 0062
// beside the maintained ones (oldViews).
func storeTwice(t *testing.T, db *warehouse.DB, n int) {
	t.Helper()
	fillVaried(t, db, 0, n)
	fillVaried(t, db, 0, n)
	oldViews(t, db)
}

// routesEqualOld checks that routes answers as the view of 0062 on cols.
func routesEqualOld(t *testing.T, db *warehouse.DB, cols, when string) {
	t.Helper()
	got := rowsOf(t, db, "SELECT "+cols+" FROM routes ORDER BY "+cols)
	want := rowsOf(t, db, "SELECT "+cols+" FROM routes_old ORDER BY "+cols)
	if len(want) < 20 {
		t.Fatalf("%s: routes_old has %d rows: too few to compare", when, len(want))
	}
	check(t, "routes "+when, got, want)
}

// TestRoutesCountOnceAcrossParts: routes counts a listing seen in two
// inserts of the same week once, while its rows are in two parts of
// routes_ids (counted by their ids) and after the engine merged them
// into one (counted by rows), equal to the view of 0062 both times.
func TestRoutesCountOnceAcrossParts(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	// The same observations twice, as a batch delivered again would be:
	// every row of routes_ids is in two parts.
	storeTwice(t, db, 600)
	compare := func(when string) { routesEqualOld(t, db, routesCountCols, when) }
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
