package chain_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/chain"
)

func TestParseConfig(t *testing.T) {
	cfg, err := chain.LoadConfig("testdata/chains.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := cfg.Lookup("esplora-onion")
	if err != nil {
		t.Fatal(err)
	}
	if s.Chain != "btc" || !s.Tor || s.Rate != 1 || s.Timeout != 90*time.Second || s.Retries != chain.DefaultRetries {
		t.Errorf("esplora-onion = %+v", s)
	}
	if _, err := cfg.Lookup(""); err == nil {
		t.Error("Lookup(\"\") with two sources succeeded")
	}
	_, err = chain.LoadConfig("testdata/chains.bad.yaml")
	want, _ := os.ReadFile("testdata/chains.bad.want")
	if err == nil || err.Error() != strings.TrimSpace(string(want)) {
		t.Errorf("bad config errors:\n%v\nwant\n%s", err, want)
	}
	if _, err := chain.ParseConfig("x.yaml", []byte("sources:\n  - name: a\n    colour: red\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("unknown key: %v", err)
	}
}

// TestNewRefuses checks that New fails closed: a Tor source without the
// Tor dialer, and an RPC password variable that is not set, are errors
// naming the source; a URL's credentials never appear in an error.
func TestNewRefuses(t *testing.T) {
	_, err := chain.New(chain.SourceConfig{Name: "onion", Kind: chain.KindEsplora, URL: "http://example.onion/api", Tor: true}, nil, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "onion") || !strings.Contains(err.Error(), "Tor dialer") {
		t.Errorf("Tor source without a dialer: err = %v, want a refusal naming the source", err)
	}
	const env = "COUNTERNET_TEST_UNSET_RPC_PASSWORD"
	t.Setenv(env, "")
	os.Unsetenv(env)
	_, err = chain.New(chain.SourceConfig{Name: "node", Kind: chain.KindRPC, URL: "http://127.0.0.1:8334", User: "u", PasswordEnv: env}, nil, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), env) || !strings.Contains(err.Error(), "node") {
		t.Errorf("unset password variable: err = %v, want an error naming %s and the source", err, env)
	}
	t.Setenv(env, "secret")
	if _, err := chain.New(chain.SourceConfig{Name: "node", Kind: chain.KindRPC, URL: "http://127.0.0.1:8334", User: "u", PasswordEnv: env}, nil, zerolog.Nop()); err != nil {
		t.Errorf("password variable set: %v", err)
	}
	_, err = chain.New(chain.SourceConfig{Name: "node", Kind: chain.KindRPC, URL: "ftp://u:hunter2@127.0.0.1:8334"}, nil, zerolog.Nop())
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("URL with credentials: err = %v, want an error without the password", err)
	}
}

func TestLoadTags(t *testing.T) {
	tags, err := chain.LoadTags("../../configs/tags")
	if err != nil {
		t.Fatalf("shipped tag files: %v", err)
	}
	_ = tags
	_, err = chain.LoadTagFile("testdata/tags.bad.yaml")
	want, _ := os.ReadFile("testdata/tags.bad.want")
	if err == nil || err.Error() != strings.TrimSpace(string(want)) {
		t.Errorf("bad tags errors:\n%v\nwant\n%s", err, want)
	}
	got, err := chain.ParseTags("t.yaml", []byte("tags:\n  - address: bc1qabc\n    label: X\n    category: mixer\n    source: r\n    confidence: low\n    jurisdiction: ch\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := (chain.Tag{Chain: "btc", Address: "bc1qabc", Scope: "address", Label: "X", Category: "mixer", Source: "r",
		Confidence: "low", Jurisdiction: "CH", File: "t.yaml", Line: 2}); !reflect.DeepEqual(got, []chain.Tag{w}) {
		t.Errorf("tags = %+v, want %+v", got, w)
	}
}

