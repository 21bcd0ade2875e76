package chain

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// Store is what the sync needs of the warehouse. Implementations are safe
// for concurrent use.
type Store interface {
	// SeenAddresses returns the distinct addresses of chain seen in
	// listings, vendor pages and forum posts, at most max.
	SeenAddresses(ctx context.Context, chain string, max int) ([]string, error)
	// SyncStates returns the stored sync state of those of addrs that have
	// one.
	SyncStates(ctx context.Context, chain string, addrs []string) (map[string]AddressState, error)
	// ConfirmedTxs reports which of txids are stored as confirmed.
	ConfirmedTxs(ctx context.Context, chain string, txids []string) (map[string]bool, error)
	// InsertTxs writes transactions with their inputs and outputs; a
	// repeated insert of the same transaction collapses to one.
	InsertTxs(ctx context.Context, source string, txs []Tx) error
	// Counterparts returns up to max addresses, not among addrs, that
	// share a transaction with one of addrs, leaving out CoinJoin-shaped
	// transactions (see chain_coinjoins).
	Counterparts(ctx context.Context, chain string, addrs []string, max int) ([]string, error)
	// SaveSyncStates records the sync state of addresses.
	SaveSyncStates(ctx context.Context, states []AddressState) error
}

// AddressState is what the sync recorded about one address.
type AddressState struct {
	Chain   string
	Address string
	// Hop is the fewest hops from an address seen by the collectors
	// (0: seen itself).
	Hop int
	// Source is the chain source that answered.
	Source string
	// Complete says the whole history was read within
	// SyncOptions.MaxTxsPerAddress; an incomplete address is not expanded.
	Complete bool
	// NewTxs is how many transactions the last sync stored for it.
	NewTxs int
	// TipHeight is the chain height when it was synced.
	TipHeight int64
	SyncedAt  time.Time
	// Error is why the last sync of the address failed, or empty.
	Error string
}

