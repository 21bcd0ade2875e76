package chain_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// EnvBtcd names a btcd binary to use instead of building one.
const EnvBtcd = "COUNTERNET_TEST_BTCD"

var (
	btcdOnce sync.Once
	btcdPath string
	btcdErr  error
)

// btcdBinary builds btcd from the module cache (it is a tool dependency in
// go.mod, so this works offline once the module is downloaded) into a
// directory shared by the test binary's runs, or returns $COUNTERNET_TEST_BTCD.
func btcdBinary(t testing.TB) string {
	t.Helper()
	btcdOnce.Do(func() {
		if p := os.Getenv(EnvBtcd); p != "" {
			btcdPath = p
			return
		}
		dir := filepath.Join(os.TempDir(), "counternet-test-btcd")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			btcdErr = err
			return
		}
		out := filepath.Join(dir, "btcd")
		cmd := exec.Command("go", "build", "-o", out, "github.com/btcsuite/btcd")
		if b, err := cmd.CombinedOutput(); err != nil {
			btcdErr = fmt.Errorf("building btcd: %v\n%s", err, b)
			return
		}
		btcdPath = out
	})
	if btcdErr != nil {
		t.Fatal(btcdErr)
	}
	return btcdPath
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// node is a btcd regtest node on loopback, with --txindex --addrindex.
type node struct {
	URL, User, Pass string
	client          *http.Client
	id              int
}

const rpcUser, rpcPass = "counternet", "regtest-only"

// startBtcd starts btcd in regtest mode mining to miningAddr, and stops it
// when the test ends.
func startBtcd(t testing.TB, miningAddr string) *node {
	t.Helper()
	bin := btcdBinary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "btcd.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil { // btcd wants the file to exist
		t.Fatal(err)
	}
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--regtest", "--txindex", "--addrindex", "--configfile="+conf,
		"--datadir="+filepath.Join(dir, "data"), "--logdir="+filepath.Join(dir, "log"),
		"--rpcuser="+rpcUser, "--rpcpass="+rpcPass, "--rpclisten=127.0.0.1:"+strconv.Itoa(port), "--notls",
		"--nolisten", "--nodnsseed", "--nocfilters", "--miningaddr="+miningAddr, "--debuglevel=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting btcd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cancel()
			<-done
		}
		cancel()
		if t.Failed() {
			t.Logf("btcd output:\n%s", logs.String())
		}
	})
	n := &node{URL: "http://127.0.0.1:" + strconv.Itoa(port), User: rpcUser, Pass: rpcPass,
		client: &http.Client{Timeout: 60 * time.Second}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var h int64
		err := n.call("getblockcount", nil, &h)
		if err == nil {
			return n
		}
		select {
		case <-done:
			t.Fatalf("btcd exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("btcd RPC not up after 60s: %v\n%s", err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (n *node) call(method string, params []any, out any) error {
	n.id++
	body, _ := json.Marshal(map[string]any{"jsonrpc": "1.0", "id": n.id, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, n.URL, bytes.NewReader(body))
	req.SetBasicAuth(n.User, n.Pass)
	res, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s: http %d: %v", method, res.StatusCode, err)
	}
	if env.Error != nil {
		return fmt.Errorf("%s: %d %s", method, env.Error.Code, env.Error.Message)
	}
	if out != nil {
		return json.Unmarshal(env.Result, out)
	}
	return nil
}

func (n *node) must(t testing.TB, method string, params []any, out any) {
	t.Helper()
	if err := n.call(method, params, out); err != nil {
		t.Fatal(err)
	}
}

// generate mines count blocks and returns their hashes.
func (n *node) generate(t testing.TB, count int) []string {
	t.Helper()
	var hashes []string
	n.must(t, "generate", []any{count}, &hashes)
	return hashes
}

// key is a deterministic P2WPKH key of the test's wallet.
type key struct {
	name string
	priv *btcec.PrivateKey
	addr address.Address
	pk   []byte // pkScript
}

func newKey(t testing.TB, name string) *key {
	t.Helper()
	seed := sha256.Sum256([]byte("counternet regtest key " + name))
	priv, pub := btcec.PrivKeyFromBytes(seed[:])
	a, err := address.NewAddressWitnessPubKeyHash(address.Hash160(pub.SerializeCompressed()), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return &key{name: name, priv: priv, addr: a, pk: pk}
}

func (k *key) String() string { return k.addr.EncodeAddress() }

// utxo is an output the test's wallet can spend.
type utxo struct {
	txid  chainhash.Hash
	vout  uint32
	value int64
	owner *key
}

type payment struct {
	to    *key
	value int64
}

// send builds, signs and broadcasts a transaction spending ins to outs and
// returns its txid and its outputs as utxos.
func (n *node) send(t testing.TB, ins []utxo, outs []payment) (string, []utxo) {
	t.Helper()
	tx := wire.NewMsgTx(2)
	prev := map[wire.OutPoint]*wire.TxOut{}
	for _, in := range ins {
		op := wire.NewOutPoint(&in.txid, in.vout)
		tx.AddTxIn(wire.NewTxIn(op, nil, nil))
		prev[*op] = wire.NewTxOut(in.value, in.owner.pk)
	}
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(o.value, o.to.pk))
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prev))
	for i, in := range ins {
		w, err := txscript.WitnessSignature(tx, hashes, i, in.value, in.owner.pk, txscript.SigHashAll, in.owner.priv, true)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[i].Witness = w
	}
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	var id string
	n.must(t, "sendrawtransaction", []any{hex.EncodeToString(buf.Bytes())}, &id)
	h := tx.TxHash()
	if id != h.String() {
		t.Fatalf("sendrawtransaction returned %s, want %s", id, h)
	}
	var us []utxo
	for i, o := range outs {
		us = append(us, utxo{txid: h, vout: uint32(i), value: o.value, owner: o.to})
	}
	return id, us
}

