package warehouse

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/counternet/counternet/internal/chain"
)

// maxInList bounds the values bound into one IN (...) list, so a query
// stays under ClickHouse's max_query_size (256 KiB).
const maxInList = 2_000

// MaxChainClusterTxs bounds the multi-input transactions
// RefreshChainClusters reads.
const MaxChainClusterTxs = 20_000_000

// ErrTooManyEdges is returned when a flow hop has more edges than its
// bound.
var ErrTooManyEdges = errors.New("too many flow edges")

// ChainStore reads and writes the chain tables (migrations 0050, 0051). It
// implements chain.Store and chain.FlowStore and is safe for concurrent use.
type ChainStore struct{ db *DB }

// Chain returns the database's chain store.
func (db *DB) Chain() *ChainStore { return &ChainStore{db: db} }

var (
	_ chain.Store     = (*ChainStore)(nil)
	_ chain.FlowStore = (*ChainStore)(nil)
)

// inChunks calls fn with successive parts of list of at most maxInList.
func inChunks(list []string, fn func(part []string) error) error {
	for lo := 0; lo < len(list); lo += maxInList {
		if err := fn(list[lo:min(lo+maxInList, len(list))]); err != nil {
			return err
		}
	}
	return nil
}

// set binds a list for IN ? as a tuple ('a', 'b').
func set(list []string) clickhouse.GroupSet {
	vs := make([]any, len(list))
	for i, v := range list {
		vs[i] = v
	}
	return clickhouse.GroupSet{Value: vs}
}

