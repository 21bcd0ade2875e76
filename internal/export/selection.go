package export

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Selection says which records a package holds. Filters of different kinds
// combine with AND, values of one kind with OR; an empty filter selects
// everything of its kind.
type Selection struct {
	// Vendors are vendor identities: "market:handle", or a bare handle for
	// that handle on every market.
	Vendors []string `json:"vendors,omitempty"`
	// Markets are market ids (site names).
	Markets []string `json:"markets,omitempty"`
	// Routes are listings shipping from From to To (alpha-2; either may be
	// empty for any).
	Routes []Route `json:"routes,omitempty"`
	// Jurisdictions are alpha-2 codes a listing ships from or to.
	Jurisdictions []string `json:"jurisdictions,omitempty"`
	// Since and Until bound the observation time (inclusive; zero: open).
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// Route is a ships_from -> ships_to filter.
type Route struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// String renders the route as FROM:TO.
func (r Route) String() string { return r.From + ":" + r.To }

// ParseRoute reads FROM:TO (alpha-2 codes; one side may be empty).
func ParseRoute(s string) (Route, error) {
	from, to, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(s)), ":")
	if !ok || (from == "" && to == "") || !countryOrEmpty(from) || !countryOrEmpty(to) {
		return Route{}, fmt.Errorf("route %q: want FROM:TO with ISO 3166-1 alpha-2 codes, e.g. NL:DE (one side may be empty)", s)
	}
	return Route{From: from, To: to}, nil
}

var (
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
	marketID    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
)

func countryOrEmpty(s string) bool { return s == "" || countryCode.MatchString(s) }

