package event

import (
	"fmt"
	"regexp"
)

// Bases of a listing's PriceUSD.
const (
	// BasisPagePrice: the page itself shows the price in US dollars.
	BasisPagePrice = "page_price"
	// BasisPageRate: converted with an exchange rate the page states.
	BasisPageRate = "page_rate"
	// BasisCaptureRate: converted with an operator rate valid for the
	// capture date.
	BasisCaptureRate = "capture_rate"
	// BasisNone: no USD amount; the price was not converted (no rate
	// valid for the capture date, or no price).
	BasisNone = "none"
)

// PriceBases lists the values Listing.PriceUSDBasis may take ("" too).
var PriceBases = []string{BasisPagePrice, BasisPageRate, BasisCaptureRate, BasisNone}

// Bases of a destination in ShipsTo (ShipsToBasis).
const (
	DestExplicit  = "explicit"  // the page names the country
	DestRegion    = "region"    // a region the page names (EU, Europe) covers it
	DestWorldwide = "worldwide" // a worldwide term covers it
)

// DestBases lists the values of ShipsToBasis.
var DestBases = []string{DestExplicit, DestRegion, DestWorldwide}

// Product classes of a listing.
const (
	ClassPhysical = "physical"
	ClassDigital  = "digital"
)

// Attribute types: the parser a site file gave an attributes.<key> field.
const (
	AttrText      = "text"
	AttrInt       = "int"
	AttrFloat     = "float"
	AttrBool      = "bool"
	AttrDate      = "date"
	AttrMoney     = "money"
	AttrCountry   = "country"
	AttrCountries = "countries"
)

// AttrTypes lists the attribute types.
var AttrTypes = []string{AttrText, AttrInt, AttrFloat, AttrBool, AttrDate, AttrMoney, AttrCountry, AttrCountries}

// AttrKeyRE is what an attribute key looks like.
var AttrKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// MaxAttributes bounds the attributes of one event.
const MaxAttributes = 64

// Attr is one value a page shows that no fixed field covers, in a
// canonical text form for its type: int as a decimal integer, float as a
// decimal number, bool "true" or "false", date RFC 3339 in UTC, money
// "<amount> <currency>", country an alpha-2 code, countries alpha-2 codes
// joined with ",", text as shown. A value its type could not read is kept
// as text (Type "text") and its key flagged "attributes.<key>".
type Attr struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Contact kinds of a Contact.
var ContactKinds = []string{"telegram", "jabber", "wickr", "session", "signal", "icq", "tox", "email"}

// Contact is a contact handle with its kind (one of ContactKinds).
type Contact struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// ShippingOption is one shipping choice a listing offers: "Standard - 5
// days - USD +5.00".
type ShippingOption struct {
	Method   string `json:"method,omitempty"`
	Cost     Money  `json:"cost"`
	Duration string `json:"duration,omitempty"`
	// Destinations are alpha-2 codes the option names, if any.
	Destinations []string `json:"destinations,omitempty"`
	Raw          string   `json:"raw"`
}

// HistoryClaim is a vendor's claim of history on another market: "Dream
// 3700 deals, 4.82/5".
type HistoryClaim struct {
	Market    string  `json:"market"`
	Sales     int64   `json:"sales,omitempty"`
	Rating    float64 `json:"rating,omitempty"`
	RatingMax float64 `json:"rating_max,omitempty"`
	Raw       string  `json:"raw"`
}

// attrErrors reports malformed attributes.
func attrErrors(attrs []Attr) []string {
	var errs []string
	if len(attrs) > MaxAttributes {
		errs = append(errs, fmt.Sprintf("%d attributes, at most %d", len(attrs), MaxAttributes))
	}
	seen := map[string]bool{}
	for _, a := range attrs {
		switch {
		case !AttrKeyRE.MatchString(a.Key):
			errs = append(errs, fmt.Sprintf("attribute key %q is not [a-z][a-z0-9_]{0,63}", Cut(a.Key, 80)))
		case seen[a.Key]:
			errs = append(errs, fmt.Sprintf("attribute %q twice", a.Key))
		case !oneOf(a.Type, AttrTypes):
			errs = append(errs, fmt.Sprintf("attribute %q has type %q, want one of %v", a.Key, Cut(a.Type, 80), AttrTypes))
		case len(a.Value) > MaxDescription:
			errs = append(errs, fmt.Sprintf("attribute %q value over its bound", a.Key))
		}
		seen[a.Key] = true
	}
	return errs
}

// destErrors reports malformed destination lists: codes, bases parallel to
// them.
func destErrors(to, basis, excluded []string) []string {
	var errs []string
	for _, c := range to {
		if !isCountryCode(c) {
			errs = append(errs, fmt.Sprintf("ships_to %q is not an alpha-2 code", Cut(c, 80)))
		}
	}
	if len(basis) > 0 && len(basis) != len(to) {
		errs = append(errs, fmt.Sprintf("ships_to_basis has %d entries for %d destinations", len(basis), len(to)))
	}
	for _, b := range basis {
		if !oneOf(b, DestBases) {
			errs = append(errs, fmt.Sprintf("ships_to_basis %q, want one of %v", Cut(b, 80), DestBases))
			break
		}
	}
	for _, c := range excluded {
		if !isCountryCode(c) {
			errs = append(errs, fmt.Sprintf("ships_to_excluded %q is not an alpha-2 code", Cut(c, 80)))
		}
	}
	return errs
}

func contactErrors(cs []Contact) []string {
	for _, c := range cs {
		if !oneOf(c.Kind, ContactKinds) {
			return []string{fmt.Sprintf("contact kind %q, want one of %v", Cut(c.Kind, 80), ContactKinds)}
		}
		if c.Value == "" || len(c.Value) > MaxText {
			return []string{fmt.Sprintf("%s contact empty or over its bound", c.Kind)}
		}
	}
	return nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// countErrors reports negative counts; args alternate a name (string) and
// its count (*int64, nil when not shown).
func countErrors(args ...any) []string {
	var errs []string
	for i := 0; i+1 < len(args); i += 2 {
		if n, _ := args[i+1].(*int64); n != nil && *n < 0 {
			errs = append(errs, fmt.Sprintf("%s %d is negative", args[i], *n))
		}
	}
	return errs
}
