package normalize

import (
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// Rates converts prices to US dollars at one point in time.
type Rates struct {
	// AsOf is when the rates were taken.
	AsOf time.Time
	// USDPer maps a currency code (upper case, as in event.Money) to the
	// US dollars one unit of it is worth: USDPer["BTC"] = 65000.
	USDPer map[string]float64
}

// USD converts m to US dollars, rounded to 4 decimals; ok is false when no
// usable rate is known for m's currency. USD needs no rate.
func (r Rates) USD(m event.Money) (float64, bool) {
	if m.Currency == "" || math.IsNaN(m.Amount) || math.IsInf(m.Amount, 0) {
		return 0, false
	}
	if m.Currency == "USD" {
		return m.Amount, true
	}
	rate, ok := r.USDPer[m.Currency]
	if !ok || !(rate > 0) || math.IsInf(rate, 0) {
		return 0, false
	}
	v := m.Amount * rate
	if math.IsInf(v, 0) {
		return 0, false
	}
	return math.Round(v*1e4) / 1e4, true
}

// flags collects the names of fields that did not normalize.
type flags []string

func (f *flags) add(name string) {
	if !slices.Contains(*f, name) {
		*f = append(*f, name)
	}
}

// fields reads a record's fields with their parsers.
type fields struct {
	rec   pipeline.Record
	flags *flags
}

// get returns the raw value and effective parser of a field; ok is false
// when the record does not have it.
func (fs fields) get(name string) (raw, parser string, ok bool) {
	f, ok := fs.rec.Fields[name]
	if !ok {
		return "", "", false
	}
	parser = f.Parser
	if parser == "" {
		if ps, known := pipeline.ParsersFor(fs.rec.Type, name); known {
			parser = ps[0]
		} else {
			parser = pipeline.ParserText
		}
	}
	return clean(f.Raw), parser, true
}

// text returns a field as bounded text, flagging "<name>:truncated" when
// it was cut.
func (fs fields) text(name string, max int) string {
	raw, _, ok := fs.get(name)
	if !ok {
		return ""
	}
	return fs.bound(name, raw, max)
}

func (fs fields) bound(name, s string, max int) string {
	if len(s) <= max {
		return s
	}
	fs.flags.add(name + ":truncated")
	return strings.TrimRightFunc(cut(s, max), unicode.IsSpace)
}

// clean makes raw valid UTF-8, drops control characters other than tab
// and newline, and trims it.
func clean(raw string) string {
	if utf8.ValidString(raw) && !strings.ContainsFunc(raw, isControl) {
		return strings.TrimSpace(raw)
	}
	s := strings.ToValidUTF8(raw, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func isControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }

// Parser names this package reads beside those pipeline lists: "pgp" (an
// armored public key block), "crypto" (text searched for crypto
// addresses) and "quantity" (an amount with its unit, "3.5 g", "10 pills").
const (
	ParserPGP      = "pgp"
	ParserCrypto   = "crypto"
	ParserQuantity = "quantity"
)

// Listing turns an extracted listing record into a listing event. Each
// field is normalized by its parser; raw text is kept where the event has
// room for it (price.raw, category_raw, ships_from_raw, ships_to_raw); a
// field that does not normalize is left empty and named in Flags ("price",
// "ships_from"); text over its bound is cut on a character boundary and
// flagged ("title:truncated"). The record is never dropped; Listing calls
// Finalize.
//
//   - price: Money; with no currency on the page the price stays empty and
//     is flagged, unless the record has a "currency" field (a site-file
//     default). A price stated per unit ("30 EUR/g") is flagged
//     "price:per_unit" and turned into the price of the listing's quantity
//     when that is in the same unit; with no quantity the listing is taken
//     to offer one such unit.
//   - price_usd: a price_usd field when the record has one, else the price
//     converted with rates, after a rate the page states in a "rate" field
//     ("1 BTC = 95,000 USD", see Rate) is added to them. With no usable
//     rate price_usd stays 0 and is flagged "price_usd"; no rate is ever
//     assumed.
//   - quantity and unit: from the quantity and unit fields (Quantity,
//     UnitCode) or, when the record has no quantity field, from the title;
//     always in grams, millilitres or units (unit "g", "ml", "unit"). An
//     unknown unit word is kept lower-cased and flagged "unit".
//   - category: the taxonomy code of the breadcrumb and title
//     (CategoryOf); unmapped, the raw breadcrumb is kept and "category"
//     flagged.
//   - ships_to: a shipping term that names no country list is flagged
//     "ships_to:worldwide", "ships_to:unknown", "ships_to:digital";
//     exclusions ("Worldwide except USA") are flagged "ships_to:except";
//     "domestic" resolves to ships_from when it is known.
//   - crypto addresses: every valid address in any field (CryptoAddresses);
//     a field with the "crypto" parser holding none is flagged.
func Listing(rec pipeline.Record, prov event.Provenance, rates Rates) event.Listing {
	var fl flags
	fs := fields{rec: rec, flags: &fl}
	l := event.Listing{Provenance: prov}

	l.ListingID = fs.text("listing_id", event.MaxText)
	if l.ListingID == "" {
		fl.add("listing_id")
	}
	l.Title = fs.text("title", event.MaxTitle)
	l.Description = fs.text("description", event.MaxDescription)
	l.CategoryRaw = fs.text("category", event.MaxText)
	l.Vendor = fs.text("vendor", event.MaxText)
	if code, ok := CategoryOf(l.CategoryRaw, l.Title); ok {
		l.Category = code
	} else if l.CategoryRaw != "" || l.Title != "" {
		fl.add("category")
	}

	var per PerUnit
	if raw, _, ok := fs.get("price"); ok {
		m, p, err := MoneyPer(raw)
		m.Raw = fs.bound("price", m.Raw, event.MaxText)
		if errors.Is(err, ErrNoCurrency) {
			if cur, _, ok := fs.get("currency"); ok && currencyCode(cur) != "" {
				m.Currency, err = currencyCode(cur), nil
			}
		}
		if err != nil {
			fl.add("price")
			m = event.Money{Raw: m.Raw}
		} else {
			per = p
		}
		l.Price = m
	}

	l.Quantity, l.Unit = listingQuantity(fs, l.Title)
	if per.Unit != "" {
		fl.add("price:per_unit")
		switch {
		case l.Quantity == 0 && (l.Unit == "" || l.Unit == per.Unit):
			l.Quantity, l.Unit = per.Quantity, per.Unit
		case l.Unit == per.Unit && per.Quantity > 0:
			l.Price.Amount = math.Round(l.Price.Amount*l.Quantity/per.Quantity*1e8) / 1e8
		}
	}

	if raw, _, ok := fs.get("rate"); ok {
		x, err := Rate(raw)
		if err != nil {
			fl.add("rate")
		} else if r, ok := rates.With(x); ok {
			rates = r
		} else {
			fl.add("rate")
		}
	}
	l.PriceUSD = listingUSD(fs, l.Price, rates)

	l.ShipsFrom, l.ShipsFromRaw = shipsFrom(fs)
	if raw, parser, ok := fs.get("ships_to"); ok {
		l.ShipsToRaw = fs.bound("ships_to_raw", raw, event.MaxText)
		if parser == pipeline.ParserCountry {
			if code, err := Country(raw); err == nil {
				l.ShipsTo = []string{code}
			} else {
				fl.add("ships_to")
			}
		} else {
			l.ShipsTo, l.ShipsToExcluded = shipsTo(raw, l.ShipsFrom, &fl)
		}
	}

	if raw, _, ok := fs.get("payment_methods"); ok {
		l.PaymentMethods = paymentMethods(fs, raw)
	}
	if raw, _, ok := fs.get("escrow"); ok {
		if b, err := Bool(raw); err == nil {
			l.Escrow = b
		} else {
			fl.add("escrow")
		}
	}
	l.Crypto = recordCrypto(fs)
	if p, usd, ok := PerUnitPrice(l); ok {
		l.PricePerUnit, l.PricePerUnitUSD = p, usd
	}
	l.Flags = fl
	l.Finalize()
	return l
}

// currencyCode reads a currency named alone ("EUR", "€", "bitcoin").
func currencyCode(raw string) string {
	if code, n := currencyAfter(raw); code != "" && strings.TrimSpace(raw[n:]) == "" {
		return code
	}
	return ""
}

// listingQuantity reads quantity and unit from the quantity and unit
// fields, or from the title when there is no quantity field.
func listingQuantity(fs fields, title string) (float64, string) {
	unitRaw := fs.text("unit", event.MaxText)
	unitCode, factor, unitOK := UnitCode(unitRaw)
	raw, parser, ok := fs.get("quantity")
	if !ok {
		if q, u, err := Quantity(title); err == nil {
			return q, u
		}
		if unitRaw == "" {
			return 0, ""
		}
		if !unitOK {
			fs.flags.add("unit")
			return 0, strings.ToLower(unitRaw)
		}
		return 0, unitCode
	}
	if q, u, err := Quantity(raw); err == nil {
		return q, u
	}
	var q float64
	var err error
	if parser == pipeline.ParserInt {
		var n int64
		n, err = Int(raw)
		q = float64(n)
	} else {
		q, err = Float(raw)
	}
	if err != nil || !(q > 0) {
		fs.flags.add("quantity")
		return 0, ""
	}
	switch {
	case unitOK:
		return roundQty(q * factor), unitCode
	case unitRaw != "":
		fs.flags.add("unit")
		return q, strings.ToLower(unitRaw)
	}
	fs.flags.add("unit")
	return q, ""
}

// recordCrypto collects the valid crypto addresses of every field, fields
// in name order; a field with the crypto parser that holds none is
// flagged.
func recordCrypto(fs fields) []event.CryptoAddress {
	var out []event.CryptoAddress
	for _, name := range fieldNames(fs.rec) {
		raw, parser, _ := fs.get(name)
		found := CryptoAddresses(raw)
		if parser == ParserCrypto && len(found) == 0 {
			fs.flags.add(name)
		}
		for _, a := range found {
			if !slices.Contains(out, a) && len(out) < maxAddresses {
				out = append(out, a)
			}
		}
	}
	return out
}

func listingUSD(fs fields, price event.Money, rates Rates) float64 {
	if raw, parser, ok := fs.get("price_usd"); ok {
		var usd float64
		var err error
		if parser == pipeline.ParserMoney {
			var m event.Money
			if m, err = Money(raw); err == nil && m.Currency != "USD" {
				fs.flags.add("price_usd")
				return 0
			}
			usd = m.Amount
		} else {
			usd, err = Float(raw)
		}
		if err != nil {
			fs.flags.add("price_usd")
			return 0
		}
		return usd
	}
	if price.Currency == "" {
		return 0
	}
	usd, ok := rates.USD(price)
	if !ok {
		fs.flags.add("price_usd")
	}
	return usd
}

// shipsFrom reads the ships_from field of a listing or vendor: its
// country code, empty and flagged "ships_from" when the text names no
// country, and the raw text, bounded ("ships_from_raw:truncated").
func shipsFrom(fs fields) (code, raw string) {
	raw, _, ok := fs.get("ships_from")
	if !ok {
		return "", ""
	}
	bounded := fs.bound("ships_from_raw", raw, event.MaxText)
	code, err := Country(raw)
	if err != nil {
		fs.flags.add("ships_from")
		return "", bounded
	}
	return code, bounded
}

// shipsTo returns the destination codes of a ships-to text and, for a
// "Worldwide except ..." term, the countries it leaves out.
func shipsTo(raw, shipsFrom string, fl *flags) (codes, excluded []string) {
	sh, err := parseShipping(raw)
	if err != nil {
		fl.add("ships_to")
		return nil, nil
	}
	codes = sh.codes
	for _, sp := range sh.specials {
		if sp == SpecialDomestic && shipsFrom != "" {
			if !slices.Contains(codes, shipsFrom) {
				codes = append(codes, shipsFrom)
			}
			continue
		}
		fl.add("ships_to:" + sp)
	}
	if len(sh.excluded) > 0 && slices.Contains(sh.specials, SpecialWorldwide) {
		fl.add("ships_to:except")
		excluded = sh.excluded
	}
	if len(sh.unresolved) > 0 {
		fl.add("ships_to")
	}
	return codes, excluded
}

// listRE splits comma-style lists of payment methods and contacts.
var listRE = regexp.MustCompile(`\s*(?:[,;|\n]|\band\b)\s*`)

// maxListItems bounds the items kept from one list field.
const maxListItems = 64

// splitList splits raw on list separators, trims, bounds and de-duplicates
// the items.
func splitList(fs fields, name, raw string) []string {
	var out []string
	for _, item := range listRE.Split(raw, -1) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		item = fs.bound(name, item, event.MaxText)
		if !slices.Contains(out, item) {
			if len(out) == maxListItems {
				fs.flags.add(name + ":truncated")
				break
			}
			out = append(out, item)
		}
	}
	return out
}

var paymentNames = map[string]string{
	"bitcoin": "BTC", "btc": "BTC", "xbt": "BTC", "monero": "XMR", "xmr": "XMR", "litecoin": "LTC",
	"ltc": "LTC", "ethereum": "ETH", "eth": "ETH", "bitcoin cash": "BCH", "bch": "BCH", "zcash": "ZEC",
	"zec": "ZEC", "dash": "DASH", "usdt": "USDT", "tether": "USDT",
}

// paymentMethods splits a payment-method list and writes known
// cryptocurrencies as tickers ("Bitcoin" -> "BTC").
func paymentMethods(fs fields, raw string) []string {
	var out []string
	for _, item := range splitList(fs, "payment_methods", raw) {
		if t, ok := paymentNames[strings.ToLower(item)]; ok {
			item = t
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// Vendor turns an extracted vendor record into a vendor event, with the
// same rules as Listing: fields that do not normalize are left empty and
// flagged ("rating", "sales", "joined", "ships_from", "pgp_fingerprint",
// "pgp"), text is bounded, the record is never dropped. pgp_fingerprint may
// hold several fingerprints separated by , ; | or newlines; a "pgp" field
// (or any field with the pgp parser) holds armored public key blocks whose
// fingerprints are added (PGPKeys). Contacts are the items of the contacts
// field, each written "kind:handle" when Contacts recognises it and kept
// as written otherwise, then the handles Contacts finds in the other
// fields. Crypto addresses are taken from every field. profile_url
// defaults to the page URL. Vendor calls Finalize.
func Vendor(rec pipeline.Record, prov event.Provenance) event.Vendor {
	var fl flags
	fs := fields{rec: rec, flags: &fl}
	v := event.Vendor{Provenance: prov}

	v.Handle = fs.text("handle", event.MaxText)
	if v.Handle == "" {
		fl.add("handle")
	}
	v.ProfileURL = fs.text("profile_url", event.MaxText)
	if v.ProfileURL == "" {
		v.ProfileURL = prov.URL
	}
	if raw, _, ok := fs.get("pgp_fingerprint"); ok {
		for _, part := range splitList(fs, "pgp_fingerprint", raw) {
			fp, err := Fingerprint(part)
			if err != nil {
				fl.add("pgp_fingerprint")
				continue
			}
			if !slices.Contains(v.PGPFingerprints, fp) {
				v.PGPFingerprints = append(v.PGPFingerprints, fp)
			}
		}
	}
	for _, name := range fieldNames(rec) {
		raw, parser, _ := fs.get(name)
		if name != "pgp" && parser != ParserPGP {
			continue
		}
		keys, err := PGPKeys(raw)
		if err != nil {
			fl.add(name)
		}
		for _, k := range keys {
			if !slices.Contains(v.PGPFingerprints, k.Fingerprint) {
				v.PGPFingerprints = append(v.PGPFingerprints, k.Fingerprint)
			}
		}
	}
	if raw, parser, ok := fs.get("rating"); ok {
		var r float64
		var err error
		if parser == pipeline.ParserFloat {
			r, err = Float(raw)
			if err == nil && r > 5 {
				err = ErrUnparsable
			}
		} else {
			r, err = Rating(raw)
		}
		if err != nil {
			fl.add("rating")
		} else {
			v.Rating = r
		}
	}
	if raw, _, ok := fs.get("sales"); ok {
		if n, err := Int(raw); err == nil {
			v.Sales = n
		} else {
			fl.add("sales")
		}
	}
	if raw, _, ok := fs.get("joined"); ok {
		if d, err := Date(raw); err == nil {
			v.Joined = d.Format(time.DateOnly)
		} else {
			fl.add("joined")
		}
	}
	v.ShipsFrom, v.ShipsFromRaw = shipsFrom(fs)
	v.Contacts = vendorContacts(fs)
	v.Crypto = recordCrypto(fs)
	v.Flags = fl
	v.Finalize()
	return v
}

func fieldNames(rec pipeline.Record) []string {
	names := make([]string, 0, len(rec.Fields))
	for name := range rec.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func vendorContacts(fs fields) []string {
	var out []string
	if raw, _, ok := fs.get("contacts"); ok {
		for _, item := range splitList(fs, "contacts", raw) {
			if c := Contacts(item); len(c) == 1 {
				item = c[0]
			}
			if !slices.Contains(out, item) {
				out = append(out, item)
			}
		}
	}
	for _, name := range fieldNames(fs.rec) {
		if name == "contacts" {
			continue
		}
		raw, _, _ := fs.get(name)
		for _, c := range Contacts(raw) {
			if !slices.Contains(out, c) && len(out) < maxListItems {
				out = append(out, c)
			}
		}
	}
	return out
}
