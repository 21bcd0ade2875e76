package esplorasim

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/counternet/counternet/internal/chain"
)

// pageLen is the transactions Memory hands AddressTxs's callback at once.
const pageLen = 50

// Memory is a chain.Source over a fixed list of transactions, indexed by
// id and by the addresses they pay or spend. It is safe for concurrent use
// (it never changes after NewMemory).
type Memory struct {
	name   string
	txs    []chain.Tx
	byID   map[string]int
	byAddr map[string][]int // newest first: unconfirmed, then by height and list order
	tip    int64
}

// NewMemory indexes txs (Bitcoin). It refuses a transaction id that is not
// 64 lowercase hex digits or appears twice, and an input spending an output
// the list does not hold with that address and value, so the chain it
// serves is consistent.
func NewMemory(name string, txs []chain.Tx) (*Memory, error) {
	m := &Memory{name: name, txs: slices.Clone(txs), byID: map[string]int{}, byAddr: map[string][]int{}}
	for i, tx := range m.txs {
		if len(tx.TxID) != 64 || strings.Trim(tx.TxID, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("esplorasim: transaction %d: id %q is not 64 lowercase hex digits", i, tx.TxID)
		}
		if _, dup := m.byID[tx.TxID]; dup {
			return nil, fmt.Errorf("esplorasim: transaction %s appears twice", tx.TxID)
		}
		m.byID[tx.TxID] = i
		if tx.Confirmed {
			m.tip = max(m.tip, tx.BlockHeight)
		}
	}
	for i, tx := range m.txs {
		for _, in := range tx.Inputs {
			if in.Coinbase {
				continue
			}
			j, ok := m.byID[in.PrevTxID]
			if !ok || int(in.PrevVout) >= len(m.txs[j].Outputs) {
				return nil, fmt.Errorf("esplorasim: %s spends %s:%d, which the chain does not hold", tx.TxID, in.PrevTxID, in.PrevVout)
			}
			if o := m.txs[j].Outputs[in.PrevVout]; o.Address != in.Address || o.Value != in.Value {
				return nil, fmt.Errorf("esplorasim: %s spends %s:%d as %s %d, the output is %s %d",
					tx.TxID, in.PrevTxID, in.PrevVout, in.Address, in.Value, o.Address, o.Value)
			}
		}
		for _, a := range tx.Addresses() {
			m.byAddr[a] = append(m.byAddr[a], i)
		}
	}
	for _, idx := range m.byAddr {
		slices.SortStableFunc(idx, func(a, b int) int {
			ta, tb := &m.txs[a], &m.txs[b]
			if ta.Confirmed != tb.Confirmed {
				if !ta.Confirmed {
					return -1
				}
				return 1
			}
			if ta.BlockHeight != tb.BlockHeight {
				return int(tb.BlockHeight - ta.BlockHeight)
			}
			return b - a
		})
	}
	return m, nil
}

// Name is the name NewMemory was given.
func (m *Memory) Name() string { return m.name }

// Chain is chain.ChainBitcoin.
func (m *Memory) Chain() string { return chain.ChainBitcoin }

// Len is the number of transactions.
func (m *Memory) Len() int { return len(m.txs) }

// AddressTxs pages through addr's transactions, newest first.
func (m *Memory) AddressTxs(ctx context.Context, addr string, page func([]chain.Tx) (bool, error)) error {
	if err := chain.CheckAddress(addr); err != nil {
		return err
	}
	idx := m.byAddr[addr]
	for len(idx) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(pageLen, len(idx))
		out := make([]chain.Tx, n)
		for k, i := range idx[:n] {
			out[k] = cloneTx(m.txs[i])
		}
		idx = idx[n:]
		more, err := page(out)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Tx returns one transaction by id.
func (m *Memory) Tx(_ context.Context, txid string) (chain.Tx, error) {
	i, ok := m.byID[txid]
	if !ok {
		return chain.Tx{}, fmt.Errorf("transaction %s: %w", txid, chain.ErrNotFound)
	}
	return cloneTx(m.txs[i]), nil
}

// TipHeight is the highest block height of a confirmed transaction.
func (m *Memory) TipHeight(context.Context) (int64, error) { return m.tip, nil }

func cloneTx(tx chain.Tx) chain.Tx {
	tx.Inputs, tx.Outputs = slices.Clone(tx.Inputs), slices.Clone(tx.Outputs)
	return tx
}
