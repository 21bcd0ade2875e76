package console

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The links of one vendor handle are computed from the maintained
// identifier tables (vendor_identifiers_state and _backfill, the tables
// the vendor_identifiers view merges) filtered to the identifiers the
// handle's identities hold, with the rules of the vendor_links and
// vendor_link_pairs views applied in Go. Reading those views would
// compute every link of every vendor first: seconds on a few hundred
// thousand listings, minutes on ten million. TestLinksMatchViews checks
// the two agree.
const sqlHolders = `SELECT source, handle, kind, value, minMerge(f) AS first, maxMerge(l) AS last, argMaxMerge(c) AS cap
FROM
(
    SELECT source, handle, kind, value, first_state AS f, last_state AS l, capture_state AS c
    FROM vendor_identifiers_state WHERE (kind, value) IN (%[1]s)
    UNION ALL
    SELECT source, handle, kind, value, first_state AS f, last_state AS l, capture_state AS c
    FROM vendor_identifiers_backfill WHERE (kind, value) IN (%[1]s)
)
WHERE handle != '' AND value != ''
GROUP BY source, handle, kind, value
ORDER BY kind, value, source, handle`

// sqlEvidence are the identifiers of the handle's identities that 2 to 50
// identities hold: those that link (vendor_links' bound; a value held by
// more is noise, not evidence). Counting reads only the sort key's
// columns, so a value every identity holds costs little here; only the
// few that link are then read with their aggregate states (sqlHolders).
const sqlEvidence = `SELECT kind, value
FROM
(
    SELECT kind, value, source, handle FROM vendor_identifiers_state WHERE (kind, value) IN ` + idsOfHandle + `
    UNION ALL
    SELECT kind, value, source, handle FROM vendor_identifiers_backfill WHERE (kind, value) IN ` + idsOfHandle + `
)
WHERE handle != '' AND value != ''
GROUP BY kind, value
HAVING uniqExact(source, handle) BETWEEN 2 AND 50
ORDER BY kind, value`

// idsOfHandle are the identifiers (kind, value) of every identity whose
// handle is @h case-insensitively; the two ? are the same handle.
const idsOfHandle = `(
        SELECT kind, value FROM vendor_identifiers_state
        WHERE (source, handle) IN (SELECT source, handle FROM vendor_identifiers_state WHERE kind = 'handle' AND value = lower(?))
        UNION ALL
        SELECT kind, value FROM vendor_identifiers_backfill
        WHERE (source, handle) IN (SELECT source, handle FROM vendor_identifiers_backfill WHERE kind = 'handle' AND value = lower(?))
    )`

// maxIdentifiers bounds the linking identifiers of one handle read.
const maxIdentifiers = 10000

// maxHolders is vendor_links' bound: an identifier held by more identities
// than this is noise, not evidence.
const maxHolders = 50

type holder struct {
	source, handle, capture string
	first, last             time.Time
}

// vendorLinks reads the holders of every identifier of the handle's
// identities and makes the links (vendor_links' rows that name the
// handle) and the linked pairs with their confidence (vendor_link_pairs').
func (s *Server) vendorLinks(ctx context.Context, d *vendorData) error {
	h := d.Handle
	res, err := s.fetch(ctx, maxIdentifiers+1, sqlEvidence, h, h, h, h)
	if err != nil {
		return fmt.Errorf("links: %w", err)
	}
	if res.Truncated {
		return fmt.Errorf("links: the identities of %q hold more than %d linking identifiers", h, maxIdentifiers)
	}
	if len(res.Rows) == 0 {
		return nil
	}
	tuples := make([]string, len(res.Rows))
	var args []any
	for i, row := range res.Rows {
		tuples[i] = "(?, ?)"
		args = append(args, str(row[0]), str(row[1]))
	}
	list := strings.Join(tuples, ", ")
	res, err = s.fetch(ctx, 0, fmt.Sprintf(sqlHolders, list), append(args, args...)...)
	if err != nil {
		return fmt.Errorf("links: %w", err)
	}
	type kv struct{ kind, value string }
	groups := map[kv][]holder{}
	var order []kv
	for _, row := range res.Rows {
		k := kv{str(row[2]), str(row[3])}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], holder{source: str(row[0]), handle: str(row[1]), first: tm(row[4]), last: tm(row[5]), capture: str(row[6])})
	}
	type pairKey struct{ sa, ha, sb, hb string }
	pairs := map[pairKey]map[string]int{} // kind -> links of that kind
	var pairOrder []pairKey
	for _, k := range order {
		hs := groups[k]
		if len(hs) < 2 || len(hs) > maxHolders {
			continue
		}
		sort.Slice(hs, func(i, j int) bool {
			if hs[i].source != hs[j].source {
				return hs[i].source < hs[j].source
			}
			return hs[i].handle < hs[j].handle
		})
		for i := range hs {
			for j := i + 1; j < len(hs); j++ {
				a, b := hs[i], hs[j]
				if !strings.EqualFold(a.handle, h) && !strings.EqualFold(b.handle, h) {
					continue
				}
				if k.kind == "handle" && a.source == b.source || k.kind == "similar_handle" && strings.EqualFold(a.handle, b.handle) {
					continue
				}
				d.Links = append(d.Links, link{MarketA: a.source, HandleA: a.handle, MarketB: b.source, HandleB: b.handle,
					Kind: k.kind, Strength: strength(k.kind), Evidence: k.value, CaptureA: a.capture, CaptureB: b.capture})
				pk := pairKey{a.source, a.handle, b.source, b.handle}
				if pairs[pk] == nil {
					pairs[pk] = map[string]int{}
					pairOrder = append(pairOrder, pk)
				}
				pairs[pk][k.kind]++
			}
		}
	}
	sort.SliceStable(d.Links, func(i, j int) bool {
		a, b := d.Links[i], d.Links[j]
		if (a.Strength == "strong") != (b.Strength == "strong") {
			return a.Strength == "strong"
		}
		return a.Kind < b.Kind
	})
	for _, pk := range pairOrder {
		kinds := pairs[pk]
		p := pair{Market: pk.sb, Handle: pk.hb, Confidence: confidence(kinds)}
		if !strings.EqualFold(pk.ha, h) {
			p.Market, p.Handle = pk.sa, pk.ha
		}
		for k := range kinds {
			p.Kinds = append(p.Kinds, k)
		}
		sort.Strings(p.Kinds)
		d.Pairs = append(d.Pairs, p)
	}
	sort.SliceStable(d.Pairs, func(i, j int) bool { return confRank(d.Pairs[i].Confidence) > confRank(d.Pairs[j].Confidence) })
	return nil
}

// strength is vendor_links' strength of a link kind.
func strength(kind string) string {
	switch kind {
	case "pgp_fingerprint", "crypto_address":
		return "strong"
	case "handle":
		return "medium"
	}
	return "weak"
}

// confidence is vendor_link_pairs' grade: high for a shared PGP key, or a
// shared address and the same or a similar handle; medium for a shared
// address, or the same handle; low for a similar handle only.
func confidence(kinds map[string]int) string {
	same, similar := kinds["handle"] > 0, kinds["similar_handle"] > 0
	switch {
	case kinds["pgp_fingerprint"] > 0, kinds["crypto_address"] > 0 && (same || similar):
		return "high"
	case kinds["crypto_address"] > 0, same:
		return "medium"
	}
	return "low"
}

func confRank(c string) int {
	switch c {
	case "high":
		return 3
	case "medium":
		return 2
	}
	return 1
}