// Normalize upper-cases country codes, trims and de-duplicates values, and
// checks their form; it returns every problem at once.
func (s *Selection) Normalize() error {
	var errs []string
	clean := func(vs []string, upper bool) []string {
		var out []string
		for _, v := range vs {
			v = strings.TrimSpace(v)
			if upper {
				v = strings.ToUpper(v)
			}
			if v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		return out
	}
	s.Vendors, s.Markets, s.Jurisdictions = clean(s.Vendors, false), clean(s.Markets, false), clean(s.Jurisdictions, true)
	for _, m := range s.Markets {
		if !marketID.MatchString(m) {
			errs = append(errs, fmt.Sprintf("market %q: not a market id", m))
		}
	}
	for _, v := range s.Vendors {
		if market, handle, ok := strings.Cut(v, ":"); ok && (!marketID.MatchString(market) || handle == "") {
			errs = append(errs, fmt.Sprintf("vendor %q: want market:handle or handle", v))
		}
		if len(v) > 300 {
			errs = append(errs, fmt.Sprintf("vendor %q...: too long", v[:40]))
		}
	}
	for _, j := range s.Jurisdictions {
		if !countryCode.MatchString(j) {
			errs = append(errs, fmt.Sprintf("jurisdiction %q: want an ISO 3166-1 alpha-2 code", j))
		}
	}
	for i, r := range s.Routes {
		r.From, r.To = strings.ToUpper(r.From), strings.ToUpper(r.To)
		if (r.From == "" && r.To == "") || !countryOrEmpty(r.From) || !countryOrEmpty(r.To) {
			errs = append(errs, fmt.Sprintf("route %q: want alpha-2 codes", r.String()))
		}
		s.Routes[i] = r
	}
	s.Since, s.Until = s.Since.UTC(), s.Until.UTC()
	if !s.Since.IsZero() && !s.Until.IsZero() && s.Until.Before(s.Since) {
		errs = append(errs, "until is before since")
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid selection: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Describe renders the selection in one line, for the audit and reports.
func (s Selection) Describe() string {
	var parts []string
	add := func(k string, vs []string) {
		if len(vs) > 0 {
			parts = append(parts, k+"="+strings.Join(vs, ","))
		}
	}
	add("vendor", s.Vendors)
	add("market", s.Markets)
	var rs []string
	for _, r := range s.Routes {
		rs = append(rs, r.String())
	}
	add("route", rs)
	add("jurisdiction", s.Jurisdictions)
	if !s.Since.IsZero() {
		parts = append(parts, "since="+s.Since.Format(time.RFC3339))
	}
	if !s.Until.IsZero() {
		parts = append(parts, "until="+s.Until.Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return "everything"
	}
	return strings.Join(parts, " ")
}

// vendorKeys splits the vendor filter into market:handle keys and bare
// handles.
func (s Selection) vendorKeys() (qualified, bare []string) {
	for _, v := range s.Vendors {
		if strings.Contains(v, ":") {
			qualified = append(qualified, v)
		} else {
			bare = append(bare, v)
		}
	}
	return qualified, bare
}

// Where is the condition (" WHERE ..." or "") the exporter applies to
// listing_obs for this selection, with its bound values. Code that counts
// what an export will hold before it is built (the four-eyes review in
// internal/cases) uses it, so it selects exactly what the exporter selects.
func (s Selection) Where() (string, []any) { return s.where() }

// VendorWhere is the condition (" WHERE ..." or "" when the selection names
// no vendor) on vendor_obs for the vendors the selection names, bounded in
// time as the listings are.
func (s Selection) VendorWhere() (string, []any) {
	q, b := s.vendorKeys()
	if len(q) == 0 && len(b) == 0 {
		return "", nil
	}
	c, args := vendorCond("handle", q, b)
	tw, ta := s.timeWhere()
	return " WHERE " + strings.Join(append([]string{c}, tw...), " AND "), append(args, ta...)
}

// where builds the WHERE clause of a listing_obs query. The SQL text is
// fixed; every value is a bound parameter.
func (s Selection) where() (string, []any) {
	var conds []string
	var args []any
	if len(s.Markets) > 0 {
		conds = append(conds, "has(?, source)")
		args = append(args, s.Markets)
	}
	if q, b := s.vendorKeys(); len(q) > 0 || len(b) > 0 {
		c, a := vendorCond("vendor", q, b)
		conds, args = append(conds, c), append(args, a...)
	}
	if len(s.Routes) > 0 {
		var ors []string
		for _, r := range s.Routes {
			switch {
			case r.From != "" && r.To != "":
				ors = append(ors, "(ships_from = ? AND has(ships_to, ?))")
				args = append(args, r.From, r.To)
			case r.From != "":
				ors = append(ors, "ships_from = ?")
				args = append(args, r.From)
			default:
				ors = append(ors, "has(ships_to, ?)")
				args = append(args, r.To)
			}
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if len(s.Jurisdictions) > 0 {
		conds = append(conds, "(has(?, ships_from) OR hasAny(ships_to, ?))")
		args = append(args, s.Jurisdictions, s.Jurisdictions)
	}
	w, a := s.timeWhere()
	conds, args = append(conds, w...), append(args, a...)
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// vendorCond is the condition matching a row whose source:handle is one
// of keys or whose handle is one of bare (handle is the column holding the
// handle); at least one of keys and bare is not empty.
func vendorCond(handle string, keys, bare []string) (string, []any) {
	qualified := "has(?, concat(source, ':', " + handle + "))"
	switch {
	case len(keys) > 0 && len(bare) > 0:
		return "(" + qualified + " OR has(?, " + handle + "))", []any{keys, bare}
	case len(keys) > 0:
		return qualified, []any{keys}
	default:
		return "has(?, " + handle + ")", []any{bare}
	}
}

// timeWhere bounds observed_at by Since and Until.
func (s Selection) timeWhere() ([]string, []any) {
	var conds []string
	var args []any
	if !s.Since.IsZero() {
		conds = append(conds, "observed_at >= toDateTime(?)")
		args = append(args, clampUnix(s.Since))
	}
	if !s.Until.IsZero() {
		conds = append(conds, "observed_at <= toDateTime(?)")
		args = append(args, clampUnix(s.Until))
	}
	return conds, args
}

func clampUnix(t time.Time) uint32 {
	u := t.Unix()
	return uint32(min(max(u, 0), 1<<32-1))
}

// Listing is the latest state of one listing within the selection's time
// window, with when it was seen and the page that shows it.
type Listing struct {
	Source, ListingID, Mirror, URL string
	Title, Description             string
	Category, CategoryRaw, Vendor  string
	PriceAmount                    float64
	PriceCurrency                  string
	PriceUSD, Quantity             float64
	Unit, ShipsFrom                string
	ShipsTo, PaymentMethods        []string
	// ShipsToRaw is the shipping text as the page showed it, and
	// ShipsToBasis why the listing ships to each of ShipsTo (explicit,
	// region, worldwide), so a partner can tell "Germany" from "Worldwide".
	ShipsToRaw                    string
	ShipsToBasis                  []string
	Escrow                        bool
	CryptoChains, CryptoAddresses []string
	FirstSeen, LastSeen           time.Time
	Observations                  uint64
	CaptureSHA256                 string
}

// VendorKey is market:handle of the listing's vendor.
func (l *Listing) VendorKey() string { return l.Source + ":" + l.Vendor }

// querySettings raise the query size limit, since vendor lists are bound
// into the query text.
var querySettings = clickhouse.Settings{"max_query_size": 64 << 20}

// streamListings runs the listing query and calls fn for each row, in
// (source, listing_id) order. Minimized columns are not read at all.
func streamListings(ctx context.Context, conn driver.Conn, sel Selection, drop fieldSet, fn func(*Listing) error) error {
	col := func(field, expr string) string {
		if drop.has("listing_obs." + field) {
			switch field {
			case "price_amount", "price_usd", "quantity":
				return "toFloat64(0)"
			case "payment_methods", "crypto_addresses", "crypto_chains":
				return "emptyArrayString()"
			case "escrow":
				return "toUInt8(0)"
			}
			return "''"
		}
		return expr
	}
	where, args := sel.where()
	query := "SELECT source, listing_id, " +
		col("mirror", "argMax(mirror, observed_at)") + ", " +
		col("url", "argMax(url, observed_at)") + ", " +
		col("title", "argMax(title, observed_at)") + ", " +
		col("description", "argMax(description, observed_at)") + ", " +
		"argMax(category, observed_at), " +
		col("category_raw", "argMax(category_raw, observed_at)") + ", " +
		"argMax(vendor, observed_at), " +
		col("price_amount", "argMax(price_amount, observed_at)") + ", " +
		col("price_amount", "argMax(price_currency, observed_at)") + ", " +
		col("price_usd", "argMax(price_usd, observed_at)") + ", " +
		col("quantity", "argMax(quantity, observed_at)") + ", " +
		col("quantity", "argMax(unit, observed_at)") + ", " +
		"argMax(ships_from, observed_at), argMax(ships_to, observed_at), " +
		"argMax(ships_to_raw, observed_at), argMax(ships_to_basis, observed_at), " +
		col("payment_methods", "argMax(payment_methods, observed_at)") + ", " +
		col("escrow", "argMax(escrow, observed_at)") + ", " +
		col("crypto_addresses", "argMax(crypto_chains, observed_at)") + ", " +
		col("crypto_addresses", "argMax(crypto_addresses, observed_at)") + ", " +
		"min(observed_at), max(observed_at), uniqExact(event_id), argMax(capture_sha256, observed_at) " +
		"FROM listing_obs" + where + " GROUP BY source, listing_id ORDER BY source, listing_id"
	rows, err := conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(querySettings)), query, args...)
	if err != nil {
		return fmt.Errorf("selecting listings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Listing
		var escrow uint8
		if err := rows.Scan(&l.Source, &l.ListingID, &l.Mirror, &l.URL, &l.Title, &l.Description, &l.Category,
			&l.CategoryRaw, &l.Vendor, &l.PriceAmount, &l.PriceCurrency, &l.PriceUSD, &l.Quantity, &l.Unit,
			&l.ShipsFrom, &l.ShipsTo, &l.ShipsToRaw, &l.ShipsToBasis, &l.PaymentMethods, &escrow, &l.CryptoChains, &l.CryptoAddresses,
			&l.FirstSeen, &l.LastSeen, &l.Observations, &l.CaptureSHA256); err != nil {
			return fmt.Errorf("selecting listings: reading a row: %w", err)
		}
		l.Escrow = escrow != 0
		l.FirstSeen, l.LastSeen = l.FirstSeen.UTC(), l.LastSeen.UTC()
		if err := fn(&l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("selecting listings: %w", err)
	}
	return nil
}

// Vendor is one vendor identity (market, handle): its latest profile in the
// time window when the warehouse has one, and what the package's listings
// say about it.
type Vendor struct {
	Source, Handle  string
	HasProfile      bool
	ProfileURL      string
	PGPFingerprints []string
	Rating          float64
	Sales           int64
	Joined          string
	ShipsFrom       string
	Contacts        []string
	CryptoChains    []string
	CryptoAddresses []string
	FirstSeen       time.Time
	LastSeen        time.Time
	Observations    uint64
	CaptureSHA256   string
	// Listings counts the package's listings by this vendor; Linked is set
	// for an identity that is in the package only because a selected one
	// links to it.
	Listings int
	Linked   bool
}

// Key is market:handle.
func (v *Vendor) Key() string { return v.Source + ":" + v.Handle }

// selectProfiles reads the latest profile of each vendor identity in keys
// (market:handle) or with a handle in bare.
func selectProfiles(ctx context.Context, conn driver.Conn, keys, bare []string, sel Selection, drop fieldSet) ([]Vendor, error) {
	if len(keys) == 0 && len(bare) == 0 {
		return nil, nil
	}
	col := func(field, expr, zero string) string {
		if drop.has("vendor_obs." + field) {
			return zero
		}
		return expr
	}
	c, args := vendorCond("handle", keys, bare)
	conds := []string{c}
	tw, ta := sel.timeWhere()
	conds, args = append(conds, tw...), append(args, ta...)
	query := "SELECT source, handle, " +
		col("profile_url", "argMax(profile_url, observed_at)", "''") + ", " +
		col("pgp_fingerprints", "argMax(pgp_fingerprints, observed_at)", "emptyArrayString()") + ", " +
		col("rating", "argMax(rating, observed_at)", "toFloat64(0)") + ", " +
		col("sales", "argMax(sales, observed_at)", "toInt64(0)") + ", " +
		col("joined", "argMax(joined, observed_at)", "''") + ", " +
		"argMax(ships_from, observed_at), " +
		col("contacts", "argMax(contacts, observed_at)", "emptyArrayString()") + ", " +
		col("crypto_addresses", "argMax(crypto_chains, observed_at)", "emptyArrayString()") + ", " +
		col("crypto_addresses", "argMax(crypto_addresses, observed_at)", "emptyArrayString()") + ", " +
		"min(observed_at), max(observed_at), uniqExact(event_id), argMax(capture_sha256, observed_at) " +
		"FROM vendor_obs WHERE " + strings.Join(conds, " AND ") + " GROUP BY source, handle ORDER BY source, handle"
	rows, err := conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(querySettings)), query, args...)
	if err != nil {
		return nil, fmt.Errorf("selecting vendor profiles: %w", err)
	}
	defer rows.Close()
	var out []Vendor
	for rows.Next() {
		v := Vendor{HasProfile: true}
		if err := rows.Scan(&v.Source, &v.Handle, &v.ProfileURL, &v.PGPFingerprints, &v.Rating, &v.Sales, &v.Joined,
			&v.ShipsFrom, &v.Contacts, &v.CryptoChains, &v.CryptoAddresses, &v.FirstSeen, &v.LastSeen,
			&v.Observations, &v.CaptureSHA256); err != nil {
			return nil, fmt.Errorf("selecting vendor profiles: reading a row: %w", err)
		}
		v.FirstSeen, v.LastSeen = v.FirstSeen.UTC(), v.LastSeen.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("selecting vendor profiles: %w", err)
	}
	return out, nil
}

// Link is one row of the vendor_links view: two vendor identities sharing
// an identifier, with the pages that show it on each side; or a pair the
// identity model linked (Kind "identity_model") without a shared
// identifier. Where the latest `counternet links build` scored the pair,
// Scored is set and the model's probability and each signal's
// contribution come with it.
type Link struct {
	SourceA, HandleA, SourceB, HandleB string
	Kind, Evidence, Strength           string
	CaptureA, CaptureB                 string
	FirstSeenA, LastSeenA              time.Time
	FirstSeenB, LastSeenB              time.Time
	Score                              LinkScore
}

// LinkScore is the identity model's word on a pair (vendor_link_scores).
type LinkScore struct {
	Scored       bool
	Probability  float64 // 0 to 1
	Linked       bool    // at or above the build's threshold and clustered together
	Baseline     float64 // log-odds of a pair no signal speaks for
	Signals      []string
	Contribution []float64 // log-odds, parallel to Signals
	Evidence     []string  // parallel to Signals
	ModelVersion string
}

// Confidence is the STIX confidence (0-100) of the probability.
func (s LinkScore) Confidence() int { return int(math.Round(s.Probability * 100)) }

// Explain says the probability and each signal's contribution:
// "p=0.97: pgp +9.81, handle +2.10 (baseline -8.60; model lr-…)".
func (s LinkScore) Explain() string {
	if !s.Scored {
		return ""
	}
	var parts []string
	for i, sig := range s.Signals {
		parts = append(parts, fmt.Sprintf("%s %+.2f", sig, s.Contribution[i]))
	}
	return fmt.Sprintf("p=%.3f: %s (log-odds; baseline %+.2f; model %s)", s.Probability, strings.Join(parts, ", "), s.Baseline, s.ModelVersion)
}

// KeyA and KeyB are market:handle of the two sides.
func (l *Link) KeyA() string { return l.SourceA + ":" + l.HandleA }

// KeyB is market:handle of the second side.
func (l *Link) KeyB() string { return l.SourceB + ":" + l.HandleB }

// selectLinks reads the vendor_links rows touching any of keys, with the
// scores of the latest links build, and the pairs that build linked
// without a shared identifier.
func selectLinks(ctx context.Context, conn driver.Conn, keys []string) ([]Link, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(querySettings)),
		"SELECT source_a, handle_a, source_b, handle_b, kind, evidence, strength, capture_a, capture_b, "+
			"first_seen_a, last_seen_a, first_seen_b, last_seen_b FROM vendor_links "+
			"WHERE has(?, concat(source_a, ':', handle_a)) OR has(?, concat(source_b, ':', handle_b)) "+
			"ORDER BY source_a, handle_a, source_b, handle_b, kind, evidence", keys, keys)
	if err != nil {
		return nil, fmt.Errorf("selecting vendor links: %w", err)
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.SourceA, &l.HandleA, &l.SourceB, &l.HandleB, &l.Kind, &l.Evidence, &l.Strength,
			&l.CaptureA, &l.CaptureB, &l.FirstSeenA, &l.LastSeenA, &l.FirstSeenB, &l.LastSeenB); err != nil {
			return nil, fmt.Errorf("selecting vendor links: reading a row: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("selecting vendor links: %w", err)
	}
	return addLinkScores(ctx, conn, keys, out)
}

// ScoredPair is one row of the latest build of vendor_link_scores: two
// accounts, the model's score, and per signal the captured page showing
// its evidence on each side ("" when no one page does).
type ScoredPair struct {
	SourceA, HandleA, SourceB, HandleB string
	Score                              LinkScore
	CapturesA, CapturesB               []string
}

// KeyA and KeyB are market:handle of the two sides.
func (p *ScoredPair) KeyA() string { return p.SourceA + ":" + p.HandleA }

// KeyB is market:handle of the second side.
func (p *ScoredPair) KeyB() string { return p.SourceB + ":" + p.HandleB }

// LinkScores reads the latest links build's scored pairs touching any of
// keys (market:handle), in key order. Without vendor_link_scores (a
// database migrated before 0120) or a build it returns none. The export
// and the console's vendor profile read scores through it.
func LinkScores(ctx context.Context, conn driver.Conn, keys []string) ([]ScoredPair, error) {
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'vendor_link_scores'").Scan(&n); err != nil {
		return nil, fmt.Errorf("selecting vendor link scores: %w", err)
	}
	if n == 0 || len(keys) == 0 {
		return nil, nil
	}
	rows, err := conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(querySettings)),
		"SELECT source_a, handle_a, source_b, handle_b, probability, linked, baseline, signals, contributions, evidence, "+
			"captures_a, captures_b, model_version FROM vendor_link_scores "+
			"WHERE built_at = (SELECT max(built_at) FROM vendor_link_scores) "+
			"AND (has(?, concat(source_a, ':', handle_a)) OR has(?, concat(source_b, ':', handle_b))) "+
			"ORDER BY source_a, handle_a, source_b, handle_b", keys, keys)
	if err != nil {
		return nil, fmt.Errorf("selecting vendor link scores: %w", err)
	}
	defer rows.Close()
	var out []ScoredPair
	for rows.Next() {
		var p ScoredPair
		var linked uint8
		if err := rows.Scan(&p.SourceA, &p.HandleA, &p.SourceB, &p.HandleB, &p.Score.Probability, &linked, &p.Score.Baseline, &p.Score.Signals,
			&p.Score.Contribution, &p.Score.Evidence, &p.CapturesA, &p.CapturesB, &p.Score.ModelVersion); err != nil {
			return nil, fmt.Errorf("selecting vendor link scores: reading a row: %w", err)
		}
		ns := len(p.Score.Signals)
		if len(p.Score.Contribution) != ns || len(p.Score.Evidence) != ns || len(p.CapturesA) != ns || len(p.CapturesB) != ns {
			return nil, fmt.Errorf("selecting vendor link scores: %s %s has %d signals but %d contributions, %d evidences and %d/%d captures",
				p.KeyA(), p.KeyB(), ns, len(p.Score.Contribution), len(p.Score.Evidence), len(p.CapturesA), len(p.CapturesB))
		}
		p.Score.Scored, p.Score.Linked = true, linked == 1
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("selecting vendor link scores: %w", err)
	}
	return out, nil
}

// addLinkScores attaches the latest links build's scores to links and adds
// the pairs it linked that share no identifier. Without vendor_link_scores
// (a database migrated before 0120) or a build, links are as they are.
func addLinkScores(ctx context.Context, conn driver.Conn, keys []string, links []Link) ([]Link, error) {
	pairs, err := LinkScores(ctx, conn, keys)
	if err != nil {
		return nil, err
	}
	scores := map[[4]string]*ScoredPair{}
	for i := range pairs {
		p := &pairs[i]
		scores[[4]string{p.SourceA, p.HandleA, p.SourceB, p.HandleB}] = p
	}
	covered := map[[4]string]bool{}
	for i := range links {
		l := &links[i]
		k := [4]string{l.SourceA, l.HandleA, l.SourceB, l.HandleB}
		if p := scores[k]; p != nil {
			l.Score = p.Score
			covered[k] = true
		}
	}
	for i := range pairs {
		p := &pairs[i]
		if covered[[4]string{p.SourceA, p.HandleA, p.SourceB, p.HandleB}] || !p.Score.Linked {
			continue
		}
		l := Link{SourceA: p.SourceA, HandleA: p.HandleA, SourceB: p.SourceB, HandleB: p.HandleB, Kind: "identity_model", Strength: "model",
			Evidence: strings.Join(p.Score.Evidence, "; "), Score: p.Score}
		for j := range p.CapturesA {
			if l.CaptureA == "" && p.CapturesA[j] != "" {
				l.CaptureA = p.CapturesA[j]
			}
			if l.CaptureB == "" && p.CapturesB[j] != "" {
				l.CaptureB = p.CapturesB[j]
			}
		}
		links = append(links, l)
	}
	return links, nil
}
