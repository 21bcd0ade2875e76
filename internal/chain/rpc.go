package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// RPC error codes of Bitcoin Core and btcd the source tells apart.
const (
	rpcInvalidAddressOrKey = -5 // also "no information available" in btcd
	rpcMethodNotFound      = -32601
)

// maxBlockCache bounds the block headers an RPC source remembers.
const maxBlockCache = 10_000

// rpcSource is a Source over the Bitcoin Core JSON-RPC dialect. Listing an
// address's transactions uses btcd's searchrawtransactions (--addrindex),
// with vinextra so every input carries the output it spends.
type rpcSource struct {
	cfg      SourceConfig
	password string
	t        *transport
	log      zerolog.Logger
	id       atomic.Int64

	mu     sync.Mutex
	blocks map[string]blockInfo // by block hash
}

type blockInfo struct {
	height int64
	time   time.Time
}

func newRPC(cfg SourceConfig, password string, dial DialFunc, log zerolog.Logger) *rpcSource {
	// JSON-RPC errors come as 500 from Bitcoin Core with a JSON body: only
	// statuses that say "try later" are retried.
	retry := func(s int) bool {
		return s == http.StatusTooManyRequests || s == http.StatusBadGateway ||
			s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout
	}
	return &rpcSource{cfg: cfg, password: password, t: newTransport(cfg, dial, log, retry), log: log,
		blocks: map[string]blockInfo{}}
}

func (r *rpcSource) Name() string  { return r.cfg.Name }
func (r *rpcSource) Chain() string { return r.cfg.Chain }

// RPCError is an error answered by the node.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// Is makes an RPCError match ErrRPC.
func (e *RPCError) Is(target error) bool { return target == ErrRPC }

// call runs one JSON-RPC method and decodes its result into out.
func (r *rpcSource) call(ctx context.Context, method string, params []any, out any) error {
	body, err := json.Marshal(map[string]any{"jsonrpc": "1.0", "id": r.id.Add(1), "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("calling %s: encoding request: %w", method, err)
	}
	res, err := r.t.do(ctx, "calling "+method, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.URL, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		if r.cfg.User != "" {
			req.SetBasicAuth(r.cfg.User, r.password)
		}
		return req, nil
	})
	if err != nil {
		return err
	}
	if res.status == http.StatusUnauthorized || res.status == http.StatusForbidden {
		return fmt.Errorf("calling %s: %w: http status %d (check user and password_env)", method, ErrRPC, res.status)
	}
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(res.body, &env); err != nil {
		return fmt.Errorf("calling %s: %w: http status %d, %v", method, ErrBadResponse, res.status, err)
	}
	if env.Error != nil {
		return fmt.Errorf("calling %s: %w", method, env.Error)
	}
	if res.status != http.StatusOK {
		return fmt.Errorf("calling %s: %w: http status %d", method, ErrBadResponse, res.status)
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(env.Result))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("calling %s: %w: %v", method, ErrBadResponse, err)
	}
	return nil
}

// rpcTx is a verbose transaction as getrawtransaction and
// searchrawtransactions return it.
type rpcTx struct {
	TxID string `json:"txid"`
	Vin  []struct {
		Coinbase string `json:"coinbase"`
		TxID     string `json:"txid"`
		Vout     uint32 `json:"vout"`
		PrevOut  *struct {
			Addresses []string    `json:"addresses"`
			Address   string      `json:"address"`
			Value     json.Number `json:"value"`
		} `json:"prevOut"`
		// Bitcoin Core (getrawtransaction verbosity 2) names it prevout.
		PrevOutCore *struct {
			Value        json.Number `json:"value"`
			ScriptPubKey rpcScript   `json:"scriptPubKey"`
		} `json:"prevout"`
	} `json:"vin"`
	Vout []struct {
		Value        json.Number `json:"value"`
		N            uint32      `json:"n"`
		ScriptPubKey rpcScript   `json:"scriptPubKey"`
	} `json:"vout"`
	BlockHash     string `json:"blockhash"`
	Confirmations int64  `json:"confirmations"`
	BlockTime     int64  `json:"blocktime"`
}

type rpcScript struct {
	Type      string   `json:"type"`
	Address   string   `json:"address"`
	Addresses []string `json:"addresses"`
}

