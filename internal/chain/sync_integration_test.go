package chain_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/chain"
	"github.com/counternet/counternet/internal/chain/esplorasim"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/query"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// xmrAddress is a Monero-shaped address shown on the vendor's listing: it
// is recorded and linked, never traced.
const xmrAddress = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"

// seen writes what the collectors would have seen: the vendor "vend" on
// market m1 shows V1 on its profile and V2 (and a Monero address) on a
// listing; vendor "other" on m2 shows U1, one of the CoinJoin's owners.
func seen(t testing.TB, db *warehouse.DB, g *graph) {
	t.Helper()
	at := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	b := &warehouse.Batch{
		Vendors: []event.Vendor{
			{EventID: "ev-vend", Provenance: prov("m1", at, "a"), Handle: "vend",
				Crypto: []event.CryptoAddress{{Chain: "btc", Address: g.addr("V1")}}},
			{EventID: "ev-other", Provenance: prov("m2", at, "b"), Handle: "other",
				Crypto: []event.CryptoAddress{{Chain: "btc", Address: g.addr("U1")}}},
		},
		Listings: []event.Listing{
			{EventID: "ev-l1", Provenance: prov("m1", at, "c"), ListingID: "L1", Vendor: "vend",
				Crypto: []event.CryptoAddress{{Chain: "btc", Address: g.addr("V2")}, {Chain: "xmr", Address: xmrAddress}}},
		},
	}
	if err := db.Insert(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func prov(source string, at time.Time, sha string) event.Provenance {
	return event.Provenance{Source: source, ObservedAt: at, CaptureSHA256: strings.Repeat(sha, 64)}
}

func writeTags(t testing.TB, g *graph) string {
	t.Helper()
	dir := t.TempDir()
	body := fmt.Sprintf(`tags:
  - address: %s
    scope: cluster
    label: ExampleExchange
    category: exchange
    source: exchange's own attestation (test)
    confidence: high
    jurisdiction: lt
  - address: %s
    label: ExampleMarket
    category: market
    source: seized market wallet (test)
    confidence: medium
`, g.addr("EK"), g.addr("MK"))
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func rows(t testing.TB, db *warehouse.DB, q string, args ...any) [][]string {
	t.Helper()
	rs, err := db.Conn().Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	var out [][]string
	cts := rs.ColumnTypes()
	for rs.Next() {
		ptrs := make([]any, len(cts))
		for i, ct := range cts {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		row := make([]string, len(ptrs))
		for i, p := range ptrs {
			row[i] = fmt.Sprint(reflect.ValueOf(p).Elem().Interface())
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t testing.TB, db *warehouse.DB, table string) uint64 {
	t.Helper()
	var n uint64
	if err := db.Conn().QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func analyze(t testing.TB, db *warehouse.DB) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.RefreshChainClusters(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RefreshChainFlows(ctx, chain.ChainBitcoin, chain.FlowOptions{Hops: 4}); err != nil {
		t.Fatal(err)
	}
}

func sortedPair(a, b string) string {
	s := []string{a, b}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// TestRegtestPaymentGraph builds a known payment graph on a real btcd
// regtest node, syncs it through the JSON-RPC source and through an
// Esplora-shaped server fed by the same node, and checks the clusters, the
// CoinJoin exclusion, the flows and the per-vendor totals exactly.
func TestRegtestPaymentGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: btcd regtest and clickhouse-server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	g := newGraph(t)
	n := startBtcd(t, g.addr("M"))
	buildGraph(t, n, g)

	db := testenv.ClickHouse(t)
	seen(t, db, g)
	tags, err := chain.LoadTags(writeTags(t, g))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.LoadChainTags(ctx, tags); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COUNTERNET_TEST_RPC_PASSWORD", rpcPass)
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	src, err := chain.New(chain.SourceConfig{Name: "btcd-regtest", Kind: chain.KindRPC, URL: n.URL, User: rpcUser,
		PasswordEnv: "COUNTERNET_TEST_RPC_PASSWORD", Rate: 1000, Concurrency: 4}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	opts := chain.SyncOptions{Hops: 3, MaxTxsPerAddress: 50}
	syncer := &chain.Syncer{Source: src, Store: db.Chain(), Log: log}
	rep, err := syncer.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rpc sync: %+v (%.0f tx/s)", rep, rep.TxsPerSecond())
	if rep.Seeds != 3 {
		t.Errorf("seeds = %d, want 3 (V1, V2, U1)", rep.Seeds)
	}
	if rep.Incomplete < 1 {
		t.Errorf("incomplete = %d, want the miner's address (100+ coinbases) cut at 50", rep.Incomplete)
	}
	analyze(t, db)

	t.Run("transactions", func(t *testing.T) {
		for name, id := range g.txs {
			got := rows(t, db, "SELECT confirmed, inputs, outputs FROM chain_txs FINAL WHERE txid = ?", id)
			if len(got) != 1 || got[0][0] != "1" {
				t.Errorf("%s (%s): %v, want one confirmed row", name, id, got)
			}
		}
		got := rows(t, db, "SELECT input_value, output_value, fee FROM chain_txs FINAL WHERE txid = ?", g.txs["peel1"])
		if want := [][]string{{"100000000", "99995000", "5000"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("peel1 values = %v, want %v", got, want)
		}
	})
	t.Run("clusters", func(t *testing.T) {
		got := rows(t, db, "SELECT arrayStringConcat(arraySort(groupArray(address)), ' ') FROM chain_clusters GROUP BY cluster_id ORDER BY 1")
		want := [][]string{{sortedPair(g.addr("V1"), g.addr("V2"))}, {sortedPair(g.addr("EK"), g.addr("E1"))}}
		sort.Slice(want, func(i, j int) bool { return want[i][0] < want[j][0] })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("clusters = %v\nwant %v (the CoinJoin must not merge C2, U1, U2, U3)", got, want)
		}
	})
	t.Run("coinjoin", func(t *testing.T) {
		got := rows(t, db, "SELECT txid, input_addresses, equal_outputs, equal_value FROM chain_coinjoins")
		want := [][]string{{g.txs["coinjoin"], "4", "4", "20000000"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("coinjoins = %v, want %v", got, want)
		}
	})
	t.Run("flows", func(t *testing.T) {
		got := rows(t, db, `SELECT source, vendor, direction, hop, txid, from_address, to_address, value, label, category, jurisdiction,
    arrayStringConcat(path, ',')
FROM chain_flows WHERE endpoint = 'service' ORDER BY source, vendor, direction, hop`)
		want := [][]string{
			{"m1", "vend", "in", "1", g.txs["pay3"], g.addr("MK"), g.addr("V2"), "20000000", "ExampleMarket", "market", "", g.txs["pay3"]},
			{"m1", "vend", "out", "2", g.txs["peel2"], g.addr("C1"), g.addr("E1"), "60000000", "ExampleExchange", "exchange", "LT",
				g.txs["peel1"] + "," + g.txs["peel2"]},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("flows to services =\n%v\nwant\n%v", got, want)
		}
		got = rows(t, db, `SELECT source, vendor, hop, uniqExact(txid), count() FROM chain_flows
WHERE direction = 'out' AND endpoint = 'coinjoin' GROUP BY source, vendor, hop ORDER BY source, vendor`)
		want = [][]string{{"m1", "vend", "3", "1", "8"}, {"m2", "other", "1", "1", "8"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("flows stopping at the CoinJoin = %v, want %v", got, want)
		}
		got = rows(t, db, `SELECT hop, to_address, value FROM chain_flows
WHERE vendor = 'vend' AND direction = 'out' AND endpoint = '' ORDER BY hop, to_address`)
		want = [][]string{{"1", g.addr("C1"), "89995000"}, {"1", g.addr("S1"), "10000000"}, {"2", g.addr("C2"), "29990000"}}
		sort.Slice(want, func(i, j int) bool { return want[i][0]+want[i][1] < want[j][0]+want[j][1] })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("vend's untagged outgoing hops = %v, want %v", got, want)
		}
	})
	t.Run("vendor summary", func(t *testing.T) {
		got := rows(t, db, `SELECT source, vendor, addresses, seen_addresses, received, received_txs, sent,
    arrayStringConcat(services_out, ','), arrayStringConcat(services_in, ','), arrayStringConcat(jurisdictions, ','),
    to_services, coinjoins
FROM chain_vendor_summary ORDER BY source, vendor`)
		want := [][]string{
			{"m1", "vend", "2", "2", "100000000", "3", "100000000", "ExampleExchange", "ExampleMarket", "LT", "60000000", "1"},
			{"m2", "other", "1", "1", "50000000", "1", "50000000", "", "", "", "0", "1"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("vendor summary =\n%v\nwant\n%v", got, want)
		}
		got = rows(t, db, `SELECT toString(first_activity) = (SELECT toString(block_time) FROM chain_txs FINAL WHERE txid = ?),
    toString(last_activity) = (SELECT toString(block_time) FROM chain_txs FINAL WHERE txid = ?)
FROM chain_vendor_summary WHERE vendor = 'vend'`, g.txs["pay1"], g.txs["peel1"])
		if want := [][]string{{"1", "1"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("vend's first and last activity match pay1 and peel1: %v", got)
		}
	})
	t.Run("tags", func(t *testing.T) {
		got := rows(t, db, `SELECT address, label, category, tag_source, confidence FROM chain_address_tags
WHERE tag_source = 'web crawl' AND chain = 'btc' ORDER BY address`)
		want := [][]string{
			{g.addr("U1"), "m2:other", "vendor", "web crawl", "low"},
			{g.addr("V1"), "m1:vend", "vendor", "web crawl", "low"},
			{g.addr("V2"), "m1:vend", "vendor", "web crawl", "low"},
		}
		sort.Slice(want, func(i, j int) bool { return want[i][0] < want[j][0] })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("web crawl tags = %v, want %v", got, want)
		}
		got = rows(t, db, `SELECT label, via FROM chain_address_labels WHERE address = ?`, g.addr("E1"))
		if want := [][]string{{"ExampleExchange", "cluster"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("E1 labels = %v, want the exchange's through its cluster", got)
		}
		got = rows(t, db, `SELECT chain, arrayStringConcat(vendors, ','), traced FROM chain_untraced_addresses`)
		if want := [][]string{{"xmr", "m1:vend", "0"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("untraced = %v, want %v", got, want)
		}
	})

	t.Run("request", func(t *testing.T) {
		ref, err := reference.Default()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.LoadReference(ctx, ref); err != nil {
			t.Fatal(err)
		}
		req, err := db.ChainRequest(ctx, "DE", "LT")
		if err != nil {
			t.Fatal(err)
		}
		if len(req.Flows) != 1 || req.Flows[0].Deposit != g.addr("E1") || req.Flows[0].TxID != g.txs["peel2"] || req.Flows[0].Value != 60_000_000 {
			t.Fatalf("request flows = %+v, want the 0.6 BTC deposit to E1", req.Flows)
		}
		if len(req.Channels) == 0 {
			t.Fatal("no cooperation channel DE to LT")
		}
		if !reflect.DeepEqual(req.Untraced, []string{xmrAddress}) {
			t.Errorf("untraced = %v, want the vendor's Monero address", req.Untraced)
		}
		var b strings.Builder
		if err := req.WriteDraft(&b); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{g.addr("E1"), g.txs["peel2"], "0.60000000 BTC", "ExampleExchange", xmrAddress,
			"no tracing is claimed", req.Channels[0].LegalBasis} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("draft lacks %q:\n%s", want, b.String())
			}
		}
		t.Run("export", func(t *testing.T) { exportForLT(ctx, t, db, ref, g) })
	})
	t.Run("saved queries", func(t *testing.T) {
		params := map[string]map[string]string{
			"chain-vendor-summary":    {"handle": "vend"},
			"chain-flows-to-services": {"country": "LT"},
			"chain-inflows":           {"handle": "vend"},
			"chain-address":           {"address": g.addr("E1")},
			"chain-cluster":           {"address": g.addr("E1")},
		}
		wantRows := map[string]int{"chain-vendor-summary": 1, "chain-flows-to-services": 1, "chain-address": 1,
			"chain-cluster": 2, "chain-coinjoins": 1, "chain-untraced": 1}
		for _, q := range query.All() {
			if !strings.HasPrefix(q.Name, "chain-") {
				continue
			}
			res, err := query.Run(ctx, db.Conn(), q, params[q.Name], 100)
			if err != nil {
				t.Errorf("%s: %v", q.Name, err)
				continue
			}
			if want, ok := wantRows[q.Name]; ok && len(res.Rows) != want {
				t.Errorf("%s: %d rows, want %d: %v", q.Name, len(res.Rows), want, res.Rows)
			}
		}
	})

	// Re-running the sync adds nothing.
	before := map[string]uint64{}
	tables := []string{"chain_txs", "chain_inputs", "chain_outputs", "chain_address_io"}
	for _, tb := range tables {
		before[tb] = count(t, db, tb)
	}
	rep2, err := syncer.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.TxsInserted != 0 {
		t.Errorf("second sync inserted %d transactions, want 0", rep2.TxsInserted)
	}
	for _, tb := range tables {
		if got := count(t, db, tb); got != before[tb] {
			t.Errorf("%s: %d rows after the second sync, %d before", tb, got, before[tb])
		}
	}

	t.Run("esplora", func(t *testing.T) {
		srv := httptest.NewServer(esplorasim.Handler(src, 3))
		defer srv.Close()
		esp, err := chain.New(chain.SourceConfig{Name: "esplora-fixture", Kind: chain.KindEsplora, URL: srv.URL + "/api",
			Rate: 1000, Concurrency: 4}, nil, log)
		if err != nil {
			t.Fatal(err)
		}
		db2 := testenv.ClickHouse(t)
		seen(t, db2, g)
		if err := db2.LoadChainTags(ctx, tags); err != nil {
			t.Fatal(err)
		}
		rep3, err := (&chain.Syncer{Source: esp, Store: db2.Chain(), Log: log}).Sync(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("esplora sync: %+v", rep3)
		analyze(t, db2)
		for _, q := range []string{
			"SELECT txid, vout, address, value, block_height, toString(block_time) FROM chain_outputs FINAL ORDER BY txid, vout",
			"SELECT txid, vin, prev_txid, prev_vout, address, value, coinbase FROM chain_inputs FINAL ORDER BY txid, vin",
			"SELECT cluster_id, address FROM chain_clusters ORDER BY address",
			"SELECT source, vendor, direction, hop, txid, to_address, value, endpoint, label FROM chain_flows ORDER BY source, vendor, direction, hop, txid, to_address, from_address",
			"SELECT * FROM chain_vendor_summary ORDER BY source, vendor",
		} {
			a, b := rows(t, db, q), rows(t, db2, q)
			if !reflect.DeepEqual(a, b) || len(a) == 0 {
				t.Errorf("%s:\nrpc     %d rows %v\nesplora %d rows %v", q, len(a), head(a), len(b), head(b))
			}
		}
	})
}

func head(rs [][]string) [][]string { return rs[:min(len(rs), 3)] }