// SeenAddresses returns the distinct addresses of chainName in
// crypto_addresses_seen (listings, vendor profiles, posts), sorted, at most
// max.
func (s *ChainStore) SeenAddresses(ctx context.Context, chainName string, max int) ([]string, error) {
	rows, err := s.db.conn.Query(ctx, `SELECT DISTINCT address FROM crypto_addresses_seen
WHERE chain = ? AND address != '' ORDER BY address LIMIT ?`, chainName, uint64(max))
	if err != nil {
		return nil, fmt.Errorf("reading addresses seen in %s: %w", s.db.database, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("reading addresses seen: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading addresses seen: %w", err)
	}
	return out, nil
}

// SyncStates returns the newest sync state of those of addrs that have one.
func (s *ChainStore) SyncStates(ctx context.Context, chainName string, addrs []string) (map[string]chain.AddressState, error) {
	out := map[string]chain.AddressState{}
	err := inChunks(addrs, func(part []string) error {
		rows, err := s.db.conn.Query(ctx, `SELECT address, argMax(hop, synced_at), argMax(source, synced_at),
    argMax(complete, synced_at), argMax(new_txs, synced_at), argMax(tip_height, synced_at), max(synced_at),
    argMax(error, synced_at)
FROM chain_sync_state WHERE chain = ? AND address IN ? GROUP BY address`, chainName, set(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				st       chain.AddressState
				hop      uint8
				complete uint8
				newTxs   uint32
			)
			if err := rows.Scan(&st.Address, &hop, &st.Source, &complete, &newTxs, &st.TipHeight, &st.SyncedAt, &st.Error); err != nil {
				return err
			}
			st.Chain, st.Hop, st.Complete, st.NewTxs = chainName, int(hop), complete == 1, int(newTxs)
			out[st.Address] = st
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading chain sync state in %s: %w", s.db.database, err)
	}
	return out, nil
}

// SaveSyncStates appends sync states (the newest per address wins).
func (s *ChainStore) SaveSyncStates(ctx context.Context, states []chain.AddressState) error {
	n := len(states)
	if n == 0 {
		return nil
	}
	var (
		chains, addrs, sources, errs = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		hops, complete               = mk[uint8](n), mk[uint8](n)
		newTxs                       = mk[uint32](n)
		tips                         = mk[int64](n)
		at                           = mk[time.Time](n)
	)
	for i, st := range states {
		chains[i], addrs[i], sources[i], errs[i] = st.Chain, st.Address, st.Source, st.Error
		hops[i], complete[i] = uint8(min(max(st.Hop, 0), 255)), boolUInt8(st.Complete)
		newTxs[i], tips[i], at[i] = clampUInt32(st.NewTxs), st.TipHeight, clampTime(st.SyncedAt)
	}
	err := s.db.insert(ctx, "chain_sync_state", n, []column{
		{"chain", chains}, {"address", addrs}, {"hop", hops}, {"source", sources}, {"complete", complete},
		{"new_txs", newTxs}, {"tip_height", tips}, {"synced_at", at}, {"error", errs},
	})
	if err != nil {
		return fmt.Errorf("saving chain sync state: %w", err)
	}
	return nil
}

// ConfirmedTxs reports which of txids are stored as confirmed.
func (s *ChainStore) ConfirmedTxs(ctx context.Context, chainName string, txids []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := inChunks(txids, func(part []string) error {
		rows, err := s.db.conn.Query(ctx, `SELECT DISTINCT txid FROM chain_txs
WHERE chain = ? AND txid IN ? AND confirmed = 1`, chainName, set(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading stored transactions in %s: %w", s.db.database, err)
	}
	return out, nil
}

// InsertTxs writes transactions into chain_txs, chain_inputs,
// chain_outputs and chain_address_io, with the CoinJoin shape of each
// (chain.CoinJoinShape). A repeated insert collapses by key.
func (s *ChainStore) InsertTxs(ctx context.Context, source string, txs []chain.Tx) error {
	if len(txs) == 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Second)
	if err := s.insertTxRows(ctx, source, txs, now); err != nil {
		return err
	}
	var nin, nout int
	for i := range txs {
		nin += len(txs[i].Inputs)
		nout += len(txs[i].Outputs)
	}
	var (
		iChain, iTx, iPrev, iAddr = make([]string, 0, nin), make([]string, 0, nin), make([]string, 0, nin), make([]string, 0, nin)
		iVin, iPrevVout, iHeight  = make([]uint32, 0, nin), make([]uint32, 0, nin), make([]uint32, 0, nin)
		iValue                    = make([]int64, 0, nin)
		iCoinbase                 = make([]uint8, 0, nin)
		iTime, iAt                = make([]time.Time, 0, nin), make([]time.Time, 0, nin)

		oChain, oTx, oAddr, oType = make([]string, 0, nout), make([]string, 0, nout), make([]string, 0, nout), make([]string, 0, nout)
		oVout, oHeight            = make([]uint32, 0, nout), make([]uint32, 0, nout)
		oValue                    = make([]int64, 0, nout)
		oTime, oAt                = make([]time.Time, 0, nout), make([]time.Time, 0, nout)

		aChain, aAddr, aTx, aDir = mk[string](0), mk[string](0), mk[string](0), mk[string](0)
		aN, aHeight              = mk[uint32](0), mk[uint32](0)
		aValue                   = mk[int64](0)
		aConf                    = mk[uint8](0)
		aTime, aAt               = mk[time.Time](0), mk[time.Time](0)
	)
	for i := range txs {
		tx := &txs[i]
		h, t := clampUInt32(int(tx.BlockHeight)), clampTime(tx.BlockTime)
		for _, in := range tx.Inputs {
			iChain, iTx, iVin = append(iChain, tx.Chain), append(iTx, tx.TxID), append(iVin, in.Index)
			iPrev, iPrevVout, iAddr = append(iPrev, in.PrevTxID), append(iPrevVout, in.PrevVout), append(iAddr, in.Address)
			iValue, iCoinbase = append(iValue, in.Value), append(iCoinbase, boolUInt8(in.Coinbase))
			iHeight, iTime, iAt = append(iHeight, h), append(iTime, t), append(iAt, now)
			if in.Address != "" {
				aChain, aAddr, aTx, aDir = append(aChain, tx.Chain), append(aAddr, in.Address), append(aTx, tx.TxID), append(aDir, "spend")
				aN, aValue, aConf = append(aN, in.Index), append(aValue, in.Value), append(aConf, boolUInt8(tx.Confirmed))
				aHeight, aTime, aAt = append(aHeight, h), append(aTime, t), append(aAt, now)
			}
		}
		for _, o := range tx.Outputs {
			oChain, oTx, oVout = append(oChain, tx.Chain), append(oTx, tx.TxID), append(oVout, o.Index)
			oAddr, oValue, oType = append(oAddr, o.Address), append(oValue, o.Value), append(oType, o.ScriptType)
			oHeight, oTime, oAt = append(oHeight, h), append(oTime, t), append(oAt, now)
			if o.Address != "" {
				aChain, aAddr, aTx, aDir = append(aChain, tx.Chain), append(aAddr, o.Address), append(aTx, tx.TxID), append(aDir, "receive")
				aN, aValue, aConf = append(aN, o.Index), append(aValue, o.Value), append(aConf, boolUInt8(tx.Confirmed))
				aHeight, aTime, aAt = append(aHeight, h), append(aTime, t), append(aAt, now)
			}
		}
	}
	if len(iTx) > 0 {
		err := s.db.insert(ctx, "chain_inputs", len(iTx), []column{
			{"chain", iChain}, {"txid", iTx}, {"vin", iVin}, {"prev_txid", iPrev}, {"prev_vout", iPrevVout},
			{"address", iAddr}, {"value", iValue}, {"coinbase", iCoinbase}, {"block_height", iHeight},
			{"block_time", iTime}, {"fetched_at", iAt},
		})
		if err != nil {
			return fmt.Errorf("storing chain transactions: %w", err)
		}
	}
	if len(oTx) > 0 {
		err := s.db.insert(ctx, "chain_outputs", len(oTx), []column{
			{"chain", oChain}, {"txid", oTx}, {"vout", oVout}, {"address", oAddr}, {"value", oValue},
			{"script_type", oType}, {"block_height", oHeight}, {"block_time", oTime}, {"fetched_at", oAt},
		})
		if err != nil {
			return fmt.Errorf("storing chain transactions: %w", err)
		}
	}
	if len(aTx) > 0 {
		err := s.db.insert(ctx, "chain_address_io", len(aTx), []column{
			{"chain", aChain}, {"address", aAddr}, {"txid", aTx}, {"direction", aDir}, {"n", aN},
			{"value", aValue}, {"confirmed", aConf}, {"block_height", aHeight}, {"block_time", aTime}, {"fetched_at", aAt},
		})
		if err != nil {
			return fmt.Errorf("storing chain transactions: %w", err)
		}
	}
	return nil
}

func (s *ChainStore) insertTxRows(ctx context.Context, source string, txs []chain.Tx, now time.Time) error {
	n := len(txs)
	var (
		chains, ids, hashes, sources           = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		conf, coinbase, coinjoin               = mk[uint8](n), mk[uint8](n), mk[uint8](n)
		heights, nin, nout, inAddrs, eqOutputs = mk[uint32](n), mk[uint32](n), mk[uint32](n), mk[uint32](n), mk[uint32](n)
		inValue, outValue, fee, eqValue        = mk[int64](n), mk[int64](n), mk[int64](n), mk[int64](n)
		blockTime, fetched                     = mk[time.Time](n), mk[time.Time](n)
	)
	for i := range txs {
		tx := &txs[i]
		sh := chain.CoinJoinShape(tx)
		chains[i], ids[i], hashes[i], sources[i] = tx.Chain, tx.TxID, tx.BlockHash, source
		conf[i], coinbase[i], coinjoin[i] = boolUInt8(tx.Confirmed), boolUInt8(tx.Coinbase()), boolUInt8(sh.CoinJoin)
		heights[i], nin[i], nout[i] = clampUInt32(int(tx.BlockHeight)), clampUInt32(len(tx.Inputs)), clampUInt32(len(tx.Outputs))
		inAddrs[i], eqOutputs[i], eqValue[i] = clampUInt32(sh.InputAddresses), clampUInt32(sh.EqualOutputs), sh.EqualValue
		inValue[i], outValue[i], fee[i] = tx.InputValue(), tx.OutputValue(), tx.Fee()
		blockTime[i], fetched[i] = clampTime(tx.BlockTime), now
	}
	err := s.db.insert(ctx, "chain_txs", n, []column{
		{"chain", chains}, {"txid", ids}, {"confirmed", conf}, {"block_height", heights}, {"block_hash", hashes},
		{"block_time", blockTime}, {"coinbase", coinbase}, {"inputs", nin}, {"outputs", nout},
		{"input_value", inValue}, {"output_value", outValue}, {"fee", fee}, {"input_addresses", inAddrs},
		{"equal_outputs", eqOutputs}, {"equal_value", eqValue}, {"coinjoin", coinjoin}, {"source", sources},
		{"fetched_at", fetched},
	})
	if err != nil {
		return fmt.Errorf("storing chain transactions: %w", err)
	}
	return nil
}

// Counterparts returns up to max addresses, not among addrs, that share a
// transaction that is not CoinJoin-shaped with one of addrs, sorted.
func (s *ChainStore) Counterparts(ctx context.Context, chainName string, addrs []string, max int) ([]string, error) {
	own := map[string]bool{}
	for _, a := range addrs {
		own[a] = true
	}
	found := map[string]bool{}
	err := inChunks(addrs, func(part []string) error {
		rows, err := s.db.conn.Query(ctx, `SELECT DISTINCT address FROM
(
    SELECT address FROM chain_inputs WHERE chain = ? AND txid IN (SELECT txid FROM chain_txs
        WHERE chain = ? AND coinjoin = 0 AND txid IN (SELECT txid FROM chain_address_io WHERE chain = ? AND address IN ?))
    UNION ALL
    SELECT address FROM chain_outputs WHERE chain = ? AND txid IN (SELECT txid FROM chain_txs
        WHERE chain = ? AND coinjoin = 0 AND txid IN (SELECT txid FROM chain_address_io WHERE chain = ? AND address IN ?))
)
WHERE address != ''`, chainName, chainName, chainName, set(part), chainName, chainName, chainName, set(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				return err
			}
			if !own[a] {
				found[a] = true
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading counterparts in %s: %w", s.db.database, err)
	}
	out := make([]string, 0, len(found))
	for a := range found {
		out = append(out, a)
	}
	sort.Strings(out)
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// ChainClusterStats is what a refresh of chain_clusters found.
type ChainClusterStats struct {
	Txs      int // multi-input transactions (not CoinJoin-shaped) read
	Members  int // addresses in a cluster of two or more
	Clusters int
	Largest  int
}

// RefreshChainClusters computes address clusters by the
// common-input-ownership heuristic (connected components, union-find, over
// the input addresses of every transaction that is not CoinJoin-shaped) and
// replaces the content of chain_clusters with the clusters of two or more
// addresses.
func (db *DB) RefreshChainClusters(ctx context.Context) (ChainClusterStats, error) {
	var st ChainClusterStats
	start := time.Now()
	rows, err := db.conn.Query(ctx, `SELECT chain, txid, groupUniqArray(address) AS addrs
FROM chain_inputs
WHERE address != '' AND txid NOT IN (SELECT txid FROM chain_txs WHERE coinjoin = 1)
GROUP BY chain, txid
HAVING length(addrs) > 1`)
	if err != nil {
		return st, fmt.Errorf("refreshing chain clusters in %s: querying inputs: %w", db.database, err)
	}
	type node struct{ chain, addr string }
	parent := map[node]node{}
	find := func(v node) node {
		if _, ok := parent[v]; !ok {
			parent[v] = v
			return v
		}
		for parent[v] != v {
			parent[v] = parent[parent[v]]
			v = parent[v]
		}
		return v
	}
	union := func(a, b node) node {
		ra, rb := find(a), find(b)
		if ra == rb {
			return ra
		}
		if rb.addr < ra.addr {
			ra, rb = rb, ra
		}
		parent[rb] = ra
		return ra
	}
	var firsts []node
	for rows.Next() {
		var (
			c, txid string
			addrs   []string
		)
		if err := rows.Scan(&c, &txid, &addrs); err != nil {
			rows.Close()
			return st, fmt.Errorf("refreshing chain clusters in %s: reading inputs: %w", db.database, err)
		}
		if st.Txs++; st.Txs > MaxChainClusterTxs {
			rows.Close()
			return st, fmt.Errorf("refreshing chain clusters in %s: %w: more than %d multi-input transactions", db.database, ErrTooManyLinks, MaxChainClusterTxs)
		}
		sort.Strings(addrs)
		first := node{c, addrs[0]}
		for _, a := range addrs[1:] {
			union(first, node{c, a})
		}
		firsts = append(firsts, first)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("refreshing chain clusters in %s: reading inputs: %w", db.database, err)
	}
	members := map[node][]string{}
	for v := range parent {
		r := find(v)
		members[r] = append(members[r], v.addr)
	}
	txCount := map[node]uint32{}
	for _, f := range firsts {
		txCount[find(f)]++
	}
	roots := make([]node, 0, len(members))
	for r := range members {
		roots = append(roots, r)
	}
	sort.Slice(roots, func(i, j int) bool {
		if roots[i].chain != roots[j].chain {
			return roots[i].chain < roots[j].chain
		}
		return roots[i].addr < roots[j].addr
	})
	var (
		chains, ids, addrs []string
		sizes, txs         []uint32
		at                 []time.Time
	)
	now := time.Now().UTC().Truncate(time.Second)
	for _, r := range roots {
		ms := members[r]
		sort.Strings(ms)
		for _, m := range ms {
			chains, ids, addrs = append(chains, r.chain), append(ids, ms[0]), append(addrs, m)
			sizes, txs, at = append(sizes, uint32(len(ms))), append(txs, txCount[r]), append(at, now)
		}
		st.Largest = max(st.Largest, len(ms))
	}
	st.Members, st.Clusters = len(addrs), len(roots)
	if err := db.truncate(ctx, "chain_clusters"); err != nil {
		return st, fmt.Errorf("refreshing chain clusters in %s: emptying chain_clusters: %w", db.database, err)
	}
	if len(addrs) > 0 {
		err := db.insertBlocks(ctx, "chain_clusters", len(addrs), insertChunk, func(lo, hi int) []column {
			return []column{
				{"chain", chains[lo:hi]}, {"cluster_id", ids[lo:hi]}, {"address", addrs[lo:hi]},
				{"size", sizes[lo:hi]}, {"txs", txs[lo:hi]}, {"computed_at", at[lo:hi]},
			}
		})
		if err != nil {
			return st, fmt.Errorf("refreshing chain clusters: %w", err)
		}
	}
	db.log.Info().Int("txs", st.Txs).Int("members", st.Members).Int("clusters", st.Clusters).
		Int("largest", st.Largest).Dur("took", time.Since(start)).Msg("chain clusters refreshed")
	return st, nil
}

// LoadChainTags replaces the content of chain_tags with tags.
func (db *DB) LoadChainTags(ctx context.Context, tags []chain.Tag) error {
	if err := db.truncate(ctx, "chain_tags"); err != nil {
		return fmt.Errorf("loading chain tags into %s: emptying chain_tags: %w", db.database, err)
	}
	n := len(tags)
	if n == 0 {
		return nil
	}
	var (
		chains, addrs, scopes, labels, cats = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		sources, confs, juris, notes, files = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		lines                               = mk[uint32](n)
		at                                  = mk[time.Time](n)
	)
	now := time.Now().UTC().Truncate(time.Second)
	for i, t := range tags {
		chains[i], addrs[i], scopes[i], labels[i], cats[i] = t.Chain, t.Address, t.Scope, t.Label, t.Category
		sources[i], confs[i], juris[i], notes[i], files[i] = t.Source, t.Confidence, t.Jurisdiction, t.Note, t.File
		lines[i], at[i] = clampUInt32(t.Line), now
	}
	err := db.insert(ctx, "chain_tags", n, []column{
		{"chain", chains}, {"address", addrs}, {"scope", scopes}, {"label", labels}, {"category", cats},
		{"source", sources}, {"confidence", confs}, {"jurisdiction", juris}, {"note", notes},
		{"file", files}, {"line", lines}, {"loaded_at", at},
	})
	if err != nil {
		return fmt.Errorf("loading chain tags: %w", err)
	}
	db.log.Info().Int("tags", n).Msg("chain tags loaded")
	return nil
}

// VendorAddresses lists every vendor identity with addresses on chainName
// (view chain_vendor_addresses), each with its addresses sorted.
func (s *ChainStore) VendorAddresses(ctx context.Context, chainName string) ([]chain.VendorAddresses, error) {
	rows, err := s.db.conn.Query(ctx, `SELECT source, vendor, groupUniqArray(address)
FROM chain_vendor_addresses WHERE chain = ? GROUP BY source, vendor ORDER BY source, vendor`, chainName)
	if err != nil {
		return nil, fmt.Errorf("reading vendor addresses in %s: %w", s.db.database, err)
	}
	defer rows.Close()
	var out []chain.VendorAddresses
	for rows.Next() {
		var v chain.VendorAddresses
		if err := rows.Scan(&v.Source, &v.Vendor, &v.Addresses); err != nil {
			return nil, fmt.Errorf("reading vendor addresses: %w", err)
		}
		sort.Strings(v.Addresses)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading vendor addresses: %w", err)
	}
	return out, nil
}

// Edges returns the edges of the transactions in which one of addrs spends
// (chain.Out: one edge per spending address and output) or is paid
// (chain.In: one edge per output paying it and input address), reading
// chain_address_io by address and chain_outputs, chain_inputs and
// chain_txs by txid.
func (s *ChainStore) Edges(ctx context.Context, chainName string, dir chain.Direction, addrs []string, max int) ([]chain.Edge, error) {
	type near struct {
		txid, addr string
		n          uint32
		value      int64
		height     uint32
		at         time.Time
	}
	var nears []near
	ioDir := "spend"
	if dir == chain.In {
		ioDir = "receive"
	}
	err := inChunks(addrs, func(part []string) error {
		rows, err := s.db.conn.Query(ctx, `SELECT txid, address, n, argMax(value, fetched_at), argMax(block_height, fetched_at),
    argMax(block_time, fetched_at)
FROM chain_address_io WHERE chain = ? AND address IN ? AND direction = ?
GROUP BY txid, address, n`, chainName, set(part), ioDir)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var x near
			if err := rows.Scan(&x.txid, &x.addr, &x.n, &x.value, &x.height, &x.at); err != nil {
				return err
			}
			nears = append(nears, x)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading flow edges in %s: %w", s.db.database, err)
	}
	txset := map[string]bool{}
	for _, x := range nears {
		txset[x.txid] = true
	}
	txids := make([]string, 0, len(txset))
	for id := range txset {
		txids = append(txids, id)
	}
	sort.Strings(txids)
	coinjoin := map[string]bool{}
	type far struct {
		addr   string
		n      uint32
		value  int64
		height uint32
		at     time.Time
	}
	fars := map[string][]far{}
	farTable := "chain_outputs"
	farIndex := "vout"
	if dir == chain.In {
		farTable, farIndex = "chain_inputs", "vin"
	}
	err = inChunks(txids, func(part []string) error {
		rows, err := s.db.conn.Query(ctx, `SELECT txid FROM chain_txs WHERE chain = ? AND txid IN ? AND coinjoin = 1`, chainName, set(part))
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			coinjoin[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = s.db.conn.Query(ctx, `SELECT txid, `+farIndex+`, argMax(address, fetched_at), argMax(value, fetched_at),
    argMax(block_height, fetched_at), argMax(block_time, fetched_at)
FROM `+farTable+` WHERE chain = ? AND txid IN ?
GROUP BY txid, `+farIndex, chainName, set(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id string
				f  far
			)
			if err := rows.Scan(&id, &f.n, &f.addr, &f.value, &f.height, &f.at); err != nil {
				return err
			}
			if f.addr != "" {
				fars[id] = append(fars[id], f)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading flow edges in %s: %w", s.db.database, err)
	}
	var out []chain.Edge
	for _, x := range nears {
		for _, f := range fars[x.txid] {
			e := chain.Edge{TxID: x.txid, CoinJoin: coinjoin[x.txid]}
			if dir == chain.Out {
				e.From, e.To, e.N, e.Value = x.addr, f.addr, f.n, f.value
				e.BlockHeight, e.BlockTime = int64(f.height), f.at
			} else {
				e.From, e.To, e.N, e.Value = f.addr, x.addr, f.n, x.value
				e.BlockHeight, e.BlockTime = int64(x.height), x.at
			}
			if len(out) >= max {
				return nil, fmt.Errorf("reading flow edges in %s: %w: more than %d", s.db.database, ErrTooManyEdges, max)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Labels returns the best tag reaching each of addrs (view
// chain_address_labels): tag files before web crawl, then higher
// confidence, then the address's own tag before its cluster's.
func (s *ChainStore) Labels(ctx context.Context, chainName string, addrs []string) (map[string]chain.Label, error) {
	type cand struct {
		l    chain.Label
		rank int
	}
	best := map[string]cand{}
	err := inChunks(addrs, func(part []string) error {
		rows, err := s.db.conn.Query(ctx, `SELECT address, label, category, tag_source, confidence, jurisdiction, via
FROM chain_address_labels WHERE chain = ? AND address IN ?`, chainName, set(part))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				a, via string
				l      chain.Label
			)
			if err := rows.Scan(&a, &l.Label, &l.Category, &l.Source, &l.Confidence, &l.Jurisdiction, &via); err != nil {
				return err
			}
			r := 0
			if l.Source != chain.WebCrawlSource {
				r += 100
			}
			r += map[string]int{"high": 30, "medium": 20, "low": 10}[l.Confidence]
			if via == "address" {
				r += 5
			}
			if c, ok := best[a]; !ok || r > c.rank || r == c.rank && l.Label < c.l.Label {
				best[a] = cand{l, r}
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading address labels in %s: %w", s.db.database, err)
	}
	out := make(map[string]chain.Label, len(best))
	for a, c := range best {
		out[a] = c.l
	}
	return out, nil
}

// RefreshChainFlows traces the flows of every vendor on chainName
// (chain.TraceFlows) and replaces the content of chain_flows with them. It
// returns the number of flow rows.
func (db *DB) RefreshChainFlows(ctx context.Context, chainName string, opts chain.FlowOptions) (int, error) {
	start := time.Now()
	flows, err := chain.TraceFlows(ctx, db.Chain(), chainName, opts)
	if err != nil {
		return 0, fmt.Errorf("refreshing chain flows in %s: %w", db.database, err)
	}
	if err := db.truncate(ctx, "chain_flows"); err != nil {
		return 0, fmt.Errorf("refreshing chain flows in %s: emptying chain_flows: %w", db.database, err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	if len(flows) > 0 {
		if err := db.insertBlocks(ctx, "chain_flows", len(flows), insertChunk, func(lo, hi int) []column {
			return flowColumns(flows[lo:hi], now)
		}); err != nil {
			return 0, fmt.Errorf("refreshing chain flows: %w", err)
		}
	}
	db.log.Info().Int("flows", len(flows)).Dur("took", time.Since(start)).Msg("chain flows refreshed")
	return len(flows), nil
}

// flowColumns maps flows to the columns of chain_flows, computed at now.
func flowColumns(flows []chain.Flow, now time.Time) []column {
	n := len(flows)
	var (
		chains, sources, vendors, dirs, origins = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		txids, froms, tos, endpoints            = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		labels, cats, juris, confs, tsrc        = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		hops                                    = mk[uint8](n)
		values                                  = mk[int64](n)
		heights                                 = mk[uint32](n)
		times, at                               = mk[time.Time](n), mk[time.Time](n)
		paths                                   = mk[[]string](n)
	)
	for i, f := range flows {
		chains[i], sources[i], vendors[i], dirs[i], origins[i] = f.Chain, f.Source, f.Vendor, string(f.Direction), f.Origin
		txids[i], froms[i], tos[i], endpoints[i] = f.TxID, f.From, f.To, f.Endpoint
		labels[i], cats[i], juris[i], confs[i], tsrc[i] = f.Label.Label, f.Label.Category, f.Label.Jurisdiction, f.Label.Confidence, f.Label.Source
		hops[i], values[i], heights[i] = uint8(f.Hop), f.Value, clampUInt32(int(f.BlockHeight))
		times[i], at[i], paths[i] = clampTime(f.BlockTime), now, f.Path
	}
	return []column{
		{"chain", chains}, {"source", sources}, {"vendor", vendors}, {"direction", dirs}, {"hop", hops},
		{"origin_address", origins}, {"txid", txids}, {"from_address", froms}, {"to_address", tos},
		{"value", values}, {"block_height", heights}, {"block_time", times}, {"path", paths},
		{"endpoint", endpoints}, {"label", labels}, {"category", cats}, {"jurisdiction", juris},
		{"confidence", confs}, {"tag_source", tsrc}, {"computed_at", at},
	}
}

// ChainRequest gathers a draft preservation request for the services in
// partner (ISO alpha-2) that the vendors' flows reach (chain_flows,
// endpoint service), the cooperation channels from requesting to partner
// (view cooperation), and the untraced addresses of the same vendors.
func (db *DB) ChainRequest(ctx context.Context, requesting, partner string) (*chain.Request, error) {
	r := &chain.Request{Requesting: requesting, Partner: partner, Now: time.Now().UTC()}
	flows, err := db.ChainServiceFlows(ctx, partner, nil)
	if err != nil {
		return nil, err
	}
	vendors := map[string]bool{}
	for _, f := range flows {
		r.Flows = append(r.Flows, f.ServiceFlow)
		vendors[f.Market+":"+f.Vendor] = true
	}
	rows, err := db.conn.Query(ctx, `SELECT rank, channel, channel_name, legal_basis, reason, uncertain, dual_criminality
FROM cooperation WHERE requesting = ? AND partner = ? ORDER BY rank`, requesting, partner)
	if err != nil {
		return nil, fmt.Errorf("reading cooperation channels %s to %s: %w", requesting, partner, err)
	}
	for rows.Next() {
		var (
			c         chain.Channel
			rank      uint8
			uncertain uint8
		)
		if err := rows.Scan(&rank, &c.ID, &c.Name, &c.LegalBasis, &c.Reason, &uncertain, &c.DualCriminality); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading cooperation channels: %w", err)
		}
		c.Rank, c.Uncertain = int(rank), uncertain == 1
		r.Channels = append(r.Channels, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading cooperation channels: %w", err)
	}
	rows, err = db.conn.Query(ctx, `SELECT address, vendors FROM chain_untraced_addresses ORDER BY address`)
	if err != nil {
		return nil, fmt.Errorf("reading untraced addresses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a  string
			vs []string
		)
		if err := rows.Scan(&a, &vs); err != nil {
			return nil, fmt.Errorf("reading untraced addresses: %w", err)
		}
		for _, v := range vs {
			if vendors[v] {
				r.Untraced = append(r.Untraced, a)
				break
			}
		}
	}
	return r, rows.Err()
}

// ChainServiceFlow is a flow to a service with the addresses it went
// between: Origin, the vendor's address it started from, and From, the
// address that paid the service's deposit address.
type ChainServiceFlow struct {
	chain.ServiceFlow
	Origin, From string
}

// MaxServiceFlows bounds the flows ChainServiceFlows returns.
const MaxServiceFlows = 100_000

// ErrTooManyFlows is returned when more flows than MaxServiceFlows reach
// the services of one jurisdiction.
var ErrTooManyFlows = errors.New("too many service flows")

// ChainServiceFlows returns the outgoing flows (chain_flows, endpoint
// service) reaching services whose jurisdiction is partner (ISO alpha-2),
// in block time order. With vendors (market:handle) it keeps the flows of
// those vendors only; nil keeps every vendor's. More than MaxServiceFlows
// is ErrTooManyFlows, never a silently shortened list.
func (db *DB) ChainServiceFlows(ctx context.Context, partner string, vendors []string) ([]ChainServiceFlow, error) {
	const q = `SELECT source, vendor, label, category, jurisdiction, confidence, tag_source,
    to_address, txid, value, block_time, hop, path, origin_address, from_address
FROM chain_flows
WHERE direction = 'out' AND endpoint = 'service' AND jurisdiction = ?`
	var out []ChainServiceFlow
	read := func(query string, args ...any) error {
		rows, err := db.conn.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				f   ChainServiceFlow
				hop uint8
			)
			if err := rows.Scan(&f.Market, &f.Vendor, &f.Service, &f.Category, &f.Jurisdiction, &f.Confidence, &f.TagSource,
				&f.Deposit, &f.TxID, &f.Value, &f.BlockTime, &hop, &f.Path, &f.Origin, &f.From); err != nil {
				return err
			}
			f.Hops = int(hop)
			if len(out) >= MaxServiceFlows {
				return fmt.Errorf("%w: more than %d", ErrTooManyFlows, MaxServiceFlows)
			}
			out = append(out, f)
		}
		return rows.Err()
	}
	var err error
	if vendors == nil {
		err = read(q+fmt.Sprintf(" ORDER BY block_time, txid, to_address LIMIT %d", MaxServiceFlows+1), partner)
	} else {
		err = inChunks(vendors, func(part []string) error {
			return read(q+fmt.Sprintf(" AND concat(source, ':', vendor) IN ? LIMIT %d", MaxServiceFlows+1), partner, set(part))
		})
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i], out[j]
			if !a.BlockTime.Equal(b.BlockTime) {
				return a.BlockTime.Before(b.BlockTime)
			}
			if a.TxID != b.TxID {
				return a.TxID < b.TxID
			}
			return a.Deposit < b.Deposit
		})
	}
	if err != nil {
		return nil, fmt.Errorf("reading flows to %s in %s: %w", partner, db.database, err)
	}
	return out, nil
}