func (s rpcScript) addr() string {
	if s.Address != "" {
		return s.Address
	}
	if len(s.Addresses) == 1 {
		return s.Addresses[0]
	}
	return ""
}

// decodeRPCTx converts a verbose transaction; inputs without prevout data
// are returned in missing (their index) for the caller to resolve.
func decodeRPCTx(chain string, v *rpcTx) (Tx, []int, error) {
	if err := checkTxID(v.TxID); err != nil {
		return Tx{}, nil, err
	}
	tx := Tx{Chain: chain, TxID: strings.ToLower(v.TxID), BlockHash: v.BlockHash}
	if v.BlockHash != "" && v.Confirmations > 0 {
		tx.Confirmed = true
		tx.BlockTime = time.Unix(v.BlockTime, 0).UTC()
	}
	var missing []int
	for i, in := range v.Vin {
		x := Input{Index: uint32(i)}
		switch {
		case in.Coinbase != "":
			x.Coinbase = true
		case in.PrevOut != nil:
			x.PrevTxID, x.PrevVout = strings.ToLower(in.TxID), in.Vout
			val, err := parseCoins(in.PrevOut.Value)
			if err != nil {
				return Tx{}, nil, fmt.Errorf("%w: tx %s input %d: %v", ErrBadResponse, v.TxID, i, err)
			}
			x.Value = val
			x.Address = in.PrevOut.Address
			if x.Address == "" && len(in.PrevOut.Addresses) == 1 {
				x.Address = in.PrevOut.Addresses[0]
			}
		case in.PrevOutCore != nil:
			x.PrevTxID, x.PrevVout = strings.ToLower(in.TxID), in.Vout
			val, err := parseCoins(in.PrevOutCore.Value)
			if err != nil {
				return Tx{}, nil, fmt.Errorf("%w: tx %s input %d: %v", ErrBadResponse, v.TxID, i, err)
			}
			x.Value, x.Address = val, in.PrevOutCore.ScriptPubKey.addr()
		default:
			if err := checkTxID(in.TxID); err != nil {
				return Tx{}, nil, err
			}
			x.PrevTxID, x.PrevVout = strings.ToLower(in.TxID), in.Vout
			missing = append(missing, i)
		}
		tx.Inputs = append(tx.Inputs, x)
	}
	for _, o := range v.Vout {
		val, err := parseCoins(o.Value)
		if err != nil {
			return Tx{}, nil, fmt.Errorf("%w: tx %s output %d: %v", ErrBadResponse, v.TxID, o.N, err)
		}
		tx.Outputs = append(tx.Outputs, Output{Index: o.N, Address: o.ScriptPubKey.addr(), Value: val, ScriptType: o.ScriptPubKey.Type})
	}
	return tx, missing, nil
}

// complete fills in block heights and the inputs whose spent outputs the
// node did not include.
func (r *rpcSource) complete(ctx context.Context, v *rpcTx) (Tx, error) {
	tx, missing, err := decodeRPCTx(r.cfg.Chain, v)
	if err != nil {
		return Tx{}, err
	}
	if tx.Confirmed {
		b, err := r.block(ctx, tx.BlockHash)
		if err != nil {
			return Tx{}, err
		}
		tx.BlockHeight, tx.BlockTime = b.height, b.time
	}
	for _, i := range missing {
		in := &tx.Inputs[i]
		prev, err := r.rawTx(ctx, in.PrevTxID)
		if err != nil {
			return Tx{}, fmt.Errorf("resolving input %d of %s: %w", i, tx.TxID, err)
		}
		p, _, err := decodeRPCTx(r.cfg.Chain, prev)
		if err != nil {
			return Tx{}, err
		}
		if int(in.PrevVout) >= len(p.Outputs) {
			return Tx{}, fmt.Errorf("%w: input %d of %s spends output %d of %s, which has %d", ErrBadResponse, i, tx.TxID, in.PrevVout, p.TxID, len(p.Outputs))
		}
		out := p.Outputs[in.PrevVout]
		in.Address, in.Value = out.Address, out.Value
	}
	return tx, nil
}

