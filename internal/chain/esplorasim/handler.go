// Package esplorasim serves the Esplora REST API on loopback from any
// chain.Source, and holds Memory, a Source over a list of transactions. The
// chain tests feed the handler from a btcd regtest node; the demo feeds it a
// small chain generated beside its fixture markets, so its chain step runs
// the real Esplora client and sync against a server it started itself.
package esplorasim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/counternet/counternet/internal/chain"
)

// MaxAddressTxs bounds the transactions Handler reads of one address; an
// address with more is answered with a server error rather than cut.
const MaxAddressTxs = 100_000

// Handler serves the Esplora REST API under /api from src: the tip height,
// one transaction by id, and an address's transactions. Confirmed
// transactions of an address come pageSize at a time, as Esplora pages them
// (25 there), unconfirmed ones first on the first page.
func Handler(src chain.Source, pageSize int) http.Handler {
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /api/blocks/tip/height", func(w http.ResponseWriter, r *http.Request) {
		h, err := src.TipHeight(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strconv.FormatInt(h, 10)))
	})
	mux.HandleFunc("GET /api/tx/{txid}", func(w http.ResponseWriter, r *http.Request) {
		tx, err := src.Tx(r.Context(), r.PathValue("txid"))
		if err != nil {
			http.Error(w, "Transaction not found", http.StatusNotFound)
			return
		}
		write(w, toEsplora(&tx))
	})
	addressTxs := func(w http.ResponseWriter, r *http.Request) {
		var all []chain.Tx
		tooMany := false
		err := src.AddressTxs(r.Context(), r.PathValue("addr"), func(txs []chain.Tx) (bool, error) {
			all = append(all, txs...)
			tooMany = len(all) > MaxAddressTxs
			return !tooMany, nil
		})
		if tooMany {
			http.Error(w, "address has more transactions than the simulator serves", http.StatusInternalServerError)
			return
		}
		if err != nil {
			http.Error(w, "Invalid Bitcoin address", http.StatusBadRequest)
			return
		}
		out := []chain.EsploraTx{}
		last := r.PathValue("last")
		started := last == ""
		confirmed := 0
		for i := range all {
			tx := &all[i]
			if !started {
				started = tx.TxID == last
				continue
			}
			if !tx.Confirmed {
				if last == "" {
					out = append(out, toEsplora(tx))
				}
				continue
			}
			if confirmed == pageSize {
				break
			}
			confirmed++
			out = append(out, toEsplora(tx))
		}
		write(w, out)
	}
	mux.HandleFunc("GET /api/address/{addr}/txs", addressTxs)
	mux.HandleFunc("GET /api/address/{addr}/txs/chain/{last}", addressTxs)
	return mux
}

func toEsplora(tx *chain.Tx) chain.EsploraTx {
	v := chain.EsploraTx{TxID: tx.TxID, Fee: tx.Fee(), Vin: []chain.EsploraVin{}, Vout: []chain.EsploraVout{},
		Status: chain.EsploraTxStatus{Confirmed: tx.Confirmed}}
	if tx.Confirmed {
		v.Status.BlockHeight, v.Status.BlockHash, v.Status.BlockTime = tx.BlockHeight, tx.BlockHash, tx.BlockTime.Unix()
	}
	for _, in := range tx.Inputs {
		if in.Coinbase {
			v.Vin = append(v.Vin, chain.EsploraVin{TxID: strings.Repeat("0", 64), Vout: 0xffffffff, IsCoinbase: true})
			continue
		}
		v.Vin = append(v.Vin, chain.EsploraVin{TxID: in.PrevTxID, Vout: in.PrevVout,
			Prevout: &chain.EsploraVout{ScriptPubKeyAddress: in.Address, Value: in.Value}})
	}
	for _, o := range tx.Outputs {
		v.Vout = append(v.Vout, chain.EsploraVout{ScriptPubKeyType: o.ScriptType, ScriptPubKeyAddress: o.Address, Value: o.Value})
	}
	return v
}
