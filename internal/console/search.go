package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/counternet/counternet/internal/auth"
)

// What a search term looks like decides which identifiers it is matched
// against, besides handles and listing text, which every term is.
var (
	rePGP    = regexp.MustCompile(`^(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$`)
	reCrypto = regexp.MustCompile(`^(?:bc1[02-9ac-hj-np-z]{8,87}|[13][1-9A-HJ-NP-Za-km-z]{25,34}|[48][1-9A-HJ-NP-Za-km-z]{94,105}|0x[0-9A-Fa-f]{40}|[LM][1-9A-HJ-NP-Za-km-z]{26,33}|ltc1[02-9ac-hj-np-z]{8,87})$`)
	reOnion  = regexp.MustCompile(`^(?:[a-z2-7]{56}|[a-z2-7]{16})(?:\.onion)?$`)
)

// searchKind classifies a search term.
type searchKind struct {
	PGP, Crypto bool
	Onion       string // the onion host, when the term is one
}

func classify(q string) searchKind {
	var k searchKind
	compact := strings.ReplaceAll(q, " ", "")
	k.PGP = rePGP.MatchString(compact)
	k.Crypto = reCrypto.MatchString(q)
	host := strings.ToLower(q)
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	if reOnion.MatchString(host) {
		k.Onion = strings.TrimSuffix(host, ".onion") + ".onion"
	}
	return k
}

type handleHit struct {
	Market, Handle      string
	FirstSeen, LastSeen time.Time
}

type listingHit struct {
	Market, ListingID, Vendor, Title, Category, ShipsFrom, Capture string
	PriceUSD                                                       float64
	LastSeen                                                       time.Time
}

type searchData struct {
	Q                       string
	Kind                    searchKind
	Handles                 []handleHit
	Listings                []listingHit
	PGP, Addresses, Onions  table
	HandlesCut, ListingsCut bool
	Searched                bool
}

const (
	sqlSearchHandles = `SELECT source, handle, min(first_seen) AS first, max(last_seen) AS last
FROM vendor_identifiers
WHERE kind = 'handle' AND positionCaseInsensitive(handle, ?) > 0
GROUP BY source, handle
ORDER BY lower(handle) = lower(?) DESC, handle, source
LIMIT 201`
	sqlSearchListings = `SELECT source, listing_id, argMax(vendor, observed_at) AS v, argMax(title, observed_at) AS t,
    argMax(category, observed_at) AS c, argMax(price_usd, observed_at) AS p, argMax(ships_from, observed_at) AS f,
    max(observed_at) AS last, argMax(capture_sha256, observed_at) AS cap
FROM listing_obs
WHERE positionCaseInsensitive(title, ?) > 0 OR positionCaseInsensitive(description, ?) > 0 OR vendor = ?
GROUP BY source, listing_id
ORDER BY last DESC, source, listing_id
LIMIT 201`
	sqlSearchOnion = `SELECT source, mirror, count() AS pages, min(fetched_at) AS first_fetched, max(fetched_at) AS last_fetched
FROM captures
WHERE mirror = ? OR positionCaseInsensitive(url, ?) > 0
GROUP BY source, mirror
ORDER BY last_fetched DESC
LIMIT 201`
)

// search finds a term across markets: vendor handles, listing text, and,
// when the term has their shape, PGP fingerprints, crypto addresses and
// onion hosts.
func (s *Server) search(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := searchData{Q: q}
	if q == "" {
		s.render(w, r, sess, "search", "Search", d)
		return
	}
	if utf8.RuneCountInString(q) < 2 || len(q) > 256 || !utf8.ValidString(q) {
		s.fail(w, r, sess, http.StatusBadRequest, "Search for 2 to 256 characters.")
		return
	}
	d.Searched, d.Kind = true, classify(q)
	ctx := r.Context()
	res, err := s.fetch(ctx, maxSearchRows, sqlSearchHandles, q, q)
	if err != nil {
		s.failErr(w, r, sess, "searching handles", err)
		return
	}
	d.HandlesCut = res.Truncated
	for _, row := range res.Rows {
		d.Handles = append(d.Handles, handleHit{Market: str(row[0]), Handle: str(row[1]), FirstSeen: tm(row[2]), LastSeen: tm(row[3])})
	}
	if res, err = s.fetch(ctx, maxSearchRows, sqlSearchListings, q, q, q); err != nil {
		s.failErr(w, r, sess, "searching listings", err)
		return
	}
	d.ListingsCut = res.Truncated
	for _, row := range res.Rows {
		d.Listings = append(d.Listings, listingHit{Market: str(row[0]), ListingID: str(row[1]), Vendor: str(row[2]), Title: str(row[3]),
			Category: str(row[4]), PriceUSD: f64(row[5]), ShipsFrom: str(row[6]), LastSeen: tm(row[7]), Capture: str(row[8])})
	}
	if d.Kind.PGP {
		res, err := s.saved(ctx, "pgp-sightings", map[string]string{"fingerprint": strings.ReplaceAll(q, " ", "")}, maxSearchRows)
		if err != nil {
			s.failErr(w, r, sess, "searching PGP keys", err)
			return
		}
		d.PGP = asTable(res)
	}
	if d.Kind.Crypto {
		res, err := s.saved(ctx, "address-sightings", map[string]string{"address": q}, maxSearchRows)
		if err != nil {
			s.failErr(w, r, sess, "searching crypto addresses", err)
			return
		}
		d.Addresses = asTable(res)
	}
	if d.Kind.Onion != "" {
		res, err := s.fetch(ctx, maxSearchRows, sqlSearchOnion, d.Kind.Onion, d.Kind.Onion)
		if err != nil {
			s.failErr(w, r, sess, "searching onion hosts", err)
			return
		}
		d.Onions = asTable(res)
	}
	s.render(w, r, sess, "search", "Search: "+q, d)
}
