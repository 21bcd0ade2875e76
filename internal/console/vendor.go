package console

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/query"
)

// account is one vendor identity (market, handle) with the same handle.
type account struct {
	Market, Handle, Joined, ShipsFrom, Capture string
	PGP                                        []string
	Rating                                     float64
	Sales                                      int64
	Profile                                    bool // a profile page was captured (else only listings name it)
	FirstSeen, LastSeen                        time.Time
}

// link is one row of vendor-links: a shared identifier with its evidence.
type link struct {
	MarketA, HandleA, MarketB, HandleB, Kind, Strength, Evidence, CaptureA, CaptureB string
}

// pair is a linked identity with its confidence grade.
type pair struct {
	Market, Handle, Confidence string
	Kinds                      []string
}

type vendorListing struct {
	Market, ListingID, Title, Category, Unit, ShipsFrom, ShipsTo, Capture string
	Price, FirstPrice, MinPrice, MaxPrice, Quantity                       float64
	FirstSeen, LastSeen                                                   time.Time
	Observations                                                          uint64
}

type countRow struct {
	Key                 string
	Listings            uint64
	FirstSeen, LastSeen time.Time
}

type destRow struct {
	Country                               string
	Listings, Explicit, Region, Worldwide uint64
}

type cryptoRow struct {
	Address, Chain, Capture string
	Markets                 []string
	FirstSeen, LastSeen     time.Time
}

type vendorData struct {
	Market, Handle string
	Accounts       []account
	Links          []link
	Pairs          []pair
	// Model is the identity model's scored pairs (most probable first);
	// ModelCut counts those left out past maxModelPairs.
	Model       []modelPair
	ModelCut    int
	Listings    []vendorListing
	ListingsCut bool
	// Cut names the other sections that held more than maxProfileRows
	// rows, of which only the first are shown.
	Cut                 []string
	Categories, Origins []countRow
	Destinations        []destRow
	Crypto              []cryptoRow
	Flows               table
	FirstSeen, LastSeen time.Time
	// Cases are the open cases the user may add this vendor to.
	Cases []caseRef
}

// caseRef names a case in a form.
type caseRef struct{ ID, Title string }

// The vendor profile's own statements. Each reads the observation tables
// filtered on the handle first (case-insensitively, as the saved
// vendor-profile query does), so the work is the vendor's rows, not the
// table's.
const (
	sqlVendorProfiles = `SELECT source, handle, argMax(rating, observed_at) AS r, argMax(sales, observed_at) AS s,
    argMax(joined, observed_at) AS j, argMax(pgp_fingerprints, observed_at) AS pgp, argMax(ships_from, observed_at) AS f,
    min(observed_at) AS first, max(observed_at) AS last, argMax(capture_sha256, observed_at) AS cap
FROM vendor_obs
WHERE lower(handle) = lower(?)
GROUP BY source, handle
ORDER BY source, handle
LIMIT 501`
	sqlVendorListings = `SELECT source, listing_id, argMax(title, observed_at) AS t, argMax(category, observed_at) AS c,
    argMax(price_usd, observed_at) AS p, argMin(price_usd, observed_at) AS p0, min(price_usd) AS pmin, max(price_usd) AS pmax,
    argMax(quantity, observed_at) AS q, argMax(unit, observed_at) AS u, argMax(ships_from, observed_at) AS f,
    argMax(ships_to_raw, observed_at) AS tr, min(observed_at) AS first, max(observed_at) AS last,
    uniqExact(event_id) AS obs, argMax(capture_sha256, observed_at) AS cap, argMax(vendor, observed_at) AS v
FROM listing_obs
WHERE lower(vendor) = lower(?)
GROUP BY source, listing_id
ORDER BY source, listing_id
LIMIT 501`
	sqlVendorCategories = `SELECT category, uniqExact(source, listing_id) AS listings, min(observed_at) AS first, max(observed_at) AS last
FROM listing_obs
WHERE lower(vendor) = lower(?)
GROUP BY category
ORDER BY listings DESC, category
LIMIT 501`
	sqlVendorOrigins = `SELECT ships_from, uniqExact(source, listing_id) AS listings, min(observed_at) AS first, max(observed_at) AS last
FROM listing_obs
WHERE lower(vendor) = lower(?)
GROUP BY ships_from
ORDER BY listings DESC, ships_from
LIMIT 501`
	sqlVendorDestinations = `SELECT destination, uniqExact(source, listing_id) AS listings,
    uniqExactIf(source, listing_id, basis = 'explicit') AS explicit,
    uniqExactIf(source, listing_id, basis = 'region') AS region,
    uniqExactIf(source, listing_id, basis = 'worldwide') AS worldwide
FROM
(
    SELECT source, listing_id, ships_to, arrayResize(ships_to_basis, length(ships_to), '') AS bases
    FROM listing_obs
    WHERE lower(vendor) = lower(?)
)
ARRAY JOIN ships_to AS destination, bases AS basis
GROUP BY destination
ORDER BY listings DESC, destination
LIMIT 501`
	// sqlVendorCrypto are the addresses the handle showed on listings and
	// profiles, with their chains, markets and the latest page showing each.
	sqlVendorCrypto = `SELECT addr, arraySort(groupUniqArray(chain)) AS chains, arraySort(groupUniqArray(source)) AS markets,
    min(at) AS first, max(at) AS last, argMax(cap, at) AS page
FROM
(
    SELECT addr, chain, source, observed_at AS at, capture_sha256 AS cap FROM listing_obs
    ARRAY JOIN crypto_addresses AS addr, arrayResize(crypto_chains, length(crypto_addresses), '') AS chain
    WHERE lower(vendor) = lower(?)
    UNION ALL
    SELECT addr, chain, source, observed_at AS at, capture_sha256 AS cap FROM vendor_obs
    ARRAY JOIN crypto_addresses AS addr, arrayResize(crypto_chains, length(crypto_addresses), '') AS chain
    WHERE lower(handle) = lower(?)
)
GROUP BY addr
ORDER BY addr
LIMIT 501`
)

