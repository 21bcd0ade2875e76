package chain

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Direction is the way a flow is traced from a vendor's addresses.
type Direction string

// Directions of flows.
const (
	Out Direction = "out" // from the vendor onward
	In  Direction = "in"  // to the vendor, back toward its payers
)

// Endpoints of a flow hop.
const (
	EndpointService  = "service"  // the far address is tagged: the path ends there
	EndpointCoinJoin = "coinjoin" // the transaction is CoinJoin-shaped: not traced through
)

// Edge is one hop candidate: a transaction moving value between an address
// of the frontier and another address.
type Edge struct {
	TxID string
	// From pays and To is paid: for Out, From is the frontier address that
	// spends in TxID and To an output's address; for In, To is the frontier
	// address paid in TxID and From an input's address.
	From, To string
	// N is the output index (Out) or the input index (In).
	N uint32
	// Value is the value of the output: To's output (Out), or the output
	// paying the frontier address (In).
	Value       int64
	BlockHeight int64
	BlockTime   time.Time
	CoinJoin    bool
}

// Label is the attribution of an address (see chain_address_labels).
type Label struct {
	Label, Category, Source, Confidence, Jurisdiction string
}

// VendorAddresses are one vendor identity's addresses on one chain: seen
// on its pages, and their cluster mates.
type VendorAddresses struct {
	Source, Vendor string
	Addresses      []string
}

// FlowStore is what tracing needs of the warehouse.
type FlowStore interface {
	// VendorAddresses lists every vendor identity with addresses on chain.
	VendorAddresses(ctx context.Context, chain string) ([]VendorAddresses, error)
	// Edges returns the edges of transactions in which one of addrs spends
	// (Out) or is paid (In), at most max.
	Edges(ctx context.Context, chain string, dir Direction, addrs []string, max int) ([]Edge, error)
	// Labels returns the best attribution of those of addrs that have one.
	Labels(ctx context.Context, chain string, addrs []string) (map[string]Label, error)
}

// Flow is one hop of a path from or to a vendor's addresses.
type Flow struct {
	Chain, Source, Vendor string
	Direction             Direction
	Hop                   int
	// Origin is the vendor's address the path starts from.
	Origin string
	Edge
	// Path are the transaction ids from the vendor's side up to this hop.
	Path []string
	// Endpoint is EndpointService, EndpointCoinJoin, or empty when the
	// path goes on.
	Endpoint string
	// Label is the endpoint's attribution (EndpointService).
	Label Label
}

// FlowOptions bound tracing.
type FlowOptions struct {
	// Hops is how far paths are followed (default 4, at most MaxHops).
	Hops int
	// MaxEdgesPerHop bounds the edges read per vendor, direction and hop
	// (default 100000); ErrTooManyEdges beyond.
	MaxEdgesPerHop int
}

// DefaultFlowHops is FlowOptions.Hops when zero.
const DefaultFlowHops = 4

// TraceFlows follows, for every vendor identity, the value leaving its
// addresses (Out) and the value reaching them (In), hop by hop up to
// opts.Hops. A hop to a tagged address ends the path there (endpoint
// service), a CoinJoin-shaped transaction too (endpoint coinjoin); the
// vendor's own addresses (change) are not hops. Flows are returned sorted
// by vendor, direction, hop, transaction and address.
func TraceFlows(ctx context.Context, store FlowStore, chain string, opts FlowOptions) ([]Flow, error) {
	if opts.Hops <= 0 {
		opts.Hops = DefaultFlowHops
	}
	opts.Hops = min(opts.Hops, MaxHops)
	if opts.MaxEdgesPerHop <= 0 {
		opts.MaxEdgesPerHop = 100_000
	}
	vendors, err := store.VendorAddresses(ctx, chain)
	if err != nil {
		return nil, fmt.Errorf("tracing flows: %w", err)
	}
	var out []Flow
	for _, v := range vendors {
		for _, dir := range []Direction{Out, In} {
			fs, err := trace(ctx, store, chain, v, dir, opts)
			if err != nil {
				return nil, fmt.Errorf("tracing flows %s of %s:%s: %w", dir, v.Source, v.Vendor, err)
			}
			out = append(out, fs...)
		}
	}
	return out, nil
}

type pathStart struct {
	origin string
	path   []string
}

func trace(ctx context.Context, store FlowStore, chain string, v VendorAddresses, dir Direction, opts FlowOptions) ([]Flow, error) {
	own := map[string]bool{}
	frontier := map[string]pathStart{}
	for _, a := range v.Addresses {
		own[a] = true
		frontier[a] = pathStart{origin: a}
	}
	visited := map[string]bool{}
	var out []Flow
	for hop := 1; hop <= opts.Hops && len(frontier) > 0; hop++ {
		addrs := make([]string, 0, len(frontier))
		for a := range frontier {
			addrs = append(addrs, a)
		}
		sort.Strings(addrs)
		edges, err := store.Edges(ctx, chain, dir, addrs, opts.MaxEdgesPerHop)
		if err != nil {
			return nil, err
		}
		sort.Slice(edges, func(i, j int) bool {
			a, b := edges[i], edges[j]
			if a.TxID != b.TxID {
				return a.TxID < b.TxID
			}
			if a.N != b.N {
				return a.N < b.N
			}
			if a.From != b.From {
				return a.From < b.From
			}
			return a.To < b.To
		})
		var far []string
		for _, e := range edges {
			if d := farSide(dir, e); !own[d] && d != "" {
				far = append(far, d)
			}
		}
		labels, err := store.Labels(ctx, chain, far)
		if err != nil {
			return nil, err
		}
		next := map[string]pathStart{}
		done := map[string]bool{}
		for _, e := range edges {
			near, d := nearSide(dir, e), farSide(dir, e)
			if own[d] || d == "" {
				continue
			}
			key := fmt.Sprintf("%s/%d/%s", e.TxID, e.N, d)
			if done[key] {
				continue
			}
			done[key] = true
			p := frontier[near]
			f := Flow{Chain: chain, Source: v.Source, Vendor: v.Vendor, Direction: dir, Hop: hop, Origin: p.origin,
				Edge: e, Path: append(append([]string(nil), p.path...), e.TxID)}
			if f.Origin == "" {
				f.Origin = near
			}
			switch l, tagged := labels[d]; {
			case e.CoinJoin:
				f.Endpoint = EndpointCoinJoin
			case tagged:
				f.Endpoint, f.Label = EndpointService, l
			default:
				if !visited[d] {
					visited[d] = true
					next[d] = pathStart{origin: f.Origin, path: f.Path}
				}
			}
			out = append(out, f)
		}
		frontier = next
	}
	return out, nil
}

// nearSide is the frontier's address of an edge, farSide the other one.
func nearSide(dir Direction, e Edge) string {
	if dir == Out {
		return e.From
	}
	return e.To
}

func farSide(dir Direction, e Edge) string {
	if dir == Out {
		return e.To
	}
	return e.From
}
