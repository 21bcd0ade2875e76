package normalize

import (
	"errors"
	"math"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// DefaultRateWindow is how far a capture may lie from Rates.AsOf for the
// rates to convert its prices when Rates.Window is zero: about the same
// day. A page captured on another day is not converted at these rates
// (a 2018 page priced in BTC is not priced at 2026 rates).
const DefaultRateWindow = 36 * time.Hour

// ValidFor reports whether r may convert prices of a page captured at t:
// r has a time (AsOf) and t lies within r.Window (DefaultRateWindow when
// zero) of it.
func (r Rates) ValidFor(t time.Time) bool {
	if r.AsOf.IsZero() || t.IsZero() || len(r.USDPer) == 0 {
		return false
	}
	w := r.Window
	if w <= 0 {
		w = DefaultRateWindow
	}
	d := t.Sub(r.AsOf)
	return d <= w && d >= -w
}

// priceFields are the fields of a listing that hold a price in one
// currency, with the currency a bare amount in them is in.
var priceFields = []struct{ name, currency string }{
	{"price_usd", "USD"}, {"price_btc", "BTC"}, {"price_xmr", "XMR"}, {"price_ltc", "LTC"},
	{"price_eur", "EUR"}, {"price_gbp", "GBP"},
}

// defaultCurrency reads the record's currency field (a site-file default
// for prices shown without one); "" when there is none, flagged
// "currency" when it names no currency.
func defaultCurrency(fs fields) string {
	raw, _, ok := fs.get("currency")
	if !ok {
		return ""
	}
	code := currencyCode(raw)
	if code == "" {
		fs.flags.add("currency")
	}
	return code
}

// listingPrice reads the price and price_max fields into l and returns
// the unit the price is stated per.
func listingPrice(fs fields, l *event.Listing) PerUnit {
	raw, _, ok := fs.get("price")
	if !ok {
		return PerUnit{}
	}
	m, per, err := MoneyPer(raw)
	if lo, hi, rerr := MoneyRange(raw); hi > 0 && (rerr == nil || errors.Is(rerr, ErrNoCurrency)) {
		// "50.00 - 39000.00 EUR": the lower end is the price, the upper
		// end price_max (a price per unit is not read from a range).
		m, per, err = lo, PerUnit{}, rerr
		l.PriceMax = hi
	}
	m.Raw = fs.bound("price", m.Raw, event.MaxText)
	if errors.Is(err, ErrNoCurrency) {
		if cur := defaultCurrency(fs); cur != "" {
			m.Currency, err = cur, nil
		}
	}
	if err != nil {
		fs.flags.add("price")
		l.Price, l.PriceMax = event.Money{Raw: m.Raw}, 0
		return PerUnit{}
	}
	l.Price = m
	if raw, parser, ok := fs.get("price_max"); ok {
		hi, err := amountIn(raw, parser, m.Currency)
		if err != nil || hi.Currency != m.Currency || hi.Amount < m.Amount {
			fs.flags.add("price_max")
		} else {
			l.PriceMax = hi.Amount
		}
	}
	return per
}

// amountIn reads a price field: Money, or a bare amount (parser float, or
// money without a currency) taken to be in currency.
func amountIn(raw, parser, currency string) (event.Money, error) {
	if parser == pipeline.ParserFloat {
		v, err := Float(raw)
		return event.Money{Amount: v, Currency: currency, Raw: raw}, err
	}
	m, err := Money(raw)
	if errors.Is(err, ErrNoCurrency) && currency != "" {
		m.Currency, err = currency, nil
	}
	if currency != "" && (err != nil || m.Currency != currency) {
		// A text showing several prices ("0.97 BTC // 148.6 LTC"): the
		// field's own currency is the one it stands for.
		if mo, moErr := MoneyOf(raw, currency); moErr == nil {
			return mo, nil
		}
	}
	return m, err
}

// listingPrices lists every price the page shows: price first (when it
// read), then each price_<currency> field; a field whose text names
// another currency than its own, or no amount, is flagged.
func listingPrices(fs fields, price event.Money) []event.Money {
	var out []event.Money
	if price.Currency != "" {
		out = append(out, price)
	}
	for _, pf := range priceFields {
		raw, parser, ok := fs.get(pf.name)
		if !ok {
			continue
		}
		m, err := amountIn(raw, parser, pf.currency)
		m.Raw = fs.bound(pf.name, raw, event.MaxText)
		if err != nil || m.Currency != pf.currency || !(m.Amount >= 0) {
			fs.flags.add(pf.name)
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || (o.Currency == m.Currency && o.Amount == m.Amount)
		}
		if !dup && len(out) < event.MaxPrices {
			out = append(out, m)
		}
	}
	return out
}

// listingUSD sets l.PriceUSD, its basis and the rate applied, from l.Price
// and l.Prices, in this order:
//
//  1. a price the page shows in US dollars (the price itself or
//     price_usd): basis page_price;
//  2. a price converted with a rate the page states (the rate field, read
//     by Rate; chained through an operator rate only when that is valid
//     for the capture date): basis page_rate;
//  3. a price converted with an operator rate valid for the capture date
//     (Rates.ValidFor): basis capture_rate;
//
// else PriceUSD stays 0 with basis none and the flag "price_usd", and,
// when an operator rate for the currency exists but was taken on another
// day than the capture, "price_usd:rate_not_of_capture_date". A listing
// without any price gets no basis.
func listingUSD(fs fields, l *event.Listing, rates Rates) {
	candidates := l.Prices
	if len(candidates) == 0 {
		// No price read (the price field is flagged already).
		if l.Price.Raw != "" || fs.has("price_usd") {
			l.PriceUSDBasis = event.BasisNone
		}
		return
	}
	set := func(usd float64, m event.Money, basis string) {
		l.PriceUSD, l.PriceUSDBasis = usd, basis
		if l.Price.Currency != "" && l.Price.Currency != m.Currency {
			// The USD figure came from another of the page's prices; its
			// rate is still stated per unit of the listing's currency.
			if l.Price.Amount > 0 {
				l.PriceUSDRate = roundRate(usd / l.Price.Amount)
			}
			return
		}
		if m.Amount > 0 {
			l.PriceUSDRate = roundRate(usd / m.Amount)
		}
	}
	for _, m := range candidates {
		if m.Currency == "USD" {
			set(m.Amount, m, event.BasisPagePrice)
			return
		}
	}
	valid := Rates{}
	if rates.ValidFor(l.ObservedAt) {
		valid = rates
	}
	if raw, _, ok := fs.get("rate"); ok {
		var page Rates
		x, err := Rate(raw)
		if err == nil {
			var with Rates
			if with, ok = valid.With(x); ok {
				// Only the currencies the page's rate reaches count as
				// page-rate conversions.
				page = Rates{AsOf: l.ObservedAt, USDPer: map[string]float64{
					x.Base: with.USDPer[x.Base], x.Quote: with.USDPer[x.Quote]}}
			}
		}
		if err != nil || !ok {
			fs.flags.add("rate")
		}
		for _, m := range candidates {
			if usd, ok := page.USD(m); ok {
				set(usd, m, event.BasisPageRate)
				return
			}
		}
	}
	for _, m := range candidates {
		if usd, ok := valid.USD(m); ok {
			set(usd, m, event.BasisCaptureRate)
			return
		}
	}
	l.PriceUSDBasis = event.BasisNone
	fs.flags.add("price_usd")
	for _, m := range candidates {
		if _, ok := rates.USD(m); ok {
			fs.flags.add("price_usd:rate_not_of_capture_date")
			break
		}
	}
}

func roundRate(v float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0
	}
	return math.Round(v*1e8) / 1e8
}