// vendor is the vendor profile of a handle: its accounts on every market,
// the links to other identities with their evidence, listings with their
// price history, categories, origins, destinations with their basis,
// crypto addresses and traced flows. The view is audited before it is
// shown.
func (s *Server) vendor(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	market, handle := r.PathValue("market"), r.PathValue("handle")
	if handle == "" || len(handle) > 256 || len(market) > 100 {
		s.fail(w, r, sess, http.StatusBadRequest, "Name a market and a vendor handle.")
		return
	}
	if err := s.audit(r, AuditEvent{User: sess.User, Action: "view_vendor", Object: market + ":" + handle}); err != nil {
		s.fail(w, r, sess, http.StatusServiceUnavailable, "The view could not be audited, so it is not shown: "+err.Error())
		return
	}
	d, err := s.vendorProfile(r.Context(), market, handle)
	if err != nil {
		s.failErr(w, r, sess, "reading the vendor profile", err)
		return
	}
	if len(d.Accounts) == 0 && len(d.Listings) == 0 {
		s.fail(w, r, sess, http.StatusNotFound, fmt.Sprintf("No vendor %q was seen on any market.", handle))
		return
	}
	d.Cases = s.openCases(r.Context(), sess)
	var notes []string
	if d.ListingsCut {
		notes = append(notes, fmt.Sprintf("Only the first %d listings are shown; markets, accounts and dates seen only in "+
			"the others are not in this page.", maxProfileRows))
	}
	for _, c := range d.Cut {
		notes = append(notes, fmt.Sprintf("Only the first %d %s are shown.", maxProfileRows, c))
	}
	s.render(w, r, sess, "vendor", "Vendor "+handle, d, notes...)
}