// coinbase returns the coinbase output of the block at height.
func (n *node) coinbase(t testing.TB, height int, owner *key) utxo {
	t.Helper()
	var hash string
	n.must(t, "getblockhash", []any{height}, &hash)
	var blk struct {
		Tx []string `json:"tx"`
	}
	n.must(t, "getblock", []any{hash}, &blk)
	var raw struct {
		Vout []struct {
			Value json.Number `json:"value"`
		} `json:"vout"`
	}
	n.must(t, "getrawtransaction", []any{blk.Tx[0], 1}, &raw)
	f, _ := raw.Vout[0].Value.Float64()
	h, err := chainhash.NewHashFromStr(blk.Tx[0])
	if err != nil {
		t.Fatal(err)
	}
	return utxo{txid: *h, vout: 0, value: int64(f*1e8 + 0.5), owner: owner}
}

// graph is the payment graph the test builds, with what it expects.
type graph struct {
	keys map[string]*key
	txs  map[string]string // name -> txid
}

func (g *graph) addr(name string) string { return g.keys[name].String() }

const fee = 5_000

// buildGraph mines coins and makes the known payment graph:
//
//	fund:     miner -> buyers B1, B2, market MK, mixers U1-U3, exchange EK
//	pay1:     B1 -> vendor V1 0.5 BTC; pay2: B2 -> V1 0.3; pay3 (escrow release): MK -> V2 0.2
//	peel1:    V1, V1, V2 -> supplier S1 0.1, change C1            (clusters V1 with V2)
//	peel2:    C1 -> exchange deposit E1 0.6, change C2
//	coinjoin: C2, U1, U2, U3 -> 4 x 0.2 BTC (VM, U1m, U2m, U3m) + changes   (must not merge)
//	sweep:    EK, E1 -> exchange hot wallet H                    (clusters E1 with EK)
func buildGraph(t testing.TB, n *node, g *graph) {
	t.Helper()
	k := func(name string) *key { return g.keys[name] }
	n.generate(t, 101)
	cb := n.coinbase(t, 1, k("M"))
	id, f := n.send(t, []utxo{cb}, []payment{
		{k("B1"), 100_000_000}, {k("B2"), 100_000_000}, {k("MK"), 100_000_000},
		{k("U1"), 50_000_000}, {k("U2"), 50_000_000}, {k("U3"), 50_000_000}, {k("EK"), 200_000_000},
		{k("M"), cb.value - 650_000_000 - fee},
	})
	g.txs["fund"] = id
	n.generate(t, 1)
	id, p1 := n.send(t, []utxo{f[0]}, []payment{{k("V1"), 50_000_000}, {k("B1c"), 50_000_000 - fee}})
	g.txs["pay1"] = id
	id, p2 := n.send(t, []utxo{f[1]}, []payment{{k("V1"), 30_000_000}, {k("B2c"), 70_000_000 - fee}})
	g.txs["pay2"] = id
	id, p3 := n.send(t, []utxo{f[2]}, []payment{{k("V2"), 20_000_000}, {k("MK"), 80_000_000 - fee}})
	g.txs["pay3"] = id
	n.generate(t, 1)
	id, pe1 := n.send(t, []utxo{p1[0], p2[0], p3[0]}, []payment{{k("S1"), 10_000_000}, {k("C1"), 90_000_000 - fee}})
	g.txs["peel1"] = id
	n.generate(t, 1)
	id, pe2 := n.send(t, []utxo{pe1[1]}, []payment{{k("E1"), 60_000_000}, {k("C2"), 30_000_000 - 2*fee}})
	g.txs["peel2"] = id
	n.generate(t, 1)
	const share = 2_000
	id, _ = n.send(t, []utxo{pe2[1], f[3], f[4], f[5]}, []payment{
		{k("VM"), 20_000_000}, {k("U1m"), 20_000_000}, {k("U2m"), 20_000_000}, {k("U3m"), 20_000_000},
		{k("VMc"), 30_000_000 - 2*fee - 20_000_000 - share},
		{k("U1c"), 50_000_000 - 20_000_000 - share}, {k("U2c"), 50_000_000 - 20_000_000 - share},
		{k("U3c"), 50_000_000 - 20_000_000 - share},
	})
	g.txs["coinjoin"] = id
	n.generate(t, 1)
	id, _ = n.send(t, []utxo{f[6], pe2[0]}, []payment{{k("H"), 260_000_000 - fee}})
	g.txs["sweep"] = id
	n.generate(t, 1)
}

func newGraph(t testing.TB) *graph {
	g := &graph{keys: map[string]*key{}, txs: map[string]string{}}
	for _, name := range strings.Fields("M B1 B1c B2 B2c MK V1 V2 S1 C1 C2 E1 EK H U1 U2 U3 VM VMc U1m U2m U3m U1c U2c U3c") {
		g.keys[name] = newKey(t, name)
	}
	return g
}