func (r *rpcSource) block(ctx context.Context, hash string) (blockInfo, error) {
	r.mu.Lock()
	b, ok := r.blocks[hash]
	r.mu.Unlock()
	if ok {
		return b, nil
	}
	var h struct {
		Height int64 `json:"height"`
		Time   int64 `json:"time"`
	}
	if err := r.call(ctx, "getblockheader", []any{hash, true}, &h); err != nil {
		return blockInfo{}, fmt.Errorf("reading block %s: %w", hash, err)
	}
	b = blockInfo{height: h.Height, time: time.Unix(h.Time, 0).UTC()}
	r.mu.Lock()
	if len(r.blocks) >= maxBlockCache {
		clear(r.blocks)
	}
	r.blocks[hash] = b
	r.mu.Unlock()
	return b, nil
}

func (r *rpcSource) rawTx(ctx context.Context, txid string) (*rpcTx, error) {
	if err := checkTxID(txid); err != nil {
		return nil, err
	}
	var v rpcTx
	err := r.call(ctx, "getrawtransaction", []any{txid, 1}, &v)
	var re *RPCError
	if errors.As(err, &re) && re.Code == rpcInvalidAddressOrKey {
		return nil, fmt.Errorf("reading transaction %s: %w: %w", txid, ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading transaction %s: %w", txid, err)
	}
	return &v, nil
}

// Tx reads one transaction with getrawtransaction (verbose) and resolves
// its inputs from the transactions they spend.
func (r *rpcSource) Tx(ctx context.Context, txid string) (Tx, error) {
	v, err := r.rawTx(ctx, strings.ToLower(txid))
	if err != nil {
		return Tx{}, err
	}
	return r.complete(ctx, v)
}

// TipHeight asks getblockcount.
func (r *rpcSource) TipHeight(ctx context.Context) (int64, error) {
	var n int64
	if err := r.call(ctx, "getblockcount", nil, &n); err != nil {
		return 0, fmt.Errorf("reading tip height: %w", err)
	}
	return n, nil
}

// AddressTxs pages through searchrawtransactions (verbose, vinextra,
// reverse: newest first), PageSize transactions at a time.
func (r *rpcSource) AddressTxs(ctx context.Context, addr string, page func([]Tx) (bool, error)) error {
	if err := CheckAddress(addr); err != nil {
		return err
	}
	for skip := 0; ; {
		var vs []rpcTx
		err := r.call(ctx, "searchrawtransactions", []any{addr, 1, skip, r.cfg.PageSize, 1, true}, &vs)
		var re *RPCError
		switch {
		case errors.As(err, &re) && re.Code == rpcInvalidAddressOrKey && strings.HasPrefix(re.Message, "No information"):
			return nil // never used
		case errors.As(err, &re) && re.Code == rpcInvalidAddressOrKey:
			return fmt.Errorf("listing transactions of %s: %w: %w", addr, ErrBadAddress, err)
		case errors.As(err, &re) && (re.Code == rpcMethodNotFound || strings.Contains(re.Message, "addrindex")):
			return fmt.Errorf("listing transactions of %s: %w: the node has no address index (btcd --addrindex): %w", addr, ErrUnsupported, err)
		case err != nil:
			return fmt.Errorf("listing transactions of %s: %w", addr, err)
		}
		if len(vs) == 0 {
			return nil
		}
		txs := make([]Tx, 0, len(vs))
		for i := range vs {
			tx, err := r.complete(ctx, &vs[i])
			if err != nil {
				return fmt.Errorf("listing transactions of %s: %w", addr, err)
			}
			txs = append(txs, tx)
		}
		more, err := page(txs)
		if err != nil || !more || len(vs) < r.cfg.PageSize {
			return err
		}
		skip += len(vs)
	}
}

// parseCoins parses a decimal coin amount (at most 8 decimals) into the
// smallest unit exactly, without going through float64.
func parseCoins(n json.Number) (int64, error) {
	s := string(n)
	if s == "" {
		return 0, errors.New("empty amount")
	}
	if strings.ContainsAny(s, "eE") {
		// Nodes print small amounts in exponent form (1e-08).
		f, err := n.Float64()
		if err != nil || f < 0 || f > 21e6 {
			return 0, fmt.Errorf("amount %q out of range", s)
		}
		return int64(f*1e8 + 0.5), nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 8 || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("amount %q is not a coin amount", s)
	}
	frac += strings.Repeat("0", 8-len(frac))
	var v int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("amount %q is not a coin amount", s)
		}
		v = v*10 + int64(c-'0')
		if v > 21e14 {
			return 0, fmt.Errorf("amount %q out of range", s)
		}
	}
	return v, nil
}
