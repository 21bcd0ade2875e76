package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxNewRows bounds the identities or routes one scan reads; a scan over
// more fails with the reason instead of leaving some out.
const maxNewRows = 1000000

// none stands for an empty set in a query (has([], x) does not type on
// every ClickHouse version); no identifier or trimmed handle equals it.
const none = " (none) "

func orNoneSet(s []string) []string {
	if len(s) == 0 {
		return []string{none}
	}
	return s
}

// identity is one vendor identity (market, handle) in the new rows that
// shows watched identifiers.
type identity struct {
	source, handle string // handle lower case
	matched        []string
	observedAt     time.Time
	capture        string
}

// watchedSets are the identifiers the scan looks for: the watched handles,
// fingerprints and addresses, with the fingerprints and addresses each
// watched handle has shown (derived).
type watchedSets struct {
	handles, pgps, cryptos []string
	derived                map[string][]string // handle -> "pgp:FP" / "crypto:ADDR" tags
}

func (w *Watcher) watched(ctx context.Context, watches []Watch) (watchedSets, error) {
	ws := watchedSets{derived: map[string][]string{}}
	for _, wt := range watches {
		switch wt.Kind {
		case WatchHandle:
			ws.handles = append(ws.handles, wt.Value)
		case WatchPGP:
			ws.pgps = append(ws.pgps, wt.Value)
		case WatchCrypto:
			ws.cryptos = append(ws.cryptos, wt.Value)
		}
	}
	if len(ws.handles) == 0 {
		return ws, nil
	}
	rows, err := w.DB.Conn().Query(ctx, fmt.Sprintf("SELECT DISTINCT lower(handle), kind, value FROM ("+
		identifierStates("kind IN ('pgp_fingerprint', 'crypto_address') AND has(?, lower(handle))")+") LIMIT %d", maxNewRows+1), ws.handles, ws.handles)
	if err != nil {
		return ws, fmt.Errorf("scanning for alerts: reading the identifiers of watched handles: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var h, kind, v string
		if err := rows.Scan(&h, &kind, &v); err != nil {
			return ws, fmt.Errorf("scanning for alerts: reading the identifiers of watched handles: %w", err)
		}
		n++
		if kind == "pgp_fingerprint" {
			ws.pgps = append(ws.pgps, v)
			ws.derived[h] = append(ws.derived[h], "pgp:"+v)
		} else {
			ws.cryptos = append(ws.cryptos, v)
			ws.derived[h] = append(ws.derived[h], "crypto:"+v)
		}
	}
	if err := rows.Err(); err != nil {
		return ws, fmt.Errorf("scanning for alerts: reading the identifiers of watched handles: %w", err)
	}
	if n > maxNewRows {
		return ws, fmt.Errorf("scanning for alerts: the watched handles show more than %d identifiers", maxNewRows)
	}
	slices.Sort(ws.pgps)
	slices.Sort(ws.cryptos)
	ws.pgps, ws.cryptos = slices.Compact(ws.pgps), slices.Compact(ws.cryptos)
	return ws, nil
}

// identityQuery reads, per vendor identity of the rows inserted since a
// time, the watched identifiers they show (tagged handle:, pgp:, crypto:),
// the earliest observation and its page. Profiles show fingerprints and
// addresses, listings addresses; both show the handle.
const identityQuery = `SELECT source, lh, groupUniqArrayArray(ids), min(observed_at), argMin(capture_sha256, observed_at)
FROM
(
    SELECT source, lower(handle) AS lh, observed_at, capture_sha256,
        arrayConcat(
            if(has(?, lh), [concat('handle:', lh)], emptyArrayString()),
            arrayMap(x -> concat('pgp:', x), arrayFilter(x -> has(?, x), pgp_fingerprints)),
            arrayMap(x -> concat('crypto:', x), arrayFilter(x -> has(?, x), crypto_addresses))) AS ids
    FROM vendor_obs
    PREWHERE inserted_at >= ?
    WHERE handle != '' AND (has(?, lower(handle)) OR hasAny(pgp_fingerprints, ?) OR hasAny(crypto_addresses, ?))
    UNION ALL
    SELECT source, lower(vendor) AS lh, observed_at, capture_sha256,
        arrayConcat(
            if(has(?, lh), [concat('handle:', lh)], emptyArrayString()),
            arrayMap(x -> concat('crypto:', x), arrayFilter(x -> has(?, x), crypto_addresses))) AS ids
    FROM listing_obs
    PREWHERE inserted_at >= ?
    WHERE vendor != '' AND (has(?, lower(vendor)) OR hasAny(crypto_addresses, ?))
)
GROUP BY source, lh
ORDER BY source, lh
LIMIT %d`

// newIdentities reads the vendor identities of the rows inserted since
// from that show a watched identifier.
func (w *Watcher) newIdentities(ctx context.Context, from time.Time, watches []Watch) (map[string]watchedIdentity, error) {
	ws, err := w.watched(ctx, watches)
	if err != nil {
		return nil, err
	}
	if len(ws.handles)+len(ws.pgps)+len(ws.cryptos) == 0 {
		return nil, nil
	}
	h, p, c, t := orNoneSet(ws.handles), orNoneSet(ws.pgps), orNoneSet(ws.cryptos), dbTime(from)
	rows, err := w.DB.Conn().Query(ctx, fmt.Sprintf(identityQuery, maxNewRows+1), h, p, c, t, h, p, c, h, c, t, h, c)
	if err != nil {
		return nil, fmt.Errorf("scanning for alerts: reading new vendor identities: %w", err)
	}
	defer rows.Close()
	out := map[string]watchedIdentity{}
	for rows.Next() {
		var id identity
		if err := rows.Scan(&id.source, &id.handle, &id.matched, &id.observedAt, &id.capture); err != nil {
			return nil, fmt.Errorf("scanning for alerts: reading new vendor identities: %w", err)
		}
		id.observedAt = id.observedAt.UTC()
		slices.Sort(id.matched)
		out[id.source+"\x00"+id.handle] = watchedIdentity{identity: id, derived: ws.derived}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scanning for alerts: reading new vendor identities: %w", err)
	}
	if len(out) > maxNewRows {
		return nil, fmt.Errorf("scanning for alerts: more than %d vendor identities show watched identifiers since %s; narrow the watchlists", maxNewRows, from.Format(time.RFC3339))
	}
	return out, nil
}

// watchedIdentity is an identity with the identifiers each watched handle
// shows, to tell which watched items it concerns.
type watchedIdentity struct {
	identity
	derived map[string][]string
}

// identityCandidates pairs each watched identifier item with the identities
// showing it.
func identityCandidates(watches []Watch, idents map[string]watchedIdentity) []candidate {
	var out []candidate
	for _, wt := range watches {
		var tags []string
		switch wt.Kind {
		case WatchHandle:
			tags = []string{"handle:" + wt.Value}
		case WatchPGP:
			tags = []string{"pgp:" + wt.Value}
		case WatchCrypto:
			tags = []string{"crypto:" + wt.Value}
		default:
			continue
		}
		for _, id := range idents {
			all := tags
			if wt.Kind == WatchHandle {
				all = append(slices.Clone(tags), id.derived[wt.Value]...)
			}
			var matched []string
			for _, m := range id.matched {
				if slices.Contains(all, m) {
					matched = append(matched, m)
				}
			}
			if len(matched) == 0 {
				continue
			}
			out = append(out, candidate{watch: wt, source: id.source, handle: id.handle, matched: matched,
				observedAt: id.observedAt, capture: id.capture})
		}
	}
	return out
}

// route is an (origin, destination) pair of the new rows.
type route struct {
	dest, origin            string
	sources, vendors, bases []string
	observedAt              time.Time
	capture                 string
}

const routeQuery = `SELECT dest, ships_from, groupUniqArray(source), arraySlice(arraySort(groupUniqArray(concat(source, ':', vendor))), 1, 20), groupUniqArray(basis), min(observed_at), argMin(capture_sha256, observed_at)
FROM listing_obs
ARRAY JOIN ships_to AS dest, arrayResize(ships_to_basis, length(ships_to), '') AS basis
PREWHERE inserted_at >= ?
WHERE ships_from != '' AND hasAny(ships_to, ?) AND has(?, dest)
GROUP BY dest, ships_from
ORDER BY dest, ships_from
LIMIT %d`

// newRoutes reads the routes into watched countries of the listings
// inserted since from. Listings of unknown origin make no route.
func (w *Watcher) newRoutes(ctx context.Context, from time.Time, watches []Watch) ([]route, error) {
	var countries []string
	for _, wt := range watches {
		if wt.Kind == WatchRoute && !slices.Contains(countries, wt.Value) {
			countries = append(countries, wt.Value)
		}
	}
	if len(countries) == 0 {
		return nil, nil
	}
	rows, err := w.DB.Conn().Query(ctx, fmt.Sprintf(routeQuery, maxNewRows+1), dbTime(from), countries, countries)
	if err != nil {
		return nil, fmt.Errorf("scanning for alerts: reading new routes: %w", err)
	}
	defer rows.Close()
	var out []route
	for rows.Next() {
		var r route
		if err := rows.Scan(&r.dest, &r.origin, &r.sources, &r.vendors, &r.bases, &r.observedAt, &r.capture); err != nil {
			return nil, fmt.Errorf("scanning for alerts: reading new routes: %w", err)
		}
		r.observedAt = r.observedAt.UTC()
		r.bases = slices.DeleteFunc(r.bases, func(b string) bool { return strings.TrimSpace(b) == "" })
		slices.Sort(r.sources)
		slices.Sort(r.vendors)
		slices.Sort(r.bases)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scanning for alerts: reading new routes: %w", err)
	}
	if len(out) > maxNewRows {
		return nil, fmt.Errorf("scanning for alerts: more than %d new routes since %s", maxNewRows, from.Format(time.RFC3339))
	}
	return out, nil
}

// routeCandidates pairs each watched country with the routes into it.
func routeCandidates(watches []Watch, routes []route) []candidate {
	var out []candidate
	for _, wt := range watches {
		if wt.Kind != WatchRoute {
			continue
		}
		for _, r := range routes {
			if r.dest == wt.Value {
				out = append(out, candidate{watch: wt, origin: r.origin, sources: r.sources, vendors: r.vendors, bases: r.bases,
					observedAt: r.observedAt, capture: r.capture})
			}
		}
	}
	return out
}
