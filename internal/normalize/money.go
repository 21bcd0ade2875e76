package normalize

import (
	"errors"
	"html"
	"math"
	"regexp"
	"strings"

	"github.com/counternet/counternet/internal/event"
)

// ErrNoCurrency marks a price whose amount was read but which names no
// currency ("1,234.56"); it wraps ErrUnparsable.
var ErrNoCurrency = errors.New("no currency next to the amount")

// PerUnit is the quantity a price is stated for when the text says so
// ("30 EUR/g" is per 1 g, "€3,000/kg" per 1000 g, "$5 each" per 1 unit).
// The zero value means the price is for the listing as a whole.
type PerUnit struct {
	// Quantity is in Unit: grams, millilitres or units.
	Quantity float64
	// Unit is UnitGram, UnitMillilitre or UnitCount.
	Unit string
}

// Money reads a price: an amount with a currency code, name or sign before
// or after it ("USD 12.40", "$41.20", "45.00 USD", "€ 30", "£12",
// "0.2211 LTC", "0.3105 XMR", "฿0.00081", "1,234.56 USD", "1.234,56 €").
// The first amount that carries a currency wins. The currency is an ISO
// 4217 code or a crypto ticker, upper case; Raw keeps the text as given.
// An amount without a currency ("1,234.56") is returned with the amount
// set, Currency empty and an error wrapping ErrNoCurrency and
// ErrUnparsable. A per-unit suffix ("30 EUR/g") is ignored; see MoneyPer.
func Money(raw string) (event.Money, error) {
	m, _, err := MoneyPer(raw)
	return m, err
}

// MoneyPer reads a price like Money and also the unit it is stated per,
// written right after it: "30 EUR/g", "$10 per gram", "€3000/kg",
// "0.01 BTC / pill", "5 USD each". per is the zero PerUnit when the text
// states none.
func MoneyPer(raw string) (m event.Money, per PerUnit, err error) {
	s := strings.TrimSpace(raw)
	m = event.Money{Raw: s}
	if len(s) > maxInput {
		return m, per, unparsable("price", raw, "too long")
	}
	s = moneyText(s)
	locs := numRE.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return m, per, unparsable("price", raw, "no amount")
	}
	for _, loc := range locs {
		a, ok, err := amountAt(s, loc)
		if err != nil {
			return m, per, unparsable("price", raw, err.Error())
		}
		if !ok {
			continue
		}
		m.Amount, m.Currency = a.v, a.cur
		if a.v < 0 {
			return m, per, unparsable("price", raw, "a negative amount is no price")
		}
		return m, perUnitAt(s[a.end:]), nil
	}
	if v, err := number(s[locs[0][0]:locs[0][1]], false); err == nil {
		m.Amount = signed(s, locs[0][0], v)
	}
	return m, per, &noCurrencyError{unparsable("price", raw, ErrNoCurrency.Error())}
}

// amount is one amount found in a price text with the currency next to it.
type amount struct {
	v   float64
	cur string
	end int // the byte after the amount and a currency after it
}

// amountAt reads the number at loc and the currency before or after it;
// ok is false when neither side names one.
func amountAt(s string, loc []int) (a amount, ok bool, err error) {
	a.end = loc[1]
	pre := s[:loc[0]]
	if i := len(pre) - 1; i >= 0 && (pre[i] == '+' || pre[i] == '-' || pre[i] == 0x92) {
		pre = strings.TrimRight(pre, "+-\u2212")
	}
	a.cur = currencyBefore(pre)
	if a.cur == "" {
		post, skip := s[loc[1]:], 0
		if strings.HasPrefix(post, ",-") || strings.HasPrefix(post, ".-") || strings.HasPrefix(post, ",\u2013") {
			skip = len(post) - len(strings.TrimLeft(post[1:], "-\u2013")) // "45,- €"
			post = post[skip:]
		}
		var n int
		a.cur, n = currencyAfter(post)
		if a.cur != "" {
			a.end += skip + n
		}
	}
	if a.cur == "" {
		return a, false, nil
	}
	v, err := number(s[loc[0]:loc[1]], false)
	if err != nil {
		return a, false, err
	}
	a.v = signed(s, loc[0], v)
	if a.cur[0] >= 'a' { // only subunits are written in lower case
		if f, ok := subunits[a.cur]; ok {
			a.cur, a.v = f.code, a.v*f.factor
		}
	}
	return a, true, nil
}