// SyncOptions bound a sync.
type SyncOptions struct {
	// Hops is how far beyond the seen addresses the sync follows
	// counterparts (0: the seen addresses only).
	Hops int
	// MaxAddresses bounds the addresses synced in one run, all hops
	// together.
	MaxAddresses int
	// MaxTxsPerAddress bounds the transactions read per address; an
	// address with more is marked incomplete and not expanded.
	MaxTxsPerAddress int
	// RecheckAfter skips addresses whose complete sync is younger than
	// this (0: every address is asked again, one page each when nothing
	// changed).
	RecheckAfter time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Bounds of SyncOptions.
const (
	MaxHops                 = 6
	DefaultMaxAddresses     = 10_000
	DefaultMaxTxsPerAddress = 1_000
	// flushTxs is the buffered transactions that trigger an insert.
	flushTxs = 2_000
	// maxSeenTxIDs bounds the transaction ids remembered in one run to
	// skip a transaction met again through another address.
	maxSeenTxIDs = 2_000_000
)

func (o SyncOptions) withDefaults() SyncOptions {
	o.Hops = min(max(o.Hops, 0), MaxHops)
	if o.MaxAddresses <= 0 {
		o.MaxAddresses = DefaultMaxAddresses
	}
	if o.MaxTxsPerAddress <= 0 {
		o.MaxTxsPerAddress = DefaultMaxTxsPerAddress
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// SyncReport is the outcome of one sync.
type SyncReport struct {
	Source      string
	Chain       string
	TipHeight   int64
	Seeds       int // addresses seen by the collectors
	Addresses   int // addresses asked about, all hops
	Skipped     int // addresses skipped (RecheckAfter)
	Incomplete  int // addresses with more transactions than the bound
	Failed      int // addresses the source refused
	PerHop      []int
	TxsFetched  int // transactions the source returned
	TxsInserted int // transactions new to the store
	Duration    time.Duration
}

// TxsPerSecond is the fetch rate of the sync.
func (r SyncReport) TxsPerSecond() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.TxsFetched) / r.Duration.Seconds()
}

// Syncer copies transactions from a source into a store.
type Syncer struct {
	Source Source
	Store  Store
	Log    zerolog.Logger
}

// Sync fetches the transactions of every address seen and of their
// counterparts up to opts.Hops, and stores what is new. It stops at the
// first error of the store or of the source other than a refused address
// (ErrBadAddress, recorded in the address's state), returning the report
// so far.
func (s *Syncer) Sync(ctx context.Context, opts SyncOptions) (rep SyncReport, err error) {
	opts = opts.withDefaults()
	start := opts.Now()
	chain := s.Source.Chain()
	rep = SyncReport{Source: s.Source.Name(), Chain: chain}
	defer func() { rep.Duration = opts.Now().Sub(start) }()
	tip, err := s.Source.TipHeight(ctx)
	if err != nil {
		return rep, fmt.Errorf("syncing %s: %w", rep.Source, err)
	}
	rep.TipHeight = tip
	seeds, err := s.Store.SeenAddresses(ctx, chain, opts.MaxAddresses)
	if err != nil {
		return rep, fmt.Errorf("syncing %s: %w", rep.Source, err)
	}
	rep.Seeds = len(seeds)
	r := &run{s: s, opts: opts, chain: chain, tip: tip, rep: &rep, seen: map[string]bool{}}
	visited := map[string]bool{}
	frontier := make([]string, 0, len(seeds))
	for _, a := range seeds {
		if !visited[a] {
			visited[a] = true
			frontier = append(frontier, a)
		}
	}
	for hop := 0; len(frontier) > 0; hop++ {
		rep.PerHop = append(rep.PerHop, len(frontier))
		expand, err := r.hop(ctx, hop, frontier)
		if err != nil {
			return rep, fmt.Errorf("syncing %s hop %d: %w", rep.Source, hop, err)
		}
		if hop == opts.Hops || len(visited) >= opts.MaxAddresses || len(expand) == 0 {
			break
		}
		next, err := s.Store.Counterparts(ctx, chain, expand, opts.MaxAddresses-len(visited)+len(expand))
		if err != nil {
			return rep, fmt.Errorf("syncing %s hop %d: %w", rep.Source, hop+1, err)
		}
		frontier = frontier[:0]
		for _, a := range next {
			if visited[a] || CheckAddress(a) != nil || len(visited) >= opts.MaxAddresses {
				continue
			}
			visited[a] = true
			frontier = append(frontier, a)
		}
	}
	rep.Duration = opts.Now().Sub(start)
	s.Log.Info().Str("source", rep.Source).Int("seeds", rep.Seeds).Int("addresses", rep.Addresses).
		Ints("per_hop", rep.PerHop).Int("txs_fetched", rep.TxsFetched).Int("txs_inserted", rep.TxsInserted).
		Int("incomplete", rep.Incomplete).Int("failed", rep.Failed).Dur("took", rep.Duration).Msg("chain sync done")
	return rep, nil
}

// run is the state of one Sync.
type run struct {
	s     *Syncer
	opts  SyncOptions
	chain string
	tip   int64
	rep   *SyncReport

	mu      sync.Mutex
	seen    map[string]bool // txids inserted or found stored in this run
	pending []Tx
}

// hop syncs the addresses of one hop and returns those to expand.
func (r *run) hop(ctx context.Context, hop int, addrs []string) ([]string, error) {
	prev, err := r.s.Store.SyncStates(ctx, r.chain, addrs)
	if err != nil {
		return nil, err
	}
	now := r.opts.Now().UTC().Truncate(time.Second)
	states := make([]AddressState, len(addrs))
	skip := make([]bool, len(addrs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, a := range addrs {
		p, had := prev[a]
		st := AddressState{Chain: r.chain, Address: a, Hop: hop, Source: r.s.Source.Name(), TipHeight: r.tip, SyncedAt: now}
		if had && p.Hop < hop {
			st.Hop = p.Hop
		}
		if had && p.Complete && p.Error == "" && r.opts.RecheckAfter > 0 && now.Sub(p.SyncedAt) < r.opts.RecheckAfter {
			skip[i] = true
			states[i] = p
			continue
		}
		g.Go(func() error {
			n, complete, err := r.address(gctx, a, had && p.Complete)
			switch {
			case errors.Is(err, ErrBadAddress):
				st.Error = err.Error()
			case err != nil:
				return err
			}
			st.NewTxs, st.Complete = n, complete && err == nil
			states[i] = st
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := r.flush(ctx, true); err != nil {
		return nil, err
	}
	var expand []string
	save := states[:0:0]
	for i, st := range states {
		switch {
		case skip[i]:
			r.rep.Skipped++
		case st.Error != "":
			r.rep.Failed++
		case !st.Complete:
			r.rep.Incomplete++
		}
		if !skip[i] {
			r.rep.Addresses++
			save = append(save, st)
		}
		if st.Complete && st.Error == "" {
			expand = append(expand, st.Address)
		}
	}
	if err := r.s.Store.SaveSyncStates(ctx, save); err != nil {
		return nil, err
	}
	return expand, nil
}

// address reads one address's transactions newest first, queueing the new
// ones; with prevComplete it stops at the first one stored as confirmed.
// It returns the number queued and whether the history was read to its
// end (or to a point already stored) within the bound.
func (r *run) address(ctx context.Context, addr string, prevComplete bool) (int, bool, error) {
	fetched, queued, complete := 0, 0, true
	err := r.s.Source.AddressTxs(ctx, addr, func(txs []Tx) (bool, error) {
		ids := make([]string, 0, len(txs))
		for _, tx := range txs {
			if tx.Confirmed {
				ids = append(ids, tx.TxID)
			}
		}
		known, err := r.s.Store.ConfirmedTxs(ctx, r.chain, ids)
		if err != nil {
			return false, err
		}
		more := true
		var fresh []Tx
		for _, tx := range txs {
			if fetched >= r.opts.MaxTxsPerAddress {
				complete, more = false, false
				break
			}
			fetched++
			if tx.Confirmed && known[tx.TxID] {
				if prevComplete {
					more = false
					break
				}
				continue
			}
			fresh = append(fresh, tx)
		}
		r.mu.Lock()
		r.rep.TxsFetched += len(txs)
		r.mu.Unlock()
		n, err := r.queue(ctx, fresh)
		queued += n
		return more, err
	})
	return queued, complete, err
}

// queue buffers transactions not met before in this run and flushes when
// the buffer is full.
func (r *run) queue(ctx context.Context, txs []Tx) (int, error) {
	r.mu.Lock()
	n := 0
	for _, tx := range txs {
		key := tx.TxID
		if tx.Confirmed {
			key += ":c"
		}
		if r.seen[key] {
			continue
		}
		if len(r.seen) < maxSeenTxIDs {
			r.seen[key] = true
		}
		r.pending = append(r.pending, tx)
		n++
	}
	full := len(r.pending) >= flushTxs
	r.mu.Unlock()
	if full {
		return n, r.flush(ctx, false)
	}
	return n, nil
}

// flush inserts the buffered transactions (all of them with force, else
// only when the buffer is full).
func (r *run) flush(ctx context.Context, force bool) error {
	r.mu.Lock()
	if len(r.pending) == 0 || (!force && len(r.pending) < flushTxs) {
		r.mu.Unlock()
		return nil
	}
	txs := r.pending
	r.pending = nil
	r.mu.Unlock()
	if err := r.s.Store.InsertTxs(ctx, r.s.Source.Name(), txs); err != nil {
		return err
	}
	r.mu.Lock()
	r.rep.TxsInserted += len(txs)
	r.mu.Unlock()
	return nil
}
