package export

import (
	"bufio"
	"encoding/csv"
	"fmt"

	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// column is one column of a CSV table: its header and the field it comes
// from ("" for a column derived from several, never minimized).
type column[T any] struct {
	name  string
	field string
	value func(T) string
}

// table writes rows of T as CSV, leaving out the columns of minimized
// fields. Cells that a spreadsheet would read as a formula (= + - @ at the
// start) get a leading apostrophe: page text is untrusted.
type table[T any] struct {
	f    *os.File
	bw   *bufio.Writer
	w    *csv.Writer
	cols []column[T]
	rows int
	rec  []string
}

func newTable[T any](path string, cols []column[T], drop fieldSet) (*table[T], error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	t := &table[T]{f: f, bw: bufio.NewWriterSize(f, 256<<10)}
	t.w = csv.NewWriter(t.bw)
	var header []string
	for _, c := range cols {
		if c.field != "" && drop.has(c.field) {
			continue
		}
		t.cols = append(t.cols, c)
		header = append(header, c.name)
	}
	t.rec = make([]string, len(t.cols))
	if err := t.w.Write(header); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return t, nil
}

func (t *table[T]) write(v T) error {
	for i, c := range t.cols {
		t.rec[i] = cell(c.value(v))
	}
	t.rows++
	return t.w.Write(t.rec)
}

func (t *table[T]) close() error {
	t.w.Flush()
	err := t.w.Error()
	if err == nil {
		err = t.bw.Flush()
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", t.f.Name(), err)
	}
	return nil
}

// cell defuses a spreadsheet formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func ftoa(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func tstr(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func joinList(vs []string) string { return strings.Join(vs, " ") }

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// cryptoList renders parallel chain and address arrays as chain:address.
func cryptoList(chains, addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		c := ""
		if i < len(chains) {
			c = chains[i]
		}
		out[i] = c + ":" + a
	}
	return strings.Join(out, " ")
}

var listingColumns = []column[*Listing]{
	{"market", "", func(l *Listing) string { return l.Source }},
	{"listing_id", "", func(l *Listing) string { return l.ListingID }},
	{"vendor", "", func(l *Listing) string { return l.Vendor }},
	{"title", "listing_obs.title", func(l *Listing) string { return l.Title }},
	{"description", "listing_obs.description", func(l *Listing) string { return l.Description }},
	{"category", "", func(l *Listing) string { return l.Category }},
	{"category_raw", "listing_obs.category_raw", func(l *Listing) string { return l.CategoryRaw }},
	{"price_amount", "listing_obs.price_amount", func(l *Listing) string { return ftoa(l.PriceAmount) }},
	{"price_currency", "listing_obs.price_amount", func(l *Listing) string { return l.PriceCurrency }},
	{"price_usd", "listing_obs.price_usd", func(l *Listing) string { return ftoa(l.PriceUSD) }},
	{"quantity", "listing_obs.quantity", func(l *Listing) string { return ftoa(l.Quantity) }},
	{"unit", "listing_obs.quantity", func(l *Listing) string { return l.Unit }},
	{"ships_from", "", func(l *Listing) string { return l.ShipsFrom }},
	{"ships_to", "", func(l *Listing) string { return joinList(l.ShipsTo) }},
	{"ships_to_raw", "", func(l *Listing) string { return l.ShipsToRaw }},
	{"ships_to_basis", "", func(l *Listing) string { return joinList(bases(l.ShipsToBasis)) }},
	{"payment_methods", "listing_obs.payment_methods", func(l *Listing) string { return joinList(l.PaymentMethods) }},
	{"escrow", "listing_obs.escrow", func(l *Listing) string { return boolStr(l.Escrow) }},
	{"crypto_addresses", "listing_obs.crypto_addresses", func(l *Listing) string { return cryptoList(l.CryptoChains, l.CryptoAddresses) }},
	{"url", "listing_obs.url", func(l *Listing) string { return l.URL }},
	{"mirror", "listing_obs.mirror", func(l *Listing) string { return l.Mirror }},
	{"first_seen", "", func(l *Listing) string { return tstr(l.FirstSeen) }},
	{"last_seen", "", func(l *Listing) string { return tstr(l.LastSeen) }},
	{"observations", "", func(l *Listing) string { return strconv.FormatUint(l.Observations, 10) }},
	{"capture_sha256", "", func(l *Listing) string { return l.CaptureSHA256 }},
	{"stix_id", "", func(l *Listing) string { return listingID(l.Source, l.ListingID) }},
}

// vendorRow is a vendor identity with the threat actor it is grouped in.
type vendorRow struct {
	*Vendor
	actor *actor
}