// subunits are currency units read as a fraction of another: "mBTC".
var subunits = map[string]struct {
	code   string
	factor float64
}{
	"mBTC": {"BTC", 0.001}, "uBTC": {"BTC", 1e-6},
}

// signed applies a minus sign ('-' or U+2212) written right before the
// number at i ("USD -1.00", "−0"); a spaced dash ("50 - 60") is no sign.
func signed(s string, i int, v float64) float64 {
	if i == 0 || (s[i-1] != '-' && s[i-1] != 0x92) {
		return v
	}
	pre := s[:i]
	if strings.HasSuffix(pre, "-") || strings.HasSuffix(pre, "\u2212") {
		pre = strings.TrimSuffix(strings.TrimSuffix(pre, "-"), "\u2212")
		if (pre == "" || !isDigit(pre[len(pre)-1])) && v != 0 {
			return -v
		}
	}
	return v
}

// moneyText undoes HTML entities a page left encoded ("&#36;45") and
// reads no-break spaces as spaces.
func moneyText(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return s
}

// MoneyRange reads a price or a price range: "50.00 - 39000.00 EUR",
// "$10 - $20", "€5–€10", "10 to 20 USD" are lo 50 EUR and hi 39000 (the
// currency written once, on either end, or on both); a single price reads
// as Money does, with hi 0. Two ends in different currencies are no range
// ("USD 19.02 - 0.0830 BTC" is USD 19.02, hi 0); an upper end below the
// lower one is an error. A range without any currency ("50 - 60") returns
// lo's amount and hi with an error wrapping ErrNoCurrency, as Money does.
func MoneyRange(raw string) (lo event.Money, hi float64, err error) {
	s := strings.TrimSpace(raw)
	lo = event.Money{Raw: s}
	if len(s) > maxInput {
		return lo, 0, unparsable("price", raw, "too long")
	}
	s = moneyText(s)
	locs := numRE.FindAllStringIndex(s, 8)
	for i := 0; i+1 < len(locs); i++ {
		between := s[locs[i][1]:locs[i+1][0]]
		curBetween, n := currencyAfter(between)
		sep := strings.TrimSpace(between[n:])
		sep = strings.TrimSpace(strings.TrimRight(sep, "$€£฿Ƀ"))
		if c := currencyBefore(sep); c != "" {
			sep = strings.TrimSpace(strings.TrimRightFunc(sep, func(r rune) bool { return r != ' ' && r != '-' && r != '\u2013' && r != '\u2014' && r != '~' }))
		}
		if !rangeSeps[strings.ToLower(sep)] {
			continue
		}
		a, okA, errA := amountAt(s, locs[i])
		b, okB, errB := amountAt(s, locs[i+1])
		if errA != nil || errB != nil {
			break
		}
		cur := ""
		switch {
		case okA && okB && a.cur != b.cur:
			m, err := Money(raw)
			return m, 0, err
		case okA:
			cur = a.cur
		case okB:
			cur = b.cur
		case curBetween != "":
			cur = curBetween
		default:
			// "50 - 60": a range without a currency; the caller may know
			// the site's default currency.
			va, errA := number(s[locs[i][0]:locs[i][1]], false)
			vb, errB := number(s[locs[i+1][0]:locs[i+1][1]], false)
			if errA != nil || errB != nil || vb < va || signed(s, locs[i][0], va) < 0 {
				continue
			}
			lo.Amount = va
			return lo, vb, &noCurrencyError{unparsable("price", raw, ErrNoCurrency.Error())}
		}
		va, _ := number(s[locs[i][0]:locs[i][1]], false)
		vb, _ := number(s[locs[i+1][0]:locs[i+1][1]], false)
		if f, ok := subunits[cur]; ok {
			cur, va, vb = f.code, va*f.factor, vb*f.factor
		} else if okA {
			va = a.v
		}
		if okB && b.cur == cur {
			vb = b.v
		}
		if va < 0 {
			return lo, 0, unparsable("price", raw, "a negative amount is no price")
		}
		if vb < va {
			return lo, 0, unparsable("price", raw, "the upper end of the range is below the lower")
		}
		lo.Amount, lo.Currency = va, cur
		return lo, vb, nil
	}
	m, err := Money(raw)
	return m, 0, err
}

// rangeSeps are what stands between the two ends of a price range.
var rangeSeps = map[string]bool{
	"-": true, "\u2013": true, "\u2014": true, "~": true, "to": true, "bis": true, "a": true, "à": true,
	"до": true, "tot": true, "até": true, "-->": true, "..": true, "...": true,
}

// noCurrencyError is an ErrUnparsable error that is also ErrNoCurrency.
type noCurrencyError struct{ err error }