// vendorProfile runs the profile's queries, one after the other.
func (s *Server) vendorProfile(ctx context.Context, market, handle string) (*vendorData, error) {
	d := &vendorData{Market: market, Handle: handle}
	res, err := s.fetch(ctx, maxProfileRows, sqlVendorProfiles, handle)
	if err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	d.cut(res, "vendor profiles")
	byKey := map[string]int{}
	for _, row := range res.Rows {
		a := account{Market: str(row[0]), Handle: str(row[1]), Rating: f64(row[2]), Joined: str(row[4]), PGP: strs(row[5]),
			ShipsFrom: str(row[6]), FirstSeen: tm(row[7]), LastSeen: tm(row[8]), Capture: str(row[9]), Profile: true}
		if v, ok := row[3].(int64); ok {
			a.Sales = v
		}
		byKey[a.Market+"\x00"+a.Handle] = len(d.Accounts)
		d.Accounts = append(d.Accounts, a)
	}
	if res, err = s.fetch(ctx, maxProfileRows, sqlVendorListings, handle); err != nil {
		return nil, fmt.Errorf("listings: %w", err)
	}
	d.ListingsCut = res.Truncated
	for _, row := range res.Rows {
		l := vendorListing{Market: str(row[0]), ListingID: str(row[1]), Title: str(row[2]), Category: str(row[3]), Price: f64(row[4]),
			FirstPrice: f64(row[5]), MinPrice: f64(row[6]), MaxPrice: f64(row[7]), Quantity: f64(row[8]), Unit: str(row[9]),
			ShipsFrom: str(row[10]), ShipsTo: str(row[11]), FirstSeen: tm(row[12]), LastSeen: tm(row[13]), Observations: u64(row[14]),
			Capture: str(row[15])}
		d.Listings = append(d.Listings, l)
		// An account seen only in listings (no profile page captured).
		k := l.Market + "\x00" + str(row[16])
		i, ok := byKey[k]
		if !ok {
			byKey[k] = len(d.Accounts)
			d.Accounts = append(d.Accounts, account{Market: l.Market, Handle: str(row[16]), FirstSeen: l.FirstSeen, LastSeen: l.LastSeen})
			continue
		}
		a := &d.Accounts[i]
		if l.FirstSeen.Before(a.FirstSeen) {
			a.FirstSeen = l.FirstSeen
		}
		if l.LastSeen.After(a.LastSeen) {
			a.LastSeen = l.LastSeen
		}
	}
	sort.Slice(d.Accounts, func(i, j int) bool {
		if d.Accounts[i].Market != d.Accounts[j].Market {
			return d.Accounts[i].Market < d.Accounts[j].Market
		}
		return d.Accounts[i].Handle < d.Accounts[j].Handle
	})
	for _, a := range d.Accounts {
		if d.FirstSeen.IsZero() || a.FirstSeen.Before(d.FirstSeen) {
			d.FirstSeen = a.FirstSeen
		}
		if a.LastSeen.After(d.LastSeen) {
			d.LastSeen = a.LastSeen
		}
	}
	for _, c := range []struct {
		sql, name string
		into      *[]countRow
	}{{sqlVendorCategories, "categories", &d.Categories}, {sqlVendorOrigins, "origins", &d.Origins}} {
		res, err := s.fetch(ctx, maxProfileRows, c.sql, handle)
		if err != nil {
			return nil, fmt.Errorf("categories and origins: %w", err)
		}
		d.cut(res, c.name)
		for _, row := range res.Rows {
			*c.into = append(*c.into, countRow{Key: str(row[0]), Listings: u64(row[1]), FirstSeen: tm(row[2]), LastSeen: tm(row[3])})
		}
	}
	if res, err = s.fetch(ctx, maxProfileRows, sqlVendorDestinations, handle); err != nil {
		return nil, fmt.Errorf("destinations: %w", err)
	}
	d.cut(res, "destinations")
	for _, row := range res.Rows {
		d.Destinations = append(d.Destinations, destRow{Country: str(row[0]), Listings: u64(row[1]), Explicit: u64(row[2]),
			Region: u64(row[3]), Worldwide: u64(row[4])})
	}
	if err := s.vendorLinks(ctx, d); err != nil {
		return nil, err
	}
	if err := s.modelLinks(ctx, d); err != nil {
		return nil, err
	}
	if res, err = s.fetch(ctx, maxProfileRows, sqlVendorCrypto, handle, handle); err != nil {
		return nil, fmt.Errorf("crypto addresses: %w", err)
	}
	d.cut(res, "crypto addresses")
	for _, row := range res.Rows {
		d.Crypto = append(d.Crypto, cryptoRow{Address: str(row[0]), Chain: joinNonEmpty(strs(row[1])), Markets: strs(row[2]),
			FirstSeen: tm(row[3]), LastSeen: tm(row[4]), Capture: str(row[5])})
	}
	if res, err = s.saved(ctx, "chain-flows-to-services", map[string]string{"handle": handle, "limit": "200"}, maxProfileRows); err != nil {
		return nil, fmt.Errorf("traced flows: %w", err)
	}
	d.Flows = asTable(res)
	return d, nil
}

// cut records that the section name of res held more rows than shown.
func (d *vendorData) cut(res *query.Result, name string) {
	if res.Truncated {
		d.Cut = append(d.Cut, name)
	}
}
