package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors of sources, checked with errors.Is.
var (
	// ErrNotFound is a transaction or block the source does not know.
	ErrNotFound = errors.New("not found on chain source")
	// ErrUnavailable is a source that did not answer usefully after its
	// retries (network errors, 429, 5xx).
	ErrUnavailable = errors.New("chain source unavailable")
	// ErrTooLarge is a response longer than SourceConfig.MaxResponseBytes.
	ErrTooLarge = errors.New("chain source response too large")
	// ErrBadResponse is a response that does not decode as the protocol
	// says it should.
	ErrBadResponse = errors.New("bad chain source response")
	// ErrRPC is an error the node answered (its code and message follow).
	ErrRPC = errors.New("node rpc error")
	// ErrUnsupported is a question the source cannot answer, such as a
	// Bitcoin Core node without an address index asked for an address's
	// transactions.
	ErrUnsupported = errors.New("not supported by chain source")
	// ErrBadAddress is an address the source or the sync refuses.
	ErrBadAddress = errors.New("bad address")
)

// Chains the sync can trace. Monero (xmr) is recorded by the collectors but
// never traced.
const (
	ChainBitcoin = "btc"
)

// Tx is one transaction as the sync stores it. Values are in the chain's
// smallest unit (satoshi).
type Tx struct {
	Chain string
	TxID  string
	// Confirmed is false for a transaction still in the mempool; its
	// BlockHeight is then 0 and BlockTime zero.
	Confirmed   bool
	BlockHeight int64
	BlockHash   string
	BlockTime   time.Time
	Inputs      []Input
	Outputs     []Output
}

// Coinbase reports whether the transaction mints new coins.
func (t *Tx) Coinbase() bool { return len(t.Inputs) == 1 && t.Inputs[0].Coinbase }

// InputValue is the sum of the inputs' values (0 for a coinbase).
func (t *Tx) InputValue() int64 {
	var s int64
	for _, in := range t.Inputs {
		s += in.Value
	}
	return s
}

// OutputValue is the sum of the outputs' values.
func (t *Tx) OutputValue() int64 {
	var s int64
	for _, o := range t.Outputs {
		s += o.Value
	}
	return s
}

// Fee is the input value minus the output value, 0 for a coinbase.
func (t *Tx) Fee() int64 {
	if t.Coinbase() {
		return 0
	}
	return max(0, t.InputValue()-t.OutputValue())
}

// Addresses are the distinct addresses of the transaction's inputs and
// outputs, in order of appearance.
func (t *Tx) Addresses() []string {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, in := range t.Inputs {
		add(in.Address)
	}
	for _, o := range t.Outputs {
		add(o.Address)
	}
	return out
}

// Input is one input: the output it spends, and that output's address and
// value. A coinbase input has neither.
type Input struct {
	Index    uint32
	PrevTxID string
	PrevVout uint32
	Address  string // empty when the spent script has no address
	Value    int64
	Coinbase bool
}

// Output is one output. Address is empty for scripts without one
// (OP_RETURN, bare multisig).
type Output struct {
	Index      uint32
	Address    string
	Value      int64
	ScriptType string
}

// Source is a chain source: a node's JSON-RPC or an Esplora REST API. Its
// methods are safe for concurrent use; each blocks until the answer, an
// error, or the end of ctx.
type Source interface {
	// Name is the source's configured name, recorded with what it fetched.
	Name() string
	// Chain is the chain it serves (btc).
	Chain() string
	// AddressTxs calls page with successive pages of the transactions that
	// pay to or spend from addr, newest first (unconfirmed ones before
	// confirmed), until page returns false or an error, or the history
	// ends. The slice passed to page is the caller's to keep. An address
	// with no transactions is no error: page is not called. ErrUnsupported
	// means the source cannot list an address's transactions at all;
	// ErrBadAddress that it refused the address.
	AddressTxs(ctx context.Context, addr string, page func([]Tx) (bool, error)) error
	// Tx returns one transaction with its inputs' addresses and values;
	// ErrNotFound when the source does not know it.
	Tx(ctx context.Context, txid string) (Tx, error)
	// TipHeight is the height of the best block.
	TipHeight(ctx context.Context) (int64, error)
}

// MaxAddressLen bounds an address the sync sends to a source.
const MaxAddressLen = 128

// CheckAddress refuses text that cannot be an address of any chain the sync
// traces: empty, longer than MaxAddressLen, or with bytes other than ASCII
// letters and digits. It does not check a checksum: the collectors did, and
// the source refuses what it does not know.
func CheckAddress(addr string) error {
	if addr == "" || len(addr) > MaxAddressLen {
		return fmt.Errorf("%w: length %d", ErrBadAddress, len(addr))
	}
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("%w: %q has byte %q", ErrBadAddress, addr, c)
		}
	}
	return nil
}

// checkTxID refuses a transaction id that is not 64 hex digits.
func checkTxID(id string) error {
	if len(id) != 64 || strings.Trim(strings.ToLower(id), "0123456789abcdef") != "" {
		return fmt.Errorf("%w: transaction id %q is not 64 hex digits", ErrBadResponse, id)
	}
	return nil
}
