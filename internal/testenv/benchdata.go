package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/warehouse"
)

// BenchRows is how many listing observations the 10M-row benchmarks
// generate with FillBench (COUNTERNET_BENCH_ROWS overrides it for a
// quicker run).
func BenchRows() int {
	if n, err := strconv.Atoi(os.Getenv("COUNTERNET_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 10_000_000
}

// FillBench generates observations server-side with INSERT ... SELECT FROM
// numbers(): 5 markets, 2 million listings seen 5 times each over 52 weeks,
// 20,000 vendor handles each on every market with one crypto address, 40
// countries; and one vendor observation per 10 listing observations, each
// with a PGP fingerprint per handle. A page's capture hash is derived from
// market, handle and time, so two observations of one vendor at the same
// second name the same page. listing_obs is then merged into one part
// (OPTIMIZE ... FINAL) and the time taken logged. The views benchmark
// (internal/warehouse) and the console's vendor-profile benchmark use it.
func FillBench(ctx context.Context, b testing.TB, db *warehouse.DB, n int) {
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
FROM numbers(%[1]d)`, n, benchCountries)
	vendors := fmt.Sprintf(`INSERT INTO vendor_obs (event_id, source, mirror, url, handle, profile_url, pgp_fingerprints,
	rating, sales, joined, ships_from, ships_from_raw, contacts, crypto_chains, crypto_addresses, flags, observed_at,
	capture_sha256, pipeline, run_id)
SELECT
	hex(cityHash64(number, 'v')), concat('m', toString(number %% 5)), 'x.onion', '', concat('vendor_', toString(intDiv(number, 5) %% 20000)), '',
	[hex(cityHash64(intDiv(number, 5) %% 20000, 'pgp'))], 4.5, 100, '2023-01-01', arrayElement(%[2]s, number %% 40 + 1), '', [],
	['btc'], [concat('bc1q', hex(cityHash64(intDiv(number, 5) %% 20000)))], [],
	toDateTime(1700000000 + (number %% 52) * 604800),
	hex(cityHash64(number %% 5, intDiv(number, 5) %% 20000, 1700000000 + (number %% 52) * 604800)), 'bench@1', 'run'
FROM numbers(%[1]d)`, n/10, benchCountries)
	start := time.Now()
	for _, q := range []string{listings, vendors} {
		if err := db.Conn().Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	// One part, as a month no longer written to ends up: the baseline
	// scans read listing_obs whole.
	if err := db.Conn().Exec(ctx, "OPTIMIZE TABLE listing_obs FINAL"); err != nil {
		b.Logf("optimize listing_obs: %v", err)
	}
	b.Logf("generated %d listing and %d vendor observations in %s", n, n/10, time.Since(start).Round(time.Millisecond))
}

const benchCountries = `['DE','NL','GB','US','FR','ES','IT','PL','BE','CZ','AT','CH','SE','NO','DK','FI','IE','PT','CA','AU',
	'CO','PE','BR','MX','IN','CN','TH','ZA','HR','RS','GR','HU','RO','BG','SK','SI','LT','LV','EE','LU']`
