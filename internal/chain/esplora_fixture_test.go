package chain

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// EsploraHandler serves the Esplora REST API under /api from another
// source (in the tests, the btcd regtest node through the RPC source): a
// fixture of the protocol fed by real chain data, since no Esplora server
// runs here. Confirmed transactions of an address come pageSize at a time,
// as Esplora pages them (25 there).
func EsploraHandler(src Source, pageSize int) http.Handler {
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
		var all []Tx
		err := src.AddressTxs(r.Context(), r.PathValue("addr"), func(txs []Tx) (bool, error) {
			all = append(all, txs...)
			return true, nil
		})
		if err != nil {
			http.Error(w, "Invalid Bitcoin address", http.StatusBadRequest)
			return
		}
		out := []EsploraTx{}
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

func toEsplora(tx *Tx) EsploraTx {
	v := EsploraTx{TxID: tx.TxID, Fee: tx.Fee(), Vin: []EsploraVin{}, Vout: []EsploraVout{},
		Status: EsploraTxStatus{Confirmed: tx.Confirmed}}
	if tx.Confirmed {
		v.Status.BlockHeight, v.Status.BlockHash, v.Status.BlockTime = tx.BlockHeight, tx.BlockHash, tx.BlockTime.Unix()
	}
	for _, in := range tx.Inputs {
		if in.Coinbase {
			v.Vin = append(v.Vin, EsploraVin{TxID: strings.Repeat("0", 64), Vout: 0xffffffff, IsCoinbase: true})
			continue
		}
		v.Vin = append(v.Vin, EsploraVin{TxID: in.PrevTxID, Vout: in.PrevVout,
			Prevout: &EsploraVout{ScriptPubKeyAddress: in.Address, Value: in.Value}})
	}
	for _, o := range tx.Outputs {
		v.Vout = append(v.Vout, EsploraVout{ScriptPubKeyType: o.ScriptType, ScriptPubKeyAddress: o.Address, Value: o.Value})
	}
	return v
}
