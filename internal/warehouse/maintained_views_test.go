package warehouse_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// fillVaried inserts listing observations numbered from..to-1 and a vendor
// observation per 4 of them: three markets, handles that link by address,
// fingerprint, handle and similar handle, destinations on every basis and
// without one (rows stored before bases were kept), prices with and
// without a gram quantity. No two observations of one vendor identity
// share a second, so the latest capture of each identifier is one page.
func fillVaried(t *testing.T, db *warehouse.DB, from, to int) {
	t.Helper()
	handles := `['Ann', 'ann_1', 'Bob', 'bob.2', 'Cy', 'Dee99', '', 'Eve-7', 'eve']`
	listings := fmt.Sprintf(`INSERT INTO listing_obs (event_id, source, listing_id, category, vendor, price_usd,
	quantity, unit, ships_from, ships_to, ships_to_basis, crypto_chains, crypto_addresses, observed_at, capture_sha256)
SELECT
	hex(cityHash64(number, 'l')), concat('m', toString(number %% 3)), toString(number %% 400),
	arrayElement(['drugs.cocaine', 'drugs.mdma', ''], number %% 3 + 1),
	arrayElement(%[3]s, number %% 9 + 1), toFloat64(number %% 50), toFloat64(number %% 4),
	arrayElement(['g', 'kg', 'pills', 'mg', 'oz'], number %% 5 + 1), arrayElement(['NL', 'DE', ''], number %% 3 + 1),
	arraySlice(['DE', 'FR', 'AT'], 1, number %% 4),
	if(number %% 5 = 0, emptyArrayString(), arraySlice([arrayElement(['explicit', 'region', 'worldwide'], number %% 3 + 1), 'worldwide', 'region'], 1, number %% 4)),
	if(number %% 6 = 0, ['btc'], emptyArrayString()), if(number %% 6 = 0, [concat('bc1q', toString(number %% 7))], emptyArrayString()),
	toDateTime(1700000000 + number * 3601), hex(cityHash64(number, 'lc'))
FROM numbers(%[1]d, %[2]d)`, from, to-from, handles)
	vendors := fmt.Sprintf(`INSERT INTO vendor_obs (event_id, source, handle, pgp_fingerprints, crypto_chains,
	crypto_addresses, observed_at, capture_sha256)
SELECT
	hex(cityHash64(number, 'v')), concat('m', toString(number %% 3)), arrayElement(%[3]s, number %% 9 + 1),
	if(number %% 2 = 0, [concat('FP', toString(number %% 5))], emptyArrayString()),
	if(number %% 3 = 0, ['btc'], emptyArrayString()), if(number %% 3 = 0, [concat('bc1q', toString(number %% 11))], emptyArrayString()),
	toDateTime(1700000000 + number * 4 * 3601 + 1800), hex(cityHash64(number, 'vc'))
FROM numbers(%[1]d, %[2]d)`, from/4, (to-from)/4, handles)
	for _, q := range []string{listings, vendors} {
		if err := db.Conn().Exec(testCtx(t), q); err != nil {
			t.Fatal(err)
		}
	}
}

