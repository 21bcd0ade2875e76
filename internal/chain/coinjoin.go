package chain

// CoinJoin thresholds: a transaction is CoinJoin-shaped with at least
// CoinJoinMinInputAddresses distinct input addresses and at least
// CoinJoinMinEqualOutputs outputs of one value.
const (
	CoinJoinMinInputAddresses = 3
	CoinJoinMinEqualOutputs   = 3
)

// Shape is what the CoinJoin rule looks at in a transaction.
type Shape struct {
	InputAddresses int   // distinct addresses among the inputs
	EqualOutputs   int   // most outputs sharing one value
	EqualValue     int64 // that value (the largest, on a tie)
	CoinJoin       bool
}

// CoinJoinShape measures tx against the CoinJoin rule: several owners'
// inputs (at least three distinct addresses) mixed into outputs of one
// denomination (at least three of equal value), as Wasabi, Whirlpool and
// JoinMarket transactions are. See the package documentation for its
// false positives and negatives.
func CoinJoinShape(tx *Tx) Shape {
	var s Shape
	addrs := map[string]bool{}
	for _, in := range tx.Inputs {
		if in.Address != "" {
			addrs[in.Address] = true
		}
	}
	s.InputAddresses = len(addrs)
	counts := map[int64]int{}
	for _, o := range tx.Outputs {
		if o.Value <= 0 {
			continue
		}
		counts[o.Value]++
		c := counts[o.Value]
		if c > s.EqualOutputs || c == s.EqualOutputs && o.Value > s.EqualValue {
			s.EqualOutputs, s.EqualValue = c, o.Value
		}
	}
	s.CoinJoin = s.InputAddresses >= CoinJoinMinInputAddresses && s.EqualOutputs >= CoinJoinMinEqualOutputs
	return s
}
