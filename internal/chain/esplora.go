package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// esploraSource is a Source over the Esplora REST API (Blockstream's
// Esplora, electrs).
type esploraSource struct {
	cfg  SourceConfig
	base string // URL without a trailing slash
	t    *transport
	log  zerolog.Logger
}

func newEsplora(cfg SourceConfig, dial DialFunc, log zerolog.Logger) *esploraSource {
	retry := func(s int) bool { return s == http.StatusTooManyRequests || s >= 500 }
	return &esploraSource{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), t: newTransport(cfg, dial, log, retry), log: log}
}

func (e *esploraSource) Name() string  { return e.cfg.Name }
func (e *esploraSource) Chain() string { return e.cfg.Chain }

// get fetches base+path and returns a 200 body; 404 is ErrNotFound, 400
// ErrBadAddress (Esplora's answer to an invalid address).
func (e *esploraSource) get(ctx context.Context, path string) ([]byte, error) {
	u := e.base + path
	res, err := e.t.do(ctx, "getting "+path, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case res.status == http.StatusOK:
		return res.body, nil
	case res.status == http.StatusNotFound:
		return nil, fmt.Errorf("getting %s: %w", path, ErrNotFound)
	case res.status == http.StatusBadRequest:
		return nil, fmt.Errorf("getting %s: %w: %s", path, ErrBadAddress, snippet(res.body))
	default:
		return nil, fmt.Errorf("getting %s: %w: http status %d", path, ErrBadResponse, res.status)
	}
}

// snippet is a short printable prefix of an error body.
func snippet(b []byte) string {
	const n = 120
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b[:min(len(b), n)]))
	return strings.TrimSpace(s)
}

// EsploraTx is a transaction in Esplora's JSON form. Exported so tests and
// tools can serve the form from other data.
type EsploraTx struct {
	TxID   string          `json:"txid"`
	Vin    []EsploraVin    `json:"vin"`
	Vout   []EsploraVout   `json:"vout"`
	Status EsploraTxStatus `json:"status"`
	Fee    int64           `json:"fee"`
}

// EsploraVin is one input; Prevout is null for a coinbase.
type EsploraVin struct {
	TxID       string       `json:"txid"`
	Vout       uint32       `json:"vout"`
	Prevout    *EsploraVout `json:"prevout"`
	IsCoinbase bool         `json:"is_coinbase"`
}

// EsploraVout is one output, or the output an input spends.
type EsploraVout struct {
	ScriptPubKeyType    string `json:"scriptpubkey_type"`
	ScriptPubKeyAddress string `json:"scriptpubkey_address,omitempty"`
	Value               int64  `json:"value"`
}

// EsploraTxStatus says whether and where the transaction is confirmed.
type EsploraTxStatus struct {
	Confirmed   bool   `json:"confirmed"`
	BlockHeight int64  `json:"block_height,omitempty"`
	BlockHash   string `json:"block_hash,omitempty"`
	BlockTime   int64  `json:"block_time,omitempty"`
}

// DecodeEsploraTx converts an Esplora transaction.
func DecodeEsploraTx(chain string, v *EsploraTx) (Tx, error) {
	if err := checkTxID(v.TxID); err != nil {
		return Tx{}, err
	}
	tx := Tx{Chain: chain, TxID: strings.ToLower(v.TxID), Confirmed: v.Status.Confirmed}
	if tx.Confirmed {
		if v.Status.BlockHeight < 0 {
			return Tx{}, fmt.Errorf("%w: tx %s at height %d", ErrBadResponse, v.TxID, v.Status.BlockHeight)
		}
		tx.BlockHeight, tx.BlockHash = v.Status.BlockHeight, v.Status.BlockHash
		tx.BlockTime = time.Unix(v.Status.BlockTime, 0).UTC()
	}
	for i, in := range v.Vin {
		x := Input{Index: uint32(i), Coinbase: in.IsCoinbase}
		if !in.IsCoinbase {
			if in.Prevout == nil {
				return Tx{}, fmt.Errorf("%w: tx %s input %d has no prevout", ErrBadResponse, v.TxID, i)
			}
			if err := checkTxID(in.TxID); err != nil {
				return Tx{}, err
			}
			if in.Prevout.Value < 0 {
				return Tx{}, fmt.Errorf("%w: tx %s input %d has value %d", ErrBadResponse, v.TxID, i, in.Prevout.Value)
			}
			x.PrevTxID, x.PrevVout = strings.ToLower(in.TxID), in.Vout
			x.Address, x.Value = in.Prevout.ScriptPubKeyAddress, in.Prevout.Value
		}
		tx.Inputs = append(tx.Inputs, x)
	}
	for i, o := range v.Vout {
		if o.Value < 0 {
			return Tx{}, fmt.Errorf("%w: tx %s output %d has value %d", ErrBadResponse, v.TxID, i, o.Value)
		}
		tx.Outputs = append(tx.Outputs, Output{Index: uint32(i), Address: o.ScriptPubKeyAddress, Value: o.Value, ScriptType: o.ScriptPubKeyType})
	}
	return tx, nil
}

func decodeJSON(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return nil
}

// Tx gets /tx/:txid.
func (e *esploraSource) Tx(ctx context.Context, txid string) (Tx, error) {
	txid = strings.ToLower(txid)
	if err := checkTxID(txid); err != nil {
		return Tx{}, err
	}
	b, err := e.get(ctx, "/tx/"+txid)
	if err != nil {
		return Tx{}, fmt.Errorf("reading transaction %s: %w", txid, err)
	}
	var v EsploraTx
	if err := decodeJSON(b, &v); err != nil {
		return Tx{}, fmt.Errorf("reading transaction %s: %w", txid, err)
	}
	return DecodeEsploraTx(e.cfg.Chain, &v)
}

// TipHeight gets /blocks/tip/height (a bare number).
func (e *esploraSource) TipHeight(ctx context.Context) (int64, error) {
	b, err := e.get(ctx, "/blocks/tip/height")
	if err != nil {
		return 0, fmt.Errorf("reading tip height: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("reading tip height: %w: %q", ErrBadResponse, snippet(b))
	}
	return n, nil
}

// AddressTxs gets /address/:addr/txs (mempool transactions and the newest
// confirmed ones), then /address/:addr/txs/chain/:last_txid for older
// confirmed pages, until a page is empty.
func (e *esploraSource) AddressTxs(ctx context.Context, addr string, page func([]Tx) (bool, error)) error {
	if err := CheckAddress(addr); err != nil {
		return err
	}
	path := "/address/" + url.PathEscape(addr) + "/txs"
	seen := map[string]bool{}
	for {
		b, err := e.get(ctx, path)
		if err != nil {
			return fmt.Errorf("listing transactions of %s: %w", addr, err)
		}
		var vs []EsploraTx
		if err := decodeJSON(b, &vs); err != nil {
			return fmt.Errorf("listing transactions of %s: %w", addr, err)
		}
		var txs []Tx
		last := ""
		for i := range vs {
			tx, err := DecodeEsploraTx(e.cfg.Chain, &vs[i])
			if err != nil {
				return fmt.Errorf("listing transactions of %s: %w", addr, err)
			}
			if tx.Confirmed {
				last = tx.TxID
			}
			if seen[tx.TxID] {
				continue
			}
			seen[tx.TxID] = true
			txs = append(txs, tx)
		}
		if len(txs) == 0 {
			return nil
		}
		more, err := page(txs)
		if err != nil || !more || last == "" {
			return err
		}
		path = "/address/" + url.PathEscape(addr) + "/txs/chain/" + last
	}
}
