package warehouse_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// BenchmarkViews measures the routes and vendor-links views over
// testenv.BenchRows() listing observations, each as a ratio to a full scan of the
// tables it reads, measured in the same run, and logs what each query read
// (system.query_log). Each view's query reads every column of its answer
// (hashed, as the scans hash what they read); links_count/scan is the
// vendor-links figure of earlier runs, counting rows, which lets the
// server skip the columns nobody reads. It measures every query twice: as
// the rows landed (every month in several parts, counted by distinct ids;
// the vendor identifiers in three parts), and once Compact, which the
// loader runs every load.compact_interval, merged the past months (all of
// the generated ones) and the vendor identifiers into one part each.
func BenchmarkViews(b *testing.B) {
	db := testenv.ClickHouse(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	testenv.FillBench(ctx, b, db, testenv.BenchRows())
	queries := []benchQuery{
		// The baselines read every column the views read.
		{"scan_listings", `SELECT sum(cityHash64(source, listing_id, vendor, category, ships_from)) + sum(length(ships_to))
			+ sum(length(crypto_addresses)) + sum(price_usd + quantity) + sum(length(unit)) + sum(toUInt32(observed_at)) FROM listing_obs`},
		{"scan_both", `SELECT (SELECT sum(cityHash64(source, vendor, capture_sha256)) + sum(length(crypto_addresses)) + sum(toUInt32(observed_at)) FROM listing_obs)
			+ (SELECT sum(cityHash64(source, handle, capture_sha256)) + sum(length(pgp_fingerprints)) + sum(length(crypto_addresses)) + sum(toUInt32(observed_at)) FROM vendor_obs)`},
		{"routes", `SELECT count(), sum(cityHash64(ships_from, ships_to, category, source)), sum(toUInt32(week)),
			sum(listings + listings_explicit + listings_region + listings_worldwide + vendors + gram_observations),
			sum(median_price_usd + median_price_per_gram_usd) FROM routes`},
		{"vendor_links", `SELECT count(), sum(cityHash64(source_a, handle_a, source_b, handle_b, kind, evidence, strength, capture_a, capture_b)),
			sum(toUInt32(first_seen_a) + toUInt32(last_seen_a) + toUInt32(first_seen_b) + toUInt32(last_seen_b)) FROM vendor_links`},
		{"vendor_links_count", `SELECT count(), uniqExact(kind) FROM vendor_links`},
	}
	took := map[string]time.Duration{}
	for b.Loop() {
		for _, q := range queries {
			took[q.name] += runBenchQuery(ctx, b, db, q)
		}
	}
	logQueryStats(ctx, b, db)
	parts := countOf(ctx, b, db, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'routes_ids' AND active")
	b.Logf("routes_ids: %d parts as the rows landed", parts)

	t0 := time.Now()
	months, err := db.Compact(ctx, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("Compact merged %d partitions in %s", len(months), time.Since(t0).Round(time.Millisecond))
	merged := map[string]time.Duration{}
	for range b.N {
		for _, q := range queries {
			merged[q.name] += runBenchQuery(ctx, b, db, q)
		}
	}
	logQueryStats(ctx, b, db)
	b.ReportMetric(took["routes"].Seconds()/took["scan_listings"].Seconds(), "routes/scan")
	b.ReportMetric(merged["routes"].Seconds()/merged["scan_listings"].Seconds(), "routes_merged/scan")
	b.ReportMetric(took["vendor_links"].Seconds()/took["scan_both"].Seconds(), "links/scan")
	b.ReportMetric(took["vendor_links_count"].Seconds()/took["scan_both"].Seconds(), "links_count/scan")
	b.ReportMetric(merged["vendor_links"].Seconds()/merged["scan_both"].Seconds(), "links_merged/scan")
	b.ReportMetric(took["scan_listings"].Seconds()/float64(b.N), "scan-s/op")
	b.ReportMetric(took["routes"].Seconds()/float64(b.N), "routes-s/op")
	b.ReportMetric(merged["routes"].Seconds()/float64(b.N), "routes_merged-s/op")
	b.ReportMetric(took["vendor_links"].Seconds()/float64(b.N), "links-s/op")
}

type benchQuery struct{ name, sql string }

// benchQueryIDs counts the queries runBenchQuery sent, to give each its own
// query id in system.query_log.
var benchQueryIDs int

// runBenchQuery runs q, reading every row of its answer, and returns how
// long it took. The query is logged in system.query_log under the id
// bench-<n>-<name>.
func runBenchQuery(ctx context.Context, b *testing.B, db *warehouse.DB, q benchQuery) time.Duration {
	benchQueryIDs++
	qctx := clickhouse.Context(ctx, clickhouse.WithQueryID(fmt.Sprintf("bench-%d-%s-%d", benchQueryIDs, q.name, time.Now().UnixNano())),
		clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
	t0 := time.Now()
	r, err := db.Conn().Query(qctx, q.sql)
	if err != nil {
		b.Fatalf("%s: %v", q.name, err)
	}
	for r.Next() {
	}
	r.Close()
	if err := r.Err(); err != nil {
		b.Fatalf("%s: %v", q.name, err)
	}
	return time.Since(t0)
}

// logQueryStats logs, for each query runBenchQuery sent since the last
// call, the rows and bytes it read, its peak memory and its CPU time, as
// system.query_log has them.
func logQueryStats(ctx context.Context, b *testing.B, db *warehouse.DB) {
	if err := db.Conn().Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
		b.Logf("query stats: %v", err)
		return
	}
	r, err := db.Conn().Query(ctx, `SELECT query_id, query_duration_ms, read_rows, read_bytes, memory_usage,
		ProfileEvents.Values[indexOf(ProfileEvents.Names, 'UserTimeMicroseconds')]
			+ ProfileEvents.Values[indexOf(ProfileEvents.Names, 'SystemTimeMicroseconds')]
	FROM system.query_log
	WHERE type = 2 AND query_id LIKE 'bench-%' AND event_time > now() - 3600
		AND toUInt64(splitByChar('-', query_id)[2]) > ?
	ORDER BY toUInt64(splitByChar('-', query_id)[2])`, benchLogged)
	if err != nil {
		b.Logf("query stats: %v", err)
		return
	}
	defer r.Close()
	for r.Next() {
		var id string
		var ms, rows, bytes, mem, cpu uint64
		if err := r.Scan(&id, &ms, &rows, &bytes, &mem, &cpu); err != nil {
			b.Logf("query stats: %v", err)
			return
		}
		// Straight to stderr: a benchmark's log keeps only its first lines.
		fmt.Fprintf(os.Stderr, "%-45s %6d ms  cpu %6d ms  read %10d rows %8.1f MB  memory %7.1f MB\n", id, ms, cpu/1000, rows, float64(bytes)/1e6, float64(mem)/1e6)
	}
	benchLogged = benchQueryIDs
}

// benchLogged is the last query number logQueryStats logged.
var benchLogged int

// countOf is the number query answers.
func countOf(ctx context.Context, b *testing.B, db *warehouse.DB, query string) uint64 {
	var n uint64
	if err := db.Conn().QueryRow(ctx, query).Scan(&n); err != nil {
		b.Fatalf("%s: %v", query, err)
	}
	return n
}