func (e *noCurrencyError) Error() string { return e.err.Error() }
func (e *noCurrencyError) Unwrap() []error {
	return []error{e.err, ErrNoCurrency}
}

// perRE reads a per-unit suffix right after a price: "/g", "/ 1 kg",
// "per gram", "a gram"; eachRE reads "each", "ea", "apiece".
var (
	perRE  = regexp.MustCompile(`^\s*(?:/|(?i:per|a)\s)\s*(?:(\d+(?:[.,]\d+)?)\s*)?(\pL+)`)
	eachRE = regexp.MustCompile(`^\s*(?i:each|ea|apiece|per\s+(?:unit|piece|item))\b`)
)

func perUnitAt(rest string) PerUnit {
	if eachRE.MatchString(rest) {
		return PerUnit{Quantity: 1, Unit: UnitCount}
	}
	m := perRE.FindStringSubmatch(rest)
	if m == nil {
		return PerUnit{}
	}
	u, ok := unitWords[strings.ToLower(m[2])]
	if !ok {
		return PerUnit{}
	}
	q := 1.0
	if m[1] != "" {
		v, err := number(m[1], false)
		if err != nil || !(v > 0) {
			return PerUnit{}
		}
		q = v
	}
	return PerUnit{Quantity: roundQty(q * u.factor), Unit: u.code}
}

// ExchangeRate is a rate a page states: one unit of Base is worth Price
// units of Quote ("1 BTC = 95,000 USD" is Base BTC, Quote USD, Price 95000).
type ExchangeRate struct {
	Base, Quote string
	Price       float64
}

// pairRE reads "BTC/USD 95000" and "BTC/USD: 95,000.00".
var pairRE = regexp.MustCompile(`\b([A-Za-z]{3,4})\s*/\s*([A-Za-z]{3,4})\b\s*[:=]?\s*(\d[\d.,' ]*)`)

// baseRE reads a currency named before a colon or equals sign with no
// amount of its own: "BTC: $95,000", "XMR = 150 USD".
var baseRE = regexp.MustCompile(`^\s*(?:1\s+)?([\pL$€£₿฿Ƀɱ]{1,8})\s*[:=≈~]`)

// Rate reads an exchange rate stated on a page: "1 BTC = 95,000 USD",
// "1 XMR ≈ $150.20", "BTC/USD: 95000", "BTC: $95,000", "1 USD =
// 0.0000105 BTC", "BTC 228.72 USD". A pair written fiat first with a price
// above 1 ("EUR / BTC 9129.14") is read as fiat per coin. Base and Quote are currency codes as in Money; Price is
// positive. Text with fewer than two currencies, or two amounts of the
// same currency, is an error wrapping ErrUnparsable. No rate is ever
// assumed.
func Rate(raw string) (ExchangeRate, error) {
	s := strings.TrimSpace(raw)
	if len(s) > maxInput {
		return ExchangeRate{}, unparsable("rate", raw, "too long")
	}
	if m := pairRE.FindStringSubmatch(s); m != nil {
		base, quote := currencyWords[strings.ToLower(m[1])], currencyWords[strings.ToLower(m[2])]
		if v, err := number(strings.TrimRight(m[3], " '"), false); err == nil && base != "" && quote != "" && base != quote && v > 0 {
			if !cryptoCodes[base] && cryptoCodes[quote] && v > 1 {
				// "EUR / BTC 9129.14" (Berlusconi's footer) is euros per
				// bitcoin: no fiat unit was ever worth more than a coin.
				base, quote = quote, base
			}
			return ExchangeRate{Base: base, Quote: quote, Price: v}, nil
		}
	}
	locs := numRE.FindAllStringIndex(s, -1)
	if len(locs) == 1 {
		// "BTC 228.72 USD" (Nucleus' header): a coin, its price, the unit.
		before := currencyBefore(s[:locs[0][0]])
		after, _ := currencyAfter(s[locs[0][1]:])
		v, err := number(s[locs[0][0]:locs[0][1]], false)
		if before != "" && after != "" && before != after && err == nil && v > 0 {
			return ExchangeRate{Base: before, Quote: after, Price: v}, nil
		}
	}
	var found []event.Money
	for _, loc := range locs {
		cur := currencyBefore(s[:loc[0]])
		if cur == "" {
			cur, _ = currencyAfter(s[loc[1]:])
		}
		if cur == "" {
			continue
		}
		v, err := number(s[loc[0]:loc[1]], false)
		if err != nil {
			return ExchangeRate{}, unparsable("rate", raw, err.Error())
		}
		found = append(found, event.Money{Amount: v, Currency: cur})
		if len(found) == 2 {
			break
		}
	}
	switch {
	case len(found) == 2:
		a, b := found[0], found[1]
		if a.Currency == b.Currency || !(a.Amount > 0) || !(b.Amount > 0) {
			return ExchangeRate{}, unparsable("rate", raw, "want two amounts in different currencies")
		}
		p := b.Amount / a.Amount
		if math.IsInf(p, 0) || !(p > 0) {
			return ExchangeRate{}, unparsable("rate", raw, "out of range")
		}
		return ExchangeRate{Base: a.Currency, Quote: b.Currency, Price: p}, nil
	case len(found) == 1:
		if m := baseRE.FindStringSubmatch(s); m != nil {
			base := currencyWords[strings.ToLower(m[1])]
			if base == "" {
				base, _ = currencyAfter(m[1])
			}
			if base != "" && base != found[0].Currency && found[0].Amount > 0 {
				return ExchangeRate{Base: base, Quote: found[0].Currency, Price: found[0].Amount}, nil
			}
		}
	}
	return ExchangeRate{}, unparsable("rate", raw, "no rate between two currencies")
}

