package reference

import (
	"strings"
)

// Field is one field a package can carry, named as partners.yaml and
// --minimize name it (table.column).
type Field struct {
	Name string
	// Minimizable fields can be left out of a package; the others
	// identify records and go in every package.
	Minimizable bool
	// Page is set for fields a captured page shows: a partner that
	// excludes one cannot receive the pages (only an index of them).
	Page bool
}

// Fields are every field a package can carry.
var Fields = []Field{
	{"listing_obs.source", false, false}, {"listing_obs.listing_id", false, false}, {"listing_obs.vendor", false, true},
	{"listing_obs.category", false, false}, {"listing_obs.ships_from", false, true}, {"listing_obs.ships_to", false, true},
	{"listing_obs.observed_at", false, false}, {"listing_obs.capture_sha256", false, false},
	{"listing_obs.mirror", true, true}, {"listing_obs.url", true, true}, {"listing_obs.title", true, true},
	{"listing_obs.description", true, true}, {"listing_obs.category_raw", true, true},
	{"listing_obs.price_amount", true, true}, {"listing_obs.price_usd", true, false}, {"listing_obs.quantity", true, true},
	{"listing_obs.payment_methods", true, true}, {"listing_obs.escrow", true, true}, {"listing_obs.crypto_addresses", true, true},
	{"vendor_obs.source", false, false}, {"vendor_obs.handle", false, true}, {"vendor_obs.ships_from", false, true},
	{"vendor_obs.observed_at", false, false}, {"vendor_obs.capture_sha256", false, false},
	{"vendor_obs.profile_url", true, true}, {"vendor_obs.pgp_fingerprints", true, true}, {"vendor_obs.rating", true, true},
	{"vendor_obs.sales", true, true}, {"vendor_obs.joined", true, true}, {"vendor_obs.contacts", true, true},
	{"vendor_obs.crypto_addresses", true, true},
}

// NeverExported are fields of the warehouse no package ever carries
// (forum posts): a partner may exclude them, which changes nothing.
var NeverExported = []string{
	"post_obs.source", "post_obs.mirror", "post_obs.url", "post_obs.forum", "post_obs.thread_id", "post_obs.thread_title",
	"post_obs.post_id", "post_obs.author", "post_obs.posted_at", "post_obs.body", "post_obs.markets", "post_obs.vendors",
	"post_obs.onions", "post_obs.crypto_addresses", "post_obs.pgp_fingerprints", "post_obs.observed_at",
}

// MatchFields expands a name as partners.yaml and --minimize take it: a
// table.column, or a bare column name meaning that column of every table
// ("contacts", "crypto_addresses").
func MatchFields(name string) []Field {
	var out []Field
	for _, f := range Fields {
		_, col, _ := strings.Cut(f.Name, ".")
		if f.Name == name || (!strings.Contains(name, ".") && col == name) {
			out = append(out, f)
		}
	}
	return out
}

// KnownField reports whether name is a field (or bare column) of a
// package or of the data never exported.
func KnownField(name string) bool {
	if len(MatchFields(name)) > 0 {
		return true
	}
	for _, n := range NeverExported {
		_, col, _ := strings.Cut(n, ".")
		if n == name || (!strings.Contains(name, ".") && col == name) {
			return true
		}
	}
	return false
}
