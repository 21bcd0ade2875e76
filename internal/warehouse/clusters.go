package warehouse

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// MaxClusterLinks bounds the strong links RefreshVendorClusters reads.
const MaxClusterLinks = 5_000_000

// ErrTooManyLinks is returned when there are more strong vendor links than
// MaxClusterLinks.
var ErrTooManyLinks = errors.New("too many vendor links")

// ClusterStats is what a refresh of vendor_clusters found.
type ClusterStats struct {
	Links    int // strong links read
	Members  int // vendor identities in a cluster
	Clusters int
	Largest  int // members of the largest cluster
}

// vendorID is one vendor identity: a handle on a market.
type vendorID struct{ source, handle string }

func (v vendorID) String() string { return v.source + ":" + v.handle }

// RefreshVendorClusters computes the connected components of vendor
// identities over strong links (shared PGP fingerprint or crypto address,
// from the vendor_links view) with union-find, and replaces the content of
// vendor_clusters with them. ClickHouse 18.16 has no recursive queries,
// which is why this runs in Go.
func (db *DB) RefreshVendorClusters(ctx context.Context) (ClusterStats, error) {
	var st ClusterStats
	start := time.Now()
	rows, err := db.conn.Query(ctx, `SELECT source_a, handle_a, source_b, handle_b
FROM vendor_links WHERE kind IN ('pgp_fingerprint', 'crypto_address')`)
	if err != nil {
		return st, fmt.Errorf("refreshing vendor clusters in %s: querying links: %w", db.database, err)
	}
	parent := map[vendorID]vendorID{}
	find := func(v vendorID) vendorID {
		if _, ok := parent[v]; !ok {
			parent[v] = v
			return v
		}
		for parent[v] != v {
			parent[v] = parent[parent[v]] // path halving
			v = parent[v]
		}
		return v
	}
	type link struct{ a, b vendorID }
	var links []link
	for rows.Next() {
		var a, b vendorID
		if err := rows.Scan(&a.source, &a.handle, &b.source, &b.handle); err != nil {
			rows.Close()
			return st, fmt.Errorf("refreshing vendor clusters in %s: reading links: %w", db.database, err)
		}
		if len(links) >= MaxClusterLinks {
			rows.Close()
			return st, fmt.Errorf("refreshing vendor clusters in %s: %w: more than %d", db.database, ErrTooManyLinks, MaxClusterLinks)
		}
		links = append(links, link{a, b})
		ra, rb := find(a), find(b)
		if ra != rb {
			if rb.String() < ra.String() {
				ra, rb = rb, ra
			}
			parent[rb] = ra
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("refreshing vendor clusters in %s: reading links: %w", db.database, err)
	}
	members := map[vendorID][]vendorID{}
	for v := range parent {
		r := find(v)
		members[r] = append(members[r], v)
	}
	linkCount := map[vendorID]uint32{}
	for _, l := range links {
		linkCount[find(l.a)]++
	}
	var (
		clusterID, source, handle []string
		size, nlinks, markets     []uint32
		at                        []time.Time
	)
	now := time.Now().UTC().Truncate(time.Second)
	roots := make([]vendorID, 0, len(members))
	for r := range members {
		roots = append(roots, r)
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].String() < roots[j].String() })
	for _, r := range roots {
		ms := members[r]
		sort.Slice(ms, func(i, j int) bool { return ms[i].String() < ms[j].String() })
		onMarkets := map[string]bool{}
		for _, m := range ms {
			onMarkets[m.source] = true
		}
		id := ms[0].String()
		for _, m := range ms {
			clusterID, source, handle = append(clusterID, id), append(source, m.source), append(handle, m.handle)
			size, nlinks, markets = append(size, uint32(len(ms))), append(nlinks, linkCount[r]), append(markets, uint32(len(onMarkets)))
			at = append(at, now)
		}
		st.Largest = max(st.Largest, len(ms))
	}
	st.Links, st.Members, st.Clusters = len(links), len(clusterID), len(roots)
	if err := db.truncate(ctx, "vendor_clusters"); err != nil {
		return st, fmt.Errorf("refreshing vendor clusters in %s: emptying vendor_clusters: %w", db.database, err)
	}
	if len(clusterID) > 0 {
		err := db.insertBlocks(ctx, "vendor_clusters", len(clusterID), insertChunk, func(lo, hi int) []column {
			return []column{
				{"cluster_id", clusterID[lo:hi]}, {"source", source[lo:hi]}, {"handle", handle[lo:hi]},
				{"size", size[lo:hi]}, {"links", nlinks[lo:hi]}, {"markets", markets[lo:hi]}, {"computed_at", at[lo:hi]},
			}
		})
		if err != nil {
			return st, fmt.Errorf("refreshing vendor clusters: %w", err)
		}
	}
	db.log.Info().Int("links", st.Links).Int("members", st.Members).Int("clusters", st.Clusters).
		Int("largest", st.Largest).Dur("took", time.Since(start)).Msg("vendor clusters refreshed")
	return st, nil
}