// cryptoCodes are the coins whose rates pages state.
var cryptoCodes = map[string]bool{"BTC": true, "XMR": true, "LTC": true, "ETH": true, "BCH": true, "DASH": true, "ZEC": true, "DOGE": true}

// With returns a copy of r that also knows x: a rate quoted in USD sets
// USDPer[x.Base]; a rate of USD in another currency sets USDPer of that
// currency to its inverse; a rate quoted in a currency r already knows is
// chained through it. A rate r cannot use leaves the copy as r was, and ok
// is false. The page-stated rate replaces an operator rate for the same
// currency: it is what that page charged at that moment.
func (r Rates) With(x ExchangeRate) (out Rates, ok bool) {
	out = Rates{AsOf: r.AsOf, USDPer: make(map[string]float64, len(r.USDPer)+1)}
	for k, v := range r.USDPer {
		out.USDPer[k] = v
	}
	if !(x.Price > 0) || math.IsInf(x.Price, 0) || x.Base == "" || x.Quote == "" || x.Base == x.Quote {
		return out, false
	}
	switch {
	case x.Quote == "USD":
		out.USDPer[x.Base] = x.Price
	case x.Base == "USD":
		out.USDPer[x.Quote] = 1 / x.Price
	case r.USDPer[x.Quote] > 0:
		out.USDPer[x.Base] = x.Price * r.USDPer[x.Quote]
	default:
		return out, false
	}
	return out, true
}

// MoneyOf reads the amount written in currency cur (a code as Money
// returns it: "LTC", "BTC", "EUR") from a text that may show several
// prices: "0.97630698BTC // 148.63258026LTC // 61.44015729DASH" (Nucleus'
// title attribute) is 148.63258026 LTC for "LTC". A site file can point
// price_btc, price_ltc and price_xmr at the same text. No amount in that
// currency is an error wrapping ErrUnparsable.
func MoneyOf(raw, cur string) (event.Money, error) {
	s := strings.TrimSpace(raw)
	m := event.Money{Raw: s}
	if len(s) > maxInput {
		return m, unparsable("price", raw, "too long")
	}
	s = moneyText(s)
	claimed := 0 // the end of the currency the previous amount took after it
	for _, loc := range numRE.FindAllStringIndex(s, 64) {
		after, n := currencyAfter(s[loc[1]:])
		var before string
		if pre := s[claimed:loc[0]]; strings.TrimSpace(pre) != "" {
			before = currencyBefore(strings.TrimRight(pre, "+-\u2212"))
		}
		if after != "" {
			claimed = loc[1] + n
		} else {
			claimed = loc[1]
		}
		code := after
		if before != "" && (after == "" || before == cur) {
			code = before
		}
		factor := 1.0
		if f, ok := subunits[code]; ok {
			code, factor = f.code, f.factor
		}
		if code != cur {
			continue
		}
		v, err := number(s[loc[0]:loc[1]], false)
		if err != nil {
			return m, unparsable("price", raw, err.Error())
		}
		v *= factor
		if signed(s, loc[0], v) < 0 {
			return m, unparsable("price", raw, "a negative amount is no price")
		}
		m.Amount, m.Currency = v, cur
		return m, nil
	}
	return m, unparsable("price", raw, "no amount in "+cur)
}