// oldViews creates the views the maintained tables replace, as migrations
// 0009 and 0062 defined them, under the names *_old.
func oldViews(t *testing.T, db *warehouse.DB) {
	t.Helper()
	ms, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	find := func(version uint32, name string) string {
		for _, m := range ms {
			if m.Version != version {
				continue
			}
			for _, s := range m.Statements {
				if strings.HasPrefix(s, "CREATE VIEW IF NOT EXISTS "+name+" AS") {
					return strings.Replace(s, "CREATE VIEW IF NOT EXISTS "+name+" AS", "CREATE VIEW "+name+"_old AS", 1)
				}
			}
		}
		t.Fatalf("migration %04d creates no view %s", version, name)
		return ""
	}
	for _, s := range []string{
		find(62, "routes"),
		find(9, "vendor_identifiers"),
		strings.ReplaceAll(find(9, "vendor_links"), "FROM vendor_identifiers", "FROM vendor_identifiers_old"),
		strings.ReplaceAll(find(6, "vendor_link_pairs"), "FROM vendor_links", "FROM vendor_links_old"),
	} {
		if err := db.Conn().Exec(testCtx(t), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// reapply drops what migrations 0101, 0102 and 0160 created and applies
// them again, so the observations stored so far are the ones stored before
// the materialized views existed.
func reapply(t *testing.T, db *warehouse.DB) {
	t.Helper()
	ctx := testCtx(t)
	for _, s := range []string{"routes_ids_mv", "routes_prices_mv", "vendor_identifiers_profiles_mv",
		"vendor_identifiers_listings_mv", "routes_ids", "routes_prices", "vendor_identifiers_state"} {
		if err := db.Conn().Exec(ctx, "DROP TABLE IF EXISTS "+s); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version != 101 && m.Version != 102 && m.Version != 160 {
			continue
		}
		for _, s := range m.Statements {
			if err := db.Conn().Exec(ctx, s); err != nil {
				t.Fatalf("%04d_%s: %s: %v", m.Version, m.Name, s, err)
			}
		}
	}
}

// TestMaintainedViewsEqualOld holds routes, vendor_identifiers,
// vendor_links and vendor_link_pairs, read from the tables the
// materialized views maintain, equal row for row to the views of 0009 and
// 0062 on the same data: observations stored before the materialized views
// existed (the backfill) and after (the views), destinations on every
// basis.
func TestMaintainedViewsEqualOld(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	if err := db.Insert(ctx, knownDataset()); err != nil {
		t.Fatal(err)
	}
	fillVaried(t, db, 0, 2000)
	reapply(t, db)
	// Rows stored in the second the views were created are in the backfill
	// too; the rest goes through the views only.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
	fillVaried(t, db, 2000, 3200)
	oldViews(t, db)

	for _, table := range []string{"routes_ids", "routes_ids_backfill", "routes_prices", "routes_prices_backfill",
		"vendor_identifiers_state", "vendor_identifiers_backfill"} {
		if n := count(t, db, "SELECT count() FROM "+table); n == 0 {
			t.Errorf("%s is empty: the test does not reach both the backfill and the materialized views", table)
		}
	}
	for _, v := range []struct{ name, cols string }{
		{"routes", "ships_from, ships_to, category, week, source, listings, listings_explicit, listings_region, " +
			"listings_worldwide, vendors, median_price_usd, median_price_per_gram_usd, gram_observations"},
		// The capture behind an identifier is the latest page showing it;
		// two pages of the same second are equally the latest, and the old
		// view and the maintained table may name either: the captures are
		// checked apart (below), not row for row.
		{"vendor_identifiers", "source, handle, kind, value, first_seen, last_seen"},
		{"vendor_links", "source_a, handle_a, source_b, handle_b, kind, evidence, strength, " +
			"first_seen_a, last_seen_a, first_seen_b, last_seen_b"},
		{"vendor_link_pairs", "source_a, handle_a, source_b, handle_b, kinds, evidence_list, pgp_links, crypto_links, " +
			"same_handle, similar_handle, confidence"},
	} {
		got := rowsOf(t, db, "SELECT "+v.cols+" FROM "+v.name+" ORDER BY "+v.cols)
		want := rowsOf(t, db, "SELECT "+v.cols+" FROM "+v.name+"_old ORDER BY "+v.cols)
		if len(want) < 20 {
			t.Errorf("%s_old has %d rows: too few to compare", v.name, len(want))
		}
		check(t, v.name, got, want)
	}
	// Each maintained identifier's capture is a page that showed it at its
	// last_seen, as the old view's is.
	check(t, "identifier captures", rowsOf(t, db, `SELECT count() FROM vendor_identifiers AS m
		ANY LEFT JOIN (SELECT source, handle, kind, value, last_seen, capture_sha256 AS old_capture FROM vendor_identifiers_old) AS o
		USING (source, handle, kind, value, last_seen)
		WHERE m.capture_sha256 != old_capture AND m.capture_sha256 NOT IN (
			SELECT capture_sha256 FROM vendor_obs UNION ALL SELECT capture_sha256 FROM listing_obs)`), []string{"0"})
	// Each link's captures are those of its two identifiers, side a and b
	// not swapped, as in the view of 0009.
	check(t, "link captures", rowsOf(t, db, `SELECT count(), countIf(bad_a OR capture_b != cb)
		FROM
		(
			SELECT source_b, handle_b, kind, evidence, capture_b, capture_a != ca AS bad_a FROM vendor_links
			ANY LEFT JOIN (SELECT source AS source_a, handle AS handle_a, kind, value AS evidence, capture_sha256 AS ca FROM vendor_identifiers)
			USING (source_a, handle_a, kind, evidence)
		)
		ANY LEFT JOIN (SELECT source AS source_b, handle AS handle_b, kind, value AS evidence, capture_sha256 AS cb FROM vendor_identifiers)
		USING (source_b, handle_b, kind, evidence)`), []string{fmt.Sprintf("%d | 0", count(t, db, "SELECT count() FROM vendor_links_old"))})
	// Every basis is on some route.
	check(t, "bases", rowsOf(t, db, `SELECT sum(listings_explicit) > 0, sum(listings_region) > 0, sum(listings_worldwide) > 0,
		sum(listings) > sum(listings_explicit + listings_region + listings_worldwide) FROM routes`), []string{"1 | 1 | 1 | 1"})
}