func TestCoinJoinShape(t *testing.T) {
	in := func(addrs ...string) []chain.Input {
		var out []chain.Input
		for _, a := range addrs {
			out = append(out, chain.Input{Address: a, Value: 1e8})
		}
		return out
	}
	outs := func(values ...int64) []chain.Output {
		var out []chain.Output
		for i, v := range values {
			out = append(out, chain.Output{Index: uint32(i), Address: "x", Value: v})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		tx   chain.Tx
		want chain.Shape
	}{
		{"whirlpool 5x5", chain.Tx{Inputs: in("a", "b", "c", "d", "e"), Outputs: outs(5e6, 5e6, 5e6, 5e6, 5e6)},
			chain.Shape{InputAddresses: 5, EqualOutputs: 5, EqualValue: 5e6, CoinJoin: true}},
		{"join with change", chain.Tx{Inputs: in("a", "b", "c"), Outputs: outs(2e7, 2e7, 2e7, 3e6, 4e6, 5e6)},
			chain.Shape{InputAddresses: 3, EqualOutputs: 3, EqualValue: 2e7, CoinJoin: true}},
		{"consolidation, one owner's addresses", chain.Tx{Inputs: in("a", "b", "c", "d"), Outputs: outs(9e7)},
			chain.Shape{InputAddresses: 4, EqualOutputs: 1, EqualValue: 9e7}},
		{"same address spent thrice", chain.Tx{Inputs: in("a", "a", "a"), Outputs: outs(1e6, 1e6, 1e6)},
			chain.Shape{InputAddresses: 1, EqualOutputs: 3, EqualValue: 1e6}},
		{"two-party join", chain.Tx{Inputs: in("a", "b"), Outputs: outs(1e6, 1e6, 1e6)},
			chain.Shape{InputAddresses: 2, EqualOutputs: 3, EqualValue: 1e6}},
		{"payment with change", chain.Tx{Inputs: in("a"), Outputs: outs(1e6, 2e6)},
			chain.Shape{InputAddresses: 1, EqualOutputs: 1, EqualValue: 2e6}},
		{"tie: the larger value", chain.Tx{Inputs: in("a", "b", "c"), Outputs: outs(1e6, 1e6, 1e6, 2e6, 2e6, 2e6)},
			chain.Shape{InputAddresses: 3, EqualOutputs: 3, EqualValue: 2e6, CoinJoin: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := chain.CoinJoinShape(&tc.tx); got != tc.want {
				t.Errorf("shape = %+v, want %+v", got, tc.want)
			}
		})
	}
}

const (
	txA = "aa00000000000000000000000000000000000000000000000000000000000001"
	txB = "bb00000000000000000000000000000000000000000000000000000000000002"
)

func TestDecodeEsploraTx(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       chain.Tx
		err        error
	}{
		{"confirmed payment", `{"txid":"` + txA + `","vin":[{"txid":"` + txB + `","vout":1,"prevout":{"scriptpubkey_type":"v0_p2wpkh","scriptpubkey_address":"bc1qin","value":150000},"is_coinbase":false}],
"vout":[{"scriptpubkey_type":"v0_p2wpkh","scriptpubkey_address":"bc1qout","value":100000},{"scriptpubkey_type":"op_return","value":0}],
"status":{"confirmed":true,"block_height":800000,"block_hash":"00ff","block_time":1700000000},"fee":50000}`,
			chain.Tx{Chain: "btc", TxID: txA, Confirmed: true, BlockHeight: 800000, BlockHash: "00ff", BlockTime: time.Unix(1700000000, 0).UTC(),
				Inputs:  []chain.Input{{PrevTxID: txB, PrevVout: 1, Address: "bc1qin", Value: 150000}},
				Outputs: []chain.Output{{Index: 0, Address: "bc1qout", Value: 100000, ScriptType: "v0_p2wpkh"}, {Index: 1, ScriptType: "op_return"}}}, nil},
		{"coinbase, unconfirmed", `{"txid":"` + strings.ToUpper(txA) + `","vin":[{"txid":"0000000000000000000000000000000000000000000000000000000000000000","vout":4294967295,"prevout":null,"is_coinbase":true}],"vout":[],"status":{"confirmed":false}}`,
			chain.Tx{Chain: "btc", TxID: txA, Inputs: []chain.Input{{Coinbase: true}}}, nil},
		{"bad txid", `{"txid":"xyz","vin":[],"vout":[],"status":{}}`, chain.Tx{}, chain.ErrBadResponse},
		{"input without prevout", `{"txid":"` + txA + `","vin":[{"txid":"` + txB + `","vout":0}],"vout":[],"status":{}}`, chain.Tx{}, chain.ErrBadResponse},
		{"negative value", `{"txid":"` + txA + `","vin":[],"vout":[{"value":-1}],"status":{}}`, chain.Tx{}, chain.ErrBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v chain.EsploraTx
			if err := json.Unmarshal([]byte(tc.json), &v); err != nil {
				t.Fatal(err)
			}
			got, err := chain.DecodeEsploraTx("btc", &v)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func FuzzDecodeEsploraTx(f *testing.F) {
	f.Add(`{"txid":"` + txA + `","vin":[{"txid":"` + txB + `","vout":1,"prevout":{"value":5}}],"vout":[{"value":1}],"status":{"confirmed":true,"block_height":1}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		var v chain.EsploraTx
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		tx, err := chain.DecodeEsploraTx("btc", &v)
		if err != nil {
			return
		}
		for _, o := range tx.Outputs {
			if o.Value < 0 {
				t.Fatalf("negative output value accepted: %+v", tx)
			}
		}
		if tx.Fee() < 0 || len(tx.TxID) != 64 {
			t.Fatalf("bad decoded tx %+v", tx)
		}
	})
}

// TestRetries runs the Esplora source against a loopback server that
// answers 503 twice before the answer, and one that never answers well.
func TestRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("812345\n"))
	}))
	defer srv.Close()
	cfg := chain.SourceConfig{Name: "e", Kind: chain.KindEsplora, URL: srv.URL, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond}
	src, err := chain.New(cfg, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	h, err := src.TipHeight(context.Background())
	if err != nil || h != 812345 || calls.Load() != 3 {
		t.Fatalf("TipHeight = %d, %v after %d calls; want 812345 after 3", h, err, calls.Load())
	}
	cfg.Retries = 1
	calls.Store(-100)
	src, _ = chain.New(cfg, nil, zerolog.Nop())
	if _, err := src.TipHeight(context.Background()); !errors.Is(err, chain.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	if _, err := src.Tx(context.Background(), "nothex"); !errors.Is(err, chain.ErrBadResponse) {
		t.Errorf("bad txid: %v", err)
	}
}

// TestResponseBound cuts a response longer than MaxResponseBytes.
func TestResponseBound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("1", 4096)))
	}))
	defer srv.Close()
	src, _ := chain.New(chain.SourceConfig{Name: "e", Kind: chain.KindEsplora, URL: srv.URL, MaxResponseBytes: 1024}, nil, zerolog.Nop())
	if _, err := src.TipHeight(context.Background()); !errors.Is(err, chain.ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
}

// memFlows is a FlowStore over an in-memory transaction list.
type memFlows struct {
	txs    []chain.Tx
	vendor chain.VendorAddresses
	labels map[string]chain.Label
}

func (m *memFlows) VendorAddresses(context.Context, string) ([]chain.VendorAddresses, error) {
	return []chain.VendorAddresses{m.vendor}, nil
}

func (m *memFlows) Edges(_ context.Context, _ string, dir chain.Direction, addrs []string, _ int) ([]chain.Edge, error) {
	in := map[string]bool{}
	for _, a := range addrs {
		in[a] = true
	}
	var out []chain.Edge
	for _, tx := range m.txs {
		cj := chain.CoinJoinShape(&tx).CoinJoin
		if dir == chain.Out {
			for _, i := range tx.Inputs {
				if in[i.Address] {
					for _, o := range tx.Outputs {
						out = append(out, chain.Edge{TxID: tx.TxID, From: i.Address, To: o.Address, N: o.Index, Value: o.Value, CoinJoin: cj})
					}
				}
			}
			continue
		}
		for _, o := range tx.Outputs {
			if in[o.Address] {
				for _, i := range tx.Inputs {
					out = append(out, chain.Edge{TxID: tx.TxID, From: i.Address, To: o.Address, N: i.Index, Value: o.Value, CoinJoin: cj})
				}
			}
		}
	}
	return out, nil
}

func (m *memFlows) Labels(_ context.Context, _ string, addrs []string) (map[string]chain.Label, error) {
	out := map[string]chain.Label{}
	for _, a := range addrs {
		if l, ok := m.labels[a]; ok {
			out[a] = l
		}
	}
	return out, nil
}

func TestTraceFlows(t *testing.T) {
	tx := func(id string, ins []string, outs map[string]int64) chain.Tx {
		t := chain.Tx{TxID: id}
		for i, a := range ins {
			t.Inputs = append(t.Inputs, chain.Input{Index: uint32(i), Address: a, Value: 1})
		}
		n := uint32(0)
		for _, a := range []string{"C1", "S1", "E1", "C2", "X", "V1"} {
			if v, ok := outs[a]; ok {
				t.Outputs = append(t.Outputs, chain.Output{Index: n, Address: a, Value: v})
				n++
			}
		}
		return t
	}
	m := &memFlows{
		vendor: chain.VendorAddresses{Source: "m1", Vendor: "vend", Addresses: []string{"V1", "V2"}},
		txs: []chain.Tx{
			tx("peel1", []string{"V1", "V2"}, map[string]int64{"S1": 10, "C1": 89}),
			tx("peel2", []string{"C1"}, map[string]int64{"E1": 60, "C2": 29}),
			tx("back", []string{"C2"}, map[string]int64{"V1": 5, "X": 20}),
			tx("later", []string{"X"}, map[string]int64{"E1": 19}),
		},
		labels: map[string]chain.Label{"E1": {Label: "Ex", Category: "exchange", Jurisdiction: "LT"}},
	}
	flows, err := chain.TraceFlows(context.Background(), m, "btc", chain.FlowOptions{Hops: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range flows {
		if f.Direction == chain.Out {
			got = append(got, strings.Join([]string{f.TxID, f.To, f.Endpoint, f.Label.Label, strings.Join(f.Path, ">")}, " "))
		}
	}
	want := []string{
		"peel1 C1   peel1", "peel1 S1   peel1",
		"peel2 E1 service Ex peel1>peel2", "peel2 C2   peel1>peel2",
		"back X   peel1>peel2>back", // the change back to V1 is no hop
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flows (3 hops):\n%q\nwant\n%q", got, want)
	}
}

func TestFormatBTC(t *testing.T) {
	for sat, want := range map[int64]string{0: "0.00000000", 1: "0.00000001", 12345: "0.00012345",
		150_000_000: "1.50000000", -5: "-0.00000005", -150_000_000: "-1.50000000", 2_100_000_000_000_000: "21000000.00000000"} {
		if got := chain.FormatBTC(sat); got != want {
			t.Errorf("FormatBTC(%d) = %q, want %q", sat, got, want)
		}
	}
}
