package esplorasim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/chain"
	"github.com/counternet/counternet/internal/chain/esplorasim"
)

func id(c byte) string { return strings.Repeat(string(c), 64) }

// twoTxs is a coinbase paying A and a transaction spending it to B and C.
func twoTxs() []chain.Tx {
	at := time.Unix(1_700_000_000, 0).UTC()
	return []chain.Tx{
		{Chain: "btc", TxID: id('a'), Confirmed: true, BlockHeight: 10, BlockTime: at,
			Inputs: []chain.Input{{Coinbase: true}}, Outputs: []chain.Output{{Address: "A", Value: 100}}},
		{Chain: "btc", TxID: id('b'), Confirmed: true, BlockHeight: 11, BlockTime: at.Add(time.Minute),
			Inputs:  []chain.Input{{PrevTxID: id('a'), PrevVout: 0, Address: "A", Value: 100}},
			Outputs: []chain.Output{{Address: "B", Value: 60}, {Index: 1, Address: "C", Value: 30}}},
	}
}

// TestMemory checks that Memory lists an address's transactions newest
// first, answers a transaction by id and the tip, and refuses a chain
// whose inputs spend outputs it does not hold.
func TestMemory(t *testing.T) {
	ctx := context.Background()
	m, err := esplorasim.NewMemory("mem", twoTxs())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := m.AddressTxs(ctx, "A", func(txs []chain.Tx) (bool, error) {
		for _, tx := range txs {
			got = append(got, tx.TxID[:1])
		}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "") != "ba" {
		t.Errorf("A's transactions %v, want newest first: b a", got)
	}
	if tip, _ := m.TipHeight(ctx); tip != 11 {
		t.Errorf("tip %d, want 11", tip)
	}
	if _, err := m.Tx(ctx, id('c')); !errors.Is(err, chain.ErrNotFound) {
		t.Errorf("unknown tx: %v", err)
	}
	if err := m.AddressTxs(ctx, "bad address!", func([]chain.Tx) (bool, error) { return true, nil }); !errors.Is(err, chain.ErrBadAddress) {
		t.Errorf("bad address: %v", err)
	}

	bad := twoTxs()
	bad[1].Inputs[0].Value = 99
	if _, err := esplorasim.NewMemory("mem", bad); err == nil || !strings.Contains(err.Error(), "the output is A 100") {
		t.Errorf("input with a wrong value: %v", err)
	}
	bad = twoTxs()
	bad[1].Inputs[0].PrevVout = 3
	if _, err := esplorasim.NewMemory("mem", bad); err == nil {
		t.Error("input spending a missing output accepted")
	}
	bad = append(twoTxs(), twoTxs()[0])
	if _, err := esplorasim.NewMemory("mem", bad); err == nil {
		t.Error("a transaction twice accepted")
	}
}
