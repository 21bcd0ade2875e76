package chain

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseCoins(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0.5", 50_000_000, true}, {"1", 100_000_000, true}, {"0.00000001", 1, true}, {"1e-08", 1, true},
		{"21000000.00000000", 2_100_000_000_000_000, true}, {"49.99995", 4_999_995_000, true},
		{"0.000000001", 0, false}, {"-1", 0, false}, {"21000000.00000001", 0, false}, {"1.2.3", 0, false}, {"", 0, false},
	} {
		got, err := parseCoins(json.Number(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseCoins(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDecodeRPCTx(t *testing.T) {
	const body = `{"txid":"aa00000000000000000000000000000000000000000000000000000000000001",
"vin":[{"txid":"bb00000000000000000000000000000000000000000000000000000000000002","vout":1,"prevOut":{"addresses":["bcrt1qin"],"value":1.5}},
       {"txid":"cc00000000000000000000000000000000000000000000000000000000000003","vout":0}],
"vout":[{"value":0.25,"n":0,"scriptPubKey":{"type":"witness_v0_keyhash","address":"bcrt1qout"}},
        {"value":1.2,"n":1,"scriptPubKey":{"type":"witness_v0_keyhash","addresses":["bcrt1qchange"]}}],
"blockhash":"00ab","confirmations":3,"blocktime":1700000000}`
	var v rpcTx
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	tx, missing, err := decodeRPCTx("btc", &v)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0] != 1 {
		t.Errorf("missing = %v, want [1] (input without prevOut)", missing)
	}
	if !tx.Confirmed || tx.Inputs[0].Address != "bcrt1qin" || tx.Inputs[0].Value != 150_000_000 ||
		tx.Outputs[0].Value != 25_000_000 || tx.Outputs[1].Address != "bcrt1qchange" {
		t.Errorf("decoded %+v", tx)
	}
}