var vendorColumns = []column[vendorRow]{
	{"market", "", func(v vendorRow) string { return v.Source }},
	{"handle", "", func(v vendorRow) string { return v.Handle }},
	{"actor", "", func(v vendorRow) string { return v.actor.Name }},
	{"actor_stix_id", "", func(v vendorRow) string { return v.actor.ID }},
	{"listings", "", func(v vendorRow) string { return strconv.Itoa(v.Listings) }},
	{"in_package_by", "", func(v vendorRow) string {
		if v.Linked {
			return "link"
		}
		return "selection"
	}},
	{"profile_seen", "", func(v vendorRow) string { return boolStr(v.HasProfile) }},
	{"profile_url", "vendor_obs.profile_url", func(v vendorRow) string { return v.ProfileURL }},
	{"pgp_fingerprints", "vendor_obs.pgp_fingerprints", func(v vendorRow) string { return joinList(v.PGPFingerprints) }},
	{"rating", "vendor_obs.rating", func(v vendorRow) string { return ftoa(v.Rating) }},
	{"sales", "vendor_obs.sales", func(v vendorRow) string {
		if v.Sales == 0 {
			return ""
		}
		return strconv.FormatInt(v.Sales, 10)
	}},
	{"joined", "vendor_obs.joined", func(v vendorRow) string { return v.Joined }},
	{"ships_from", "", func(v vendorRow) string { return v.ShipsFrom }},
	{"contacts", "vendor_obs.contacts", func(v vendorRow) string { return joinList(v.Contacts) }},
	{"crypto_addresses", "vendor_obs.crypto_addresses", func(v vendorRow) string { return cryptoList(v.CryptoChains, v.CryptoAddresses) }},
	{"first_seen", "", func(v vendorRow) string { return tstr(v.FirstSeen) }},
	{"last_seen", "", func(v vendorRow) string { return tstr(v.LastSeen) }},
	{"profile_observations", "", func(v vendorRow) string { return strconv.FormatUint(v.Observations, 10) }},
	{"capture_sha256", "", func(v vendorRow) string { return v.CaptureSHA256 }},
	{"stix_id", "", func(v vendorRow) string { return userAccountID(v.Source, v.Handle) }},
}

// linkRow is a vendor link with whether its evidence is in the package.
type linkRow struct {
	*Link
	evidence map[string]bool
}

func (l linkRow) file(sha string) string {
	if l.evidence[sha] {
		return "evidence/" + sha + ".warc.gz"
	}
	return ""
}

var linkColumns = []column[linkRow]{
	{"market_a", "", func(l linkRow) string { return l.SourceA }},
	{"handle_a", "", func(l linkRow) string { return l.HandleA }},
	{"market_b", "", func(l linkRow) string { return l.SourceB }},
	{"handle_b", "", func(l linkRow) string { return l.HandleB }},
	{"kind", "", func(l linkRow) string { return l.Kind }},
	{"strength", "", func(l linkRow) string { return l.Strength }},
	{"evidence", "", func(l linkRow) string { return l.Evidence }},
	{"capture_a", "", func(l linkRow) string { return l.CaptureA }},
	{"capture_b", "", func(l linkRow) string { return l.CaptureB }},
	{"evidence_file_a", "", func(l linkRow) string { return l.file(l.CaptureA) }},
	{"evidence_file_b", "", func(l linkRow) string { return l.file(l.CaptureB) }},
	{"first_seen_a", "", func(l linkRow) string { return tstr(l.FirstSeenA) }},
	{"last_seen_a", "", func(l linkRow) string { return tstr(l.LastSeenA) }},
	{"first_seen_b", "", func(l linkRow) string { return tstr(l.FirstSeenB) }},
	{"last_seen_b", "", func(l linkRow) string { return tstr(l.LastSeenB) }},
	{"probability", "", func(l linkRow) string {
		if !l.Score.Scored {
			return ""
		}
		return strconv.FormatFloat(l.Score.Probability, 'f', 3, 64)
	}},
	{"contributions", "", func(l linkRow) string { return l.Score.Explain() }},
}

// sighting is one place a crypto address was shown.
type sighting struct {
	Address, Chain, Source, Kind, Ref, Actor string
	FirstSeen, LastSeen                      time.Time
	Observations                             uint64
	CaptureSHA256                            string
}

var cryptoColumns = []column[*sighting]{
	{"address", "", func(s *sighting) string { return s.Address }},
	{"chain", "", func(s *sighting) string { return s.Chain }},
	{"market", "", func(s *sighting) string { return s.Source }},
	{"kind", "", func(s *sighting) string { return s.Kind }},
	{"ref", "", func(s *sighting) string { return s.Ref }},
	{"vendor", "", func(s *sighting) string { return s.Actor }},
	{"first_seen", "", func(s *sighting) string { return tstr(s.FirstSeen) }},
	{"last_seen", "", func(s *sighting) string { return tstr(s.LastSeen) }},
	{"observations", "", func(s *sighting) string { return strconv.FormatUint(s.Observations, 10) }},
	{"capture_sha256", "", func(s *sighting) string { return s.CaptureSHA256 }},
	{"stix_id", "", func(s *sighting) string { return walletID(s.Address) }},
}

// RouteRow is one route of the package: listings shipping from one country
// to another.
type RouteRow struct {
	From, To            string
	Listings, Vendors   int
	Categories          []string
	MedianPriceUSD      float64
	FirstSeen, LastSeen time.Time
}

var routeColumns = []column[*RouteRow]{
	{"ships_from", "", func(r *RouteRow) string { return r.From }},
	{"ships_to", "", func(r *RouteRow) string { return r.To }},
	{"listings", "", func(r *RouteRow) string { return strconv.Itoa(r.Listings) }},
	{"vendors", "", func(r *RouteRow) string { return strconv.Itoa(r.Vendors) }},
	{"categories", "", func(r *RouteRow) string { return joinList(r.Categories) }},
	{"median_price_usd", "listing_obs.price_usd", func(r *RouteRow) string { return ftoa(r.MedianPriceUSD) }},
	{"first_seen", "", func(r *RouteRow) string { return tstr(r.FirstSeen) }},
	{"last_seen", "", func(r *RouteRow) string { return tstr(r.LastSeen) }},
}

// writeAll writes rows into a new table file.
func writeAll[T any](path string, cols []column[T], drop fieldSet, rows []T) error {
	t, err := newTable(path, cols, drop)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := t.write(r); err != nil {
			t.close()
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return t.close()
}

// median of xs (sorted in place); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

// bases lists the distinct destination bases of a listing, sorted
// (explicit, region, worldwide).
func bases(perCountry []string) []string {
	var out []string
	for _, b := range perCountry {
		if b != "" && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return out
}
