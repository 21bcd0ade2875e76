package normalize

import (
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
	// Window is how far from AsOf a capture may lie for these rates to
	// convert its prices (ValidFor); zero means DefaultRateWindow.
	Window time.Duration
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

// delete removes name from the flags.
func (f *flags) delete(name string) {
	*f = slices.DeleteFunc(*f, func(s string) bool { return s == name })
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

// has reports whether the record has field name.
func (fs fields) has(name string) bool {
	_, ok := fs.rec.Fields[name]
	return ok
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

// multiline returns a field as bounded text that keeps its line breaks:
// whitespace is collapsed within each line, lines are trimmed and runs of
// blank lines become one blank line.
func (fs fields) multiline(name string, max int) string {
	raw, _, ok := fs.get(name)
	if !ok {
		return ""
	}
	return fs.bound(name, collapseLines(raw), max)
}

// collapseLines collapses whitespace within each line of s, keeping the
// line breaks (at most one blank line in a row).
func collapseLines(s string) string {
	var b strings.Builder
	blank := 0
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
			if blank > 0 {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(line)
	}
	return b.String()
}

// count reads an int field; nil when the record lacks it, nil and flagged
// when it holds no whole number.
func (fs fields) count(name string) *int64 {
	raw, _, ok := fs.get(name)
	if !ok {
		return nil
	}
	n, err := Int(raw)
	if err != nil || n < 0 {
		fs.flags.add(name)
		return nil
	}
	return &n
}

// boolean reads a yes/no field (Bool); nil when the record lacks it, nil
// and flagged when it is neither.
func (fs fields) boolean(name string) *bool {
	raw, _, ok := fs.get(name)
	if !ok {
		return nil
	}
	b, err := Bool(raw)
	if err != nil {
		fs.flags.add(name)
		return nil
	}
	return &b
}

// badge reads a yes/no field that a page often shows as a badge: the
// field's own word means yes ("Verified", "Pinned", "Locked"), with a
// negation before it no ("Not verified", "Unverified"); other text is
// read by Bool. nil when the record lacks it, nil and flagged when it says
// neither.
func (fs fields) badge(name string, word *regexp.Regexp) *bool {
	raw, _, ok := fs.get(name)
	if !ok {
		return nil
	}
	if loc := word.FindStringIndex(raw); loc != nil {
		pre := strings.ToLower(raw[:loc[0]])
		b := !(strings.HasSuffix(pre, "un") || strings.HasSuffix(pre, "not ") || strings.HasSuffix(pre, "non-") ||
			strings.HasSuffix(pre, "no ") || strings.HasSuffix(pre, "non "))
		return &b
	}
	return fs.boolean(name)
}

// Badge words of verified, sticky and locked fields.
var (
	verifiedRE = regexp.MustCompile(`(?i)verified|trusted`)
	stickyRE   = regexp.MustCompile(`(?i)sticky|pinned|announcement|angepinnt|закреп`)
	lockedRE   = regexp.MustCompile(`(?i)locked|closed|geschlossen|закрыт`)
)

// leveled reads a level shown as text ("Level 5", "Trusted Vendor"): the
// text bounded, and its number when it holds one.
func (fs fields) leveled(name string) (text string, num *int64) {
	text = fs.text(name, event.MaxText)
	if text == "" {
		return "", nil
	}
	if n, err := Int(text); err == nil {
		num = &n
	}
	return text, num
}

// date reads a date field against the capture time and the record's
// locale: the time in UTC and the raw text, bounded under rawName. A date that
// does not read is flagged with the field's name and t is zero.
func (fs fields) date(name, rawName string, captured time.Time) (t time.Time, raw string) {
	raw, _, ok := fs.get(name)
	if !ok {
		return time.Time{}, ""
	}
	bounded := fs.bound(rawName, raw, event.MaxText)
	t, _, err := DateIn(raw, captured, fs.rec.Locale)
	if err != nil {
		fs.flags.add(name)
		return time.Time{}, bounded
	}
	return t.UTC(), bounded
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

// shipsFrom reads the ships_from field of a listing or vendor (Origin):
// its country code, or the region or marker it names instead ("EU",
// "EUROPE", "WORLDWIDE", "DIGITAL", "UNKNOWN": origins, not failures),
// and the raw text, bounded ("ships_from_raw:truncated"). Text naming
// neither is flagged "ships_from".
func shipsFrom(fs fields) (code, region, raw string) {
	raw, _, ok := fs.get("ships_from")
	if !ok {
		return "", "", ""
	}
	bounded := fs.bound("ships_from_raw", raw, event.MaxText)
	o, err := Origin(raw)
	if err != nil {
		fs.flags.add("ships_from")
		return "", "", bounded
	}
	return o.Country, o.Region, bounded
}

// shipsTo reads a ships-to field: the destination codes, the basis of
// each (event.DestExplicit, DestRegion, DestWorldwide) and the countries a
// "Worldwide except ..." term leaves out. A field with the country parser
// names one country. Terms that name no country list are flagged
// "ships_to:worldwide", "ships_to:unknown", "ships_to:digital",
// exclusions "ships_to:except", text naming no place "ships_to". The
// codes are the full list (Shipping's Destinations): countries named,
// regions expanded, and for a worldwide term every ISO 3166-1 country
// but the exclusions, so "Worldwide except AU, SE" ships to every country
// but AU and SE, each with basis worldwide. "Domestic" is shipsFrom
// (basis explicit) when that is known, else flagged "ships_to:domestic".
func shipsTo(fs fields, raw, parser, shipsFrom string) (codes, basis, excluded []string) {
	if parser == pipeline.ParserCountry {
		code, err := Country(raw)
		if err != nil {
			fs.flags.add("ships_to")
			return nil, nil, nil
		}
		return []string{code}, []string{event.DestExplicit}, nil
	}
	st := Shipping(raw)
	for _, d := range st.Destinations {
		codes = append(codes, d.Country)
		basis = append(basis, d.Basis)
	}
	if st.Domestic {
		if shipsFrom != "" && !slices.Contains(codes, shipsFrom) {
			codes = append(codes, shipsFrom)
			basis = append(basis, event.DestExplicit)
		} else if shipsFrom == "" {
			fs.flags.add("ships_to:" + SpecialDomestic)
		}
	}
	if st.Worldwide {
		fs.flags.add("ships_to:" + SpecialWorldwide)
	}
	for _, sp := range st.Specials {
		if sp != SpecialDomestic {
			fs.flags.add("ships_to:" + sp)
		}
	}
	if len(st.Excluded) > 0 && st.Worldwide {
		fs.flags.add("ships_to:except")
		excluded = st.Excluded
	}
	if len(st.Unresolved) > 0 {
		fs.flags.add("ships_to")
	}
	return codes, basis, excluded
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
