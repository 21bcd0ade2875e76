package console

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// benchRows is the listing observations BenchmarkVendorProfile generates
// (COUNTERNET_BENCH_ROWS overrides it for a quicker run).
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("COUNTERNET_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 10_000_000
}

// fillBench is the generator of internal/warehouse's BenchmarkViews
// (views_bench_test.go, fillBench), statement for statement: 5 markets, 2
// million listings seen 5 times each over 52 weeks, 20,000 vendor handles
// each on every market with one crypto address, 40 countries, one vendor
// observation per 10 listing observations. It is copied because a _test
// file of another package cannot be imported; the two must stay equal.
func fillBench(ctx context.Context, b testing.TB, db *warehouse.DB, n int) {
	b.Helper()
	listings := fmt.Sprintf(`INSERT INTO listing_obs (event_id, source, mirror, url, listing_id, title, description,
	category_raw, category, vendor, price_amount, price_currency, price_raw, price_usd, quantity, unit,
	ships_from, ships_from_raw, ships_to, ships_to_raw, payment_methods, escrow, crypto_chains, crypto_addresses,
	flags, observed_at, capture_sha256, pipeline, run_id)
SELECT
	hex(cityHash64(number)), concat('m', toString(number %% 5)), 'x.onion', concat('http://x.onion/l/', toString(number)),
	toString(intDiv(number, 5) %% 2000000), concat('Listing ', toString(number %% 1000)), 'Stealth shipping, tracked.',
	'Drugs > Stimulants', arrayElement(['drugs.cocaine', 'drugs.mdma', 'drugs.heroin', 'drugs.cannabis'], number %% 4 + 1),
	concat('vendor_', toString(number %% 20000)), toFloat64(number %% 500 + 20), 'USD', '', toFloat64(number %% 500 + 20),
	toFloat64(number %% 3 + 1), arrayElement(['g', 'g', 'pills'], number %% 3 + 1),
	arrayElement(%[2]s, number %% 40 + 1), '', [arrayElement(%[2]s, (number * 7) %% 40 + 1), arrayElement(%[2]s, (number * 13) %% 40 + 1)], '',
	['btc'], 1, ['btc'], [concat('bc1q', hex(cityHash64(number %% 20000)))], [],
	toDateTime(1700000000 + (number %% 52) * 604800 + number %% 86400),
	hex(cityHash64(number %% 5, number %% 20000, 1700000000 + (number %% 52) * 604800 + number %% 86400)), 'bench@1', 'run'
FROM numbers(%[1]d)`, n, countryArray)
	vendors := fmt.Sprintf(`INSERT INTO vendor_obs (event_id, source, mirror, url, handle, profile_url, pgp_fingerprints,
	rating, sales, joined, ships_from, ships_from_raw, contacts, crypto_chains, crypto_addresses, flags, observed_at,
	capture_sha256, pipeline, run_id)
SELECT
	hex(cityHash64(number, 'v')), concat('m', toString(number %% 5)), 'x.onion', '', concat('vendor_', toString(intDiv(number, 5) %% 20000)), '',
	[hex(cityHash64(intDiv(number, 5) %% 20000, 'pgp'))], 4.5, 100, '2023-01-01', arrayElement(%[2]s, number %% 40 + 1), '', [],
	['btc'], [concat('bc1q', hex(cityHash64(intDiv(number, 5) %% 20000)))], [],
	toDateTime(1700000000 + (number %% 52) * 604800),
	hex(cityHash64(number %% 5, intDiv(number, 5) %% 20000, 1700000000 + (number %% 52) * 604800)), 'bench@1', 'run'
FROM numbers(%[1]d)`, n/10, countryArray)
	for _, q := range []string{listings, vendors} {
		if err := db.Conn().Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

const countryArray = `['DE','NL','GB','US','FR','ES','IT','PL','BE','CZ','AT','CH','SE','NO','DK','FI','IE','PT','CA','AU',
	'CO','PE','BR','MX','IN','CN','TH','ZA','HR','RS','GR','HU','RO','BG','SK','SI','LT','LV','EE','LU']`

// BenchmarkVendorProfile renders the vendor profile of one handle over
// benchRows() listing observations and reports the time of the whole
// render (queries, page assembly, template) as a ratio to the time of the
// queries it runs, measured in the same renders.
func BenchmarkVendorProfile(b *testing.B) {
	db := testenv.ClickHouse(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	n := benchRows()
	start := time.Now()
	fillBench(ctx, b, db, n)
	if err := db.Conn().Exec(ctx, "OPTIMIZE TABLE listing_obs FINAL"); err != nil {
		b.Logf("optimize: %v", err)
	}
	b.Logf("generated %d listing and %d vendor observations in %s", n, n/10, time.Since(start).Round(time.Millisecond))
	p, err := loadPages()
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{opts: Options{Conn: db.Conn(), QueryTimeout: 10 * time.Minute, Log: zerolog.Nop()}, pages: p}
	sess := &auth.Session{User: "bench", Roles: []auth.Role{auth.Analyst}, CSRF: "x"}
	var total, queries time.Duration
	var nq, size int
	for b.Loop() {
		qctx, ql := withQueryLog(ctx)
		t0 := time.Now()
		d, err := s.vendorProfile(qctx, "m0", "vendor_42")
		if err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		s.render(rec, httptest.NewRequest("GET", "/vendor/m0/vendor_42", nil), sess, "vendor", "Vendor vendor_42", d)
		total += time.Since(t0)
		queries += ql.total
		nq = ql.n
		if b.N <= 3 {
			for _, q := range ql.each {
				b.Logf("%8.3fs %s", q.Took.Seconds(), q.What)
			}
		}
		size = rec.Body.Len()
		if rec.Code != 200 || len(d.Listings) == 0 {
			b.Fatalf("render: %d, %d listings", rec.Code, len(d.Listings))
		}
	}
	b.ReportMetric(total.Seconds()/queries.Seconds(), "render/queries")
	b.ReportMetric(total.Seconds()/float64(b.N), "render-s/op")
	b.ReportMetric(queries.Seconds()/float64(b.N), "queries-s/op")
	b.ReportMetric(float64(nq), "queries/op")
	b.Logf("page of %d bytes from %d queries", size, nq)
}
