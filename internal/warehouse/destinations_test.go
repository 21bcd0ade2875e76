package warehouse_test

import (
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/query"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestCurrentViewsCarryEveryColumn: listing_current, vendor_current and
// thread_current hold every column of their observation table, with its
// type, as the database reports them, so a column added to a table and
// not to its view fails here (listing_current lacked price_per_unit,
// price_per_unit_usd and ships_to_excluded).
func TestCurrentViewsCarryEveryColumn(t *testing.T) {
	db := testenv.ClickHouse(t)
	live, err := db.LiveSchema(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]map[string]string{}
	for _, o := range live {
		by[o.Name] = map[string]string{}
		for _, c := range o.Columns {
			by[o.Name][c.Name] = c.Type
		}
	}
	for table, view := range map[string]string{"listing_obs": "listing_current", "vendor_obs": "vendor_current", "thread_obs": "thread_current"} {
		if len(by[table]) < 10 || by[view] == nil {
			t.Fatalf("%s or %s missing from the database", table, view)
		}
		for col, typ := range by[table] {
			if col == "inserted_at" || col == "observed_at" { // first_seen and last_seen stand for observed_at
				continue
			}
			if got, ok := by[view][col]; !ok || got != typ {
				t.Errorf("%s.%s (%s): %s has %q", table, col, typ, view, got)
			}
		}
	}
}

// destinationsDataset: three listings from NL on DE, one per basis, and a
// vendor profile whose own terms are worldwide except AU.
func destinationsDataset(t *testing.T) *warehouse.Batch {
	t.Helper()
	named := obs("alpha", "named", "Hans", week1, "drugs.opioids.fentanyl", 1, "g", 100, "NL", []string{"DE"})
	named.ShipsToBasis = []string{event.DestExplicit}
	eu := obs("alpha", "eu", "Piet", week1, "drugs.opioids.fentanyl", 1, "g", 120, "NL", []string{"DE", "FR"})
	eu.ShipsToBasis, eu.ShipsToRaw = []string{event.DestRegion, event.DestRegion}, "EU"
	// "Worldwide except AU, SE": every other country (a few stand for them here).
	ww := obs("bravo", "ww", "Globe", week1, "drugs.opioids.fentanyl", 1, "g", 140, "NL", []string{"DE", "FR", "US"})
	ww.ShipsToBasis = []string{event.DestWorldwide, event.DestWorldwide, event.DestWorldwide}
	ww.ShipsToExcluded, ww.ShipsToRaw = []string{"AU", "SE"}, "Worldwide except Australia, Sweden"
	old := obs("bravo", "old", "Globe", week1, "drugs.opioids.fentanyl", 1, "g", 90, "NL", []string{"DE"}) // stored before bases
	for _, l := range []*event.Listing{&named, &eu, &ww, &old} {
		l.Finalize()
	}
	v := vendorObs("bravo", "Globe", week1, "NL", nil)
	v.ShipsTo, v.ShipsToBasis, v.ShipsToExcluded, v.ShipsToRaw = []string{"DE", "US"}, []string{event.DestWorldwide, event.DestWorldwide},
		[]string{"AU"}, "Worldwide except AU"
	v.Finalize()
	return &warehouse.Batch{Listings: []event.Listing{named, eu, ww, old}, Vendors: []event.Vendor{v}}
}

// TestDestinationsWithBasis: routes, listing_destinations and the saved
// queries by destination count a listing shipping worldwide (or
// worldwide except ...) and one shipping to a region like one naming
// the country, and say which basis each rests on; an analyst can keep
// only one basis. (Before, routes had no basis, and a worldwide listing
// had no destinations at all.)
func TestDestinationsWithBasis(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	if err := db.Insert(ctx, destinationsDataset(t)); err != nil {
		t.Fatal(err)
	}
	check(t, "routes into DE", rowsOf(t, db, `SELECT source, listings, listings_explicit, listings_region, listings_worldwide
		FROM routes WHERE ships_from = 'NL' AND ships_to = 'DE' ORDER BY source`), []string{
		"alpha | 2 | 1 | 1 | 0",
		"bravo | 2 | 0 | 0 | 1", // old (no basis recorded) counts in listings only
	})
	check(t, "routes into FR", rowsOf(t, db, `SELECT source, listings, listings_region, listings_worldwide
		FROM routes WHERE ships_to = 'FR' ORDER BY source`), []string{"alpha | 1 | 1 | 0", "bravo | 1 | 0 | 1"})
	check(t, "no route into an excluded country", rowsOf(t, db, `SELECT * FROM routes WHERE ships_to IN ('AU', 'SE')`), nil)
	check(t, "listing_destinations by basis", rowsOf(t, db, `SELECT basis, groupArray(listing_id) FROM
		(SELECT basis, listing_id FROM listing_destinations WHERE destination = 'DE' ORDER BY listing_id)
		GROUP BY basis ORDER BY basis`), []string{
		` | ["old"]`, `explicit | ["named"]`, `region | ["eu"]`, `worldwide | ["ww"]`,
	})
	check(t, "jurisdiction_exposure", rowsOf(t, db, `SELECT country, listings_to, listings_to_explicit, listings_to_region,
		listings_to_worldwide FROM jurisdiction_exposure WHERE country IN ('DE', 'US', 'AU') ORDER BY country`), []string{
		"DE | 4 | 1 | 1 | 1", "US | 1 | 0 | 0 | 1",
	})
	check(t, "jurisdiction_weekly", rowsOf(t, db, `SELECT country, listings_to, listings_to_explicit
		FROM jurisdiction_weekly WHERE country = 'DE'`), []string{"DE | 4 | 1"})
	check(t, "only pages naming DE", rowsOf(t, db, `SELECT listing_id FROM listing_destinations
		WHERE destination = 'DE' AND basis = 'explicit'`), []string{"named"})
	// vendors-shipping-into over listing_destinations, keeping the bases an analyst asks for.
	check(t, "vendors shipping into DE on a named basis", rowsOf(t, db, `SELECT source AS market, vendor,
		uniqExact(listing_id) AS listings, arraySort(groupUniqArray(basis)) AS bases
		FROM listing_destinations
		WHERE destination = 'DE' AND basis IN ('explicit', 'region') AND positionCaseInsensitive(category_raw, 'fentanyl') + positionCaseInsensitive(category, 'fentanyl') > 0
		GROUP BY market, vendor ORDER BY market, vendor`), []string{`alpha | Hans | 1 | ["explicit"]`, `alpha | Piet | 1 | ["region"]`})
	check(t, "vendor_current keeps the profile's own destinations", rowsOf(t, db,
		`SELECT handle, ships_to, ships_to_basis, ships_to_excluded FROM vendor_current WHERE handle = 'Globe'`),
		[]string{`Globe | ["DE","US"] | ["worldwide","worldwide"] | ["AU"]`})

	run := func(name string, params map[string]string) []string {
		t.Helper()
		res, err := query.Run(ctx, db.Conn(), mustQuery(t, name), params, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Rows {
			cells := make([]string, len(r))
			for i, v := range r {
				cells[i] = query.Text(v)
			}
			out = append(out, strings.Join(cells, " | "))
		}
		return out
	}
	into := run("vendors-shipping-into", map[string]string{"substance": "fentanyl", "country": "DE", "days": "36500"})
	if !containsPrefix(into, "bravo | Globe") || !containsPrefix(into, "alpha | Piet") || !containsPrefix(into, "alpha | Hans") {
		t.Errorf("vendors-shipping-into DE misses the region or worldwide vendor:\n%s", strings.Join(into, "\n"))
	}
	if got := run("vendors-shipping-into", map[string]string{"substance": "fentanyl", "country": "AU", "days": "36500"}); len(got) != 0 {
		t.Errorf("vendors-shipping-into AU lists vendors whose terms exclude AU: %v", got)
	}
	profile := run("vendor-profile", map[string]string{"handle": "globe"})
	if !containsPrefix(profile, "bravo | Globe | ww") {
		t.Errorf("vendor-profile misses the worldwide listing:\n%s", strings.Join(profile, "\n"))
	}
}

// TestCurrentViewsNullable: a value the latest page no longer shows reads
// NULL in the current view, not the value an older observation showed;
// the latest value of the other new columns comes through.
func TestCurrentViewsNullable(t *testing.T) {
	db := testenv.ClickHouse(t)
	stock, sold := int64(40), int64(7)
	fe := true
	first := obs("alpha", "n1", "Hans", week1, "drugs.opioids", 1, "g", 100, "NL", []string{"DE"})
	first.Stock, first.Sold, first.FinalizeEarly = &stock, &sold, &fe
	first.Finalize()
	second := obs("alpha", "n1", "Hans", week1.Add(time.Hour), "drugs.opioids", 1, "g", 100, "NL", []string{"DE"})
	second.Sold = &sold
	second.Prices = []event.Money{{Amount: 100, Currency: "USD", Raw: "$100"}, {Amount: 0.0021, Currency: "BTC", Raw: "฿0.0021"}}
	second.Attributes = []event.Attr{{Key: "purity", Type: event.AttrFloat, Value: "87.5"}}
	second.PriceUSDBasis, second.PriceUSDRate = event.BasisPagePrice, 1
	second.Finalize()
	if err := db.Insert(testCtx(t), &warehouse.Batch{Listings: []event.Listing{first, second}}); err != nil {
		t.Fatal(err)
	}
	check(t, "listing_current", rowsOf(t, db, `SELECT ifNull(toString(stock), 'NULL'), ifNull(toString(sold), 'NULL'), ifNull(toString(finalize_early), 'NULL'),
		prices_currency, attr_keys, attr_values, observations FROM listing_current WHERE listing_id = 'n1'`),
		[]string{`NULL | 7 | NULL | ["USD","BTC"] | ["purity"] | ["87.5"] | 2`})
	check(t, "price_history", rowsOf(t, db, `SELECT price_usd, price_usd_basis, price_usd_rate, prices_currency
		FROM price_history WHERE listing_id = 'n1' ORDER BY observed_at`),
		[]string{`100 |  | 0 | []`, `100 | page_price | 1 | ["USD","BTC"]`})
}

func containsPrefix(rows []string, prefix string) bool {
	for _, r := range rows {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}
