package warehouse_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestChainServiceFlowsBound checks that ChainServiceFlows returns every
// flow up to MaxServiceFlows and refuses more rather than shortening the
// list, with and without a vendor selection.
func TestChainServiceFlowsBound(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	fill := func(n int) {
		t.Helper()
		if err := db.Conn().Exec(ctx, "TRUNCATE TABLE chain_flows"); err != nil {
			t.Fatal(err)
		}
		err := db.Conn().Exec(ctx, fmt.Sprintf(`INSERT INTO chain_flows (chain, source, vendor, direction, hop, txid,
    to_address, value, block_time, endpoint, label, jurisdiction, computed_at)
SELECT 'bitcoin', 'alpha', 'v1', 'out', 1, concat('tx', toString(number)), 'deposit', 1000, toDateTime(1700000000 + number),
    'service', 'exchange', 'LT', now()
FROM system.numbers LIMIT %d`, n))
		if err != nil {
			t.Fatal(err)
		}
	}
	fill(warehouse.MaxServiceFlows)
	for _, vendors := range [][]string{nil, {"alpha:v1"}} {
		flows, err := db.ChainServiceFlows(ctx, "LT", vendors)
		if err != nil || len(flows) != warehouse.MaxServiceFlows {
			t.Fatalf("vendors %v: %d flows, %v; want %d", vendors, len(flows), err, warehouse.MaxServiceFlows)
		}
		if first := flows[0]; first.TxID != "tx0" || first.Service != "exchange" || first.Market != "alpha" {
			t.Errorf("vendors %v: first flow %+v, want tx0 to exchange from alpha", vendors, first)
		}
	}
	fill(warehouse.MaxServiceFlows + 1)
	for _, vendors := range [][]string{nil, {"alpha:v1"}} {
		if flows, err := db.ChainServiceFlows(ctx, "LT", vendors); !errors.Is(err, warehouse.ErrTooManyFlows) {
			t.Errorf("vendors %v: %d flows, err %v; want ErrTooManyFlows", vendors, len(flows), err)
		}
	}
}
