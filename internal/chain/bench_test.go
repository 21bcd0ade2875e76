package chain_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/chain"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// benchFlowTxs is the synthetic transactions BenchmarkFlowQuery fills
// (COUNTERNET_BENCH_CHAIN_TXS overrides the default 10M).
func benchFlowTxs() int {
	if n, err := strconv.Atoi(os.Getenv("COUNTERNET_BENCH_CHAIN_TXS")); err == nil && n > 0 {
		return n
	}
	return 10_000_000
}

// oneVendor is a FlowStore whose only vendor owns two synthetic addresses.
type oneVendor struct{ *warehouse.ChainStore }

func (oneVendor) VendorAddresses(context.Context, string) ([]chain.VendorAddresses, error) {
	return []chain.VendorAddresses{{Source: "m", Vendor: "v", Addresses: []string{"a17", "a4242"}}}, nil
}

// BenchmarkFlowQuery traces 4 hops of flows from one vendor over N
// synthetic transactions (each spends one address's coins to two others),
// and scans the whole address table once (finding one address's rows
// without its key), in the same run: x_full_scan is the trace's time as a
// fraction of that scan. `go test ./internal/chain -run '^$' -bench
// FlowQuery -benchtime 2x` (about 90 s at 10M; COUNTERNET_BENCH_CHAIN_TXS
// sets the size).
func BenchmarkFlowQuery(b *testing.B) {
	ctx := context.Background()
	db := testenv.ClickHouse(b)
	n := benchFlowTxs()
	addrs := max(n/4, 10)
	gen := fmt.Sprintf
	stmts := []string{
		gen(`INSERT INTO chain_txs (chain, txid, confirmed, block_height, block_time, inputs, outputs, input_value, output_value, fee, source, fetched_at)
SELECT 'btc', concat('t', toString(number)), 1, toUInt32(number / 2000), toDateTime(1600000000 + number), 1, 2, 100000, 99000, 1000, 'synthetic', now()
FROM numbers(%d)`, n),
		gen(`INSERT INTO chain_outputs (chain, txid, vout, address, value, block_height, block_time, fetched_at)
SELECT 'btc', concat('t', toString(intDiv(number, 2))), toUInt32(number %% 2),
    concat('a', toString((intDiv(number, 2) * if(number %% 2 = 0, 7, 13) + 1) %% %d)), 49500, toUInt32(intDiv(number, 4000)),
    toDateTime(1600000000 + intDiv(number, 2)), now()
FROM numbers(%d)`, addrs, 2*n),
		gen(`INSERT INTO chain_address_io (chain, address, txid, direction, n, value, confirmed, block_height, block_time, fetched_at)
SELECT 'btc', concat('a', toString(number %% %d)), concat('t', toString(number)), 'spend', 0, 100000, 1,
    toUInt32(number / 2000), toDateTime(1600000000 + number), now()
FROM numbers(%d)`, addrs, n),
		gen(`INSERT INTO chain_address_io (chain, address, txid, direction, n, value, confirmed, block_height, block_time, fetched_at)
SELECT 'btc', concat('a', toString((intDiv(number, 2) * if(number %% 2 = 0, 7, 13) + 1) %% %d)), concat('t', toString(intDiv(number, 2))),
    'receive', toUInt32(number %% 2), 49500, 1, toUInt32(intDiv(number, 4000)), toDateTime(1600000000 + intDiv(number, 2)), now()
FROM numbers(%d)`, addrs, 2*n),
	}
	start := time.Now()
	for _, s := range stmts {
		if err := db.Conn().Exec(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("filled %d synthetic transactions (%d addresses) in %s", n, addrs, time.Since(start).Round(time.Millisecond))
	store := oneVendor{db.Chain()}
	b.ResetTimer()
	var flowTime, scanTime time.Duration
	var flows int
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		fs, err := chain.TraceFlows(ctx, store, "btc", chain.FlowOptions{Hops: 4, MaxEdgesPerHop: 1_000_000})
		if err != nil {
			b.Fatal(err)
		}
		flowTime += time.Since(t0)
		flows = len(fs)
		t0 = time.Now()
		var rows uint64
		var total int64
		// The same lookup without the key: one address's rows found by
		// reading the whole table.
		if err := db.Conn().QueryRow(ctx, `SELECT countIf(address = 'a17'), sum(value) FROM chain_address_io`).Scan(&rows, &total); err != nil {
			b.Fatal(err)
		}
		scanTime += time.Since(t0)
	}
	b.ReportMetric(float64(flows), "flows")
	b.ReportMetric(flowTime.Seconds()/float64(b.N), "s_flow")
	b.ReportMetric(scanTime.Seconds()/float64(b.N), "s_full_scan")
	b.ReportMetric(flowTime.Seconds()/scanTime.Seconds(), "x_full_scan")
}

// BenchmarkSyncRegtest syncs the payment graph from a btcd regtest node
// and reports transactions per second, with the rate of bare
// searchrawtransactions calls for the same addresses (no decoding, no
// block lookups, no inserts) measured in the same run as the baseline.
func BenchmarkSyncRegtest(b *testing.B) {
	ctx := context.Background()
	g := newGraph(b)
	n := startBtcd(b, g.addr("M"))
	buildGraph(b, n, g)
	db := testenv.ClickHouse(b)
	seen(b, db, g)
	os.Setenv("COUNTERNET_TEST_RPC_PASSWORD", rpcPass)
	src, err := chain.New(chain.SourceConfig{Name: "btcd-regtest", Kind: chain.KindRPC, URL: n.URL, User: rpcUser,
		PasswordEnv: "COUNTERNET_TEST_RPC_PASSWORD", Rate: 10000, Concurrency: 4}, nil, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var syncTxs, baseTxs int
	var syncTime, baseTime time.Duration
	for i := 0; i < b.N; i++ {
		db.Conn().Exec(ctx, "TRUNCATE TABLE chain_txs")
		db.Conn().Exec(ctx, "TRUNCATE TABLE chain_sync_state")
		rep, err := (&chain.Syncer{Source: src, Store: db.Chain(), Log: zerolog.Nop()}).Sync(ctx,
			chain.SyncOptions{Hops: 3, MaxTxsPerAddress: 200})
		if err != nil {
			b.Fatal(err)
		}
		syncTxs += rep.TxsFetched
		syncTime += rep.Duration
		var addrs []string
		for _, r := range rows(b, db, "SELECT DISTINCT address FROM chain_sync_state") {
			addrs = append(addrs, r[0])
		}
		t0 := time.Now()
		for _, a := range addrs {
			var raw []map[string]any
			if err := n.call("searchrawtransactions", []any{a, 1, 0, 200, 0, true}, &raw); err != nil && !isNoInfo(err) {
				b.Fatal(err)
			}
			baseTxs += len(raw)
		}
		baseTime += time.Since(t0)
	}
	sync := float64(syncTxs) / syncTime.Seconds()
	base := float64(baseTxs) / baseTime.Seconds()
	b.ReportMetric(sync, "tx/s")
	b.ReportMetric(base, "tx/s_bare_rpc")
	b.ReportMetric(sync/base, "x_bare_rpc")
}

func isNoInfo(err error) bool { return err != nil && strings.Contains(err.Error(), "No information") }
