package cases_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/cases"
	"github.com/counternet/counternet/internal/testenv"
)

// benchRows is the listing observations BenchmarkWatcher generates
// (COUNTERNET_BENCH_ROWS overrides it).
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("COUNTERNET_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 10_000_000
}

// fillListings generates n listing observations server-side starting at
// number from: 5 markets, 20,000 vendors with one address each, 40
// countries; and n/10 vendor observations with one PGP key per vendor.
func fillListings(ctx context.Context, b testing.TB, conn interface {
	Exec(context.Context, string, ...any) error
}, from, n int) {
	b.Helper()
	const countries = `['DE','NL','GB','US','FR','ES','IT','PL','BE','CZ','AT','CH','SE','NO','DK','FI','IE','PT','CA','AU',
	'CO','PE','BR','MX','IN','CN','TH','ZA','HR','RS','GR','HU','RO','BG','SK','SI','LT','LV','EE','LU']`
	listings := fmt.Sprintf(`INSERT INTO listing_obs (event_id, source, mirror, url, listing_id, title, description, category,
	vendor, price_usd, ships_from, ships_to, ships_to_basis, crypto_chains, crypto_addresses, observed_at, capture_sha256, pipeline, run_id)
SELECT hex(cityHash64(number)), concat('m', toString(number %% 5)), 'x.onion', '', toString(intDiv(number, 5) %% 2000000),
	'Listing', 'Stealth shipping', 'drugs.mdma', concat('vendor_', toString(number %% 20000)), 100,
	arrayElement(%[3]s, number %% 40 + 1), [arrayElement(%[3]s, (number * 7) %% 40 + 1)], ['explicit'],
	['btc'], [concat('bc1q', lower(hex(cityHash64(number %% 20000))))],
	toDateTime(1700000000 + number %% 31000000), hex(cityHash64(number, 'page')), 'bench@1', 'run'
FROM numbers(%[1]d, %[2]d)`, from, n, countries)
	vendors := fmt.Sprintf(`INSERT INTO vendor_obs (event_id, source, mirror, url, handle, pgp_fingerprints, crypto_chains,
	crypto_addresses, observed_at, capture_sha256, pipeline, run_id)
SELECT hex(cityHash64(number, 'v')), concat('m', toString(number %% 5)), 'x.onion', '', concat('vendor_', toString(intDiv(number, 5) %% 20000)),
	[upper(hex(cityHash64(intDiv(number, 5) %% 20000, 'pgp')))], ['btc'], [concat('bc1q', lower(hex(cityHash64(intDiv(number, 5) %% 20000))))],
	toDateTime(1700000000 + number %% 31000000), hex(cityHash64(number, 'vpage')), 'bench@1', 'run'
FROM numbers(%[1]d, %[2]d)`, from/10, n/10)
	for _, q := range []string{listings, vendors} {
		if err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatcher measures, over benchRows() listing observations: adding
// a watch (recording what is known), a scan that finds nothing new (the
// cost every interval), and a scan over 10,000 new observations.
func BenchmarkWatcher(b *testing.B) {
	db := testenv.ClickHouse(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	n := benchRows()
	start := time.Now()
	fillListings(ctx, b, db.Conn(), 0, n)
	b.Logf("generated %d listing and %d vendor observations in %s", n, n/10, time.Since(start).Round(time.Millisecond))
	s := &cases.Service{DB: db}
	c, err := s.CreateCase(ctx, ivan, cases.CaseInput{Title: "bench", Purpose: "p", LegalBasis: "b"})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	for i := range 10 {
		if _, err := s.AddWatch(ctx, ivan, c.ID, cases.WatchHandle, fmt.Sprintf("vendor_%d", i*7), ""); err != nil {
			b.Fatal(err)
		}
	}
	for _, cc := range []string{"DE", "NL", "GB", "US", "LU"} {
		if _, err := s.AddWatch(ctx, ivan, c.ID, cases.WatchRoute, cc, ""); err != nil {
			b.Fatal(err)
		}
	}
	addWatch := time.Since(t0) / 15
	w := &cases.Watcher{DB: db, Overlap: time.Second}
	if _, err := w.Scan(ctx); err != nil {
		b.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	var idle, busy time.Duration
	var alerts int
	from := n
	for b.Loop() {
		t1 := time.Now()
		if _, err := w.Scan(ctx); err != nil {
			b.Fatal(err)
		}
		idle += time.Since(t1)
		fillListings(ctx, b, db.Conn(), from, 10000)
		from += 10000
		t2 := time.Now()
		rep, err := w.Scan(ctx)
		if err != nil {
			b.Fatal(err)
		}
		busy += time.Since(t2)
		alerts += len(rep.Alerts)
		time.Sleep(1100 * time.Millisecond)
	}
	b.ReportMetric(float64(addWatch.Milliseconds()), "ms/watch-add")
	b.ReportMetric(float64(idle.Milliseconds())/float64(b.N), "ms/idle-scan")
	b.ReportMetric(float64(busy.Milliseconds())/float64(b.N), "ms/scan-10k-new")
	b.Logf("%d rows: add watch %s, idle scan %s, scan of 10,000 new rows %s, %d alerts", n, addWatch,
		idle/time.Duration(b.N), busy/time.Duration(b.N), alerts)
}
