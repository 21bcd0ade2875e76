package normalize

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

func TestMoneyIssueStrings(t *testing.T) {
	tests := []struct {
		raw    string
		amount float64
		cur    string
		per    PerUnit
	}{
		{"$41.20", 41.20, "USD", PerUnit{}},
		{"USD 12.40", 12.40, "USD", PerUnit{}},
		{"EUR 95.00", 95, "EUR", PerUnit{}},
		{"฿0.00081", 0.00081, "BTC", PerUnit{}},
		{"0.2211 LTC", 0.2211, "LTC", PerUnit{}},
		{"0.3105 XMR", 0.3105, "XMR", PerUnit{}},
		{"1.234,56 €", 1234.56, "EUR", PerUnit{}},
		{"€ 30", 30, "EUR", PerUnit{}},
		{"30 EUR/g", 30, "EUR", PerUnit{1, UnitGram}},
		{"$10 per gram", 10, "USD", PerUnit{1, UnitGram}},
		{"€3.000/kg", 3, "EUR", PerUnit{1000, UnitGram}}, // a lone "." is the decimal mark in a price
		{"€3,000/kg", 3000, "EUR", PerUnit{1000, UnitGram}},
		{"0.01 BTC / pill", 0.01, "BTC", PerUnit{1, UnitCount}},
		{"5 USD each", 5, "USD", PerUnit{1, UnitCount}},
		{"$120 / 28g", 120, "USD", PerUnit{28, UnitGram}},
		{"£8.50 a gram", 8.5, "GBP", PerUnit{1, UnitGram}},
		{"45 EUR / Mordor", 45, "EUR", PerUnit{}},
		{"USD 12.40 (0.00013 BTC)", 12.40, "USD", PerUnit{}},
		{"Ƀ 0.5", 0.5, "BTC", PerUnit{}},
		{"0,5 Monero", 0.5, "XMR", PerUnit{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			m, per, err := MoneyPer(tt.raw)
			if err != nil {
				t.Fatalf("MoneyPer(%q): %v", tt.raw, err)
			}
			if math.Abs(m.Amount-tt.amount) > 1e-12 || m.Currency != tt.cur || per != tt.per {
				t.Errorf("MoneyPer(%q) = %v %s %+v, want %v %s %+v", tt.raw, m.Amount, m.Currency, per, tt.amount, tt.cur, tt.per)
			}
			if m2, err := Money(tt.raw); err != nil || m2 != m {
				t.Errorf("Money(%q) = %+v, %v; want %+v", tt.raw, m2, err, m)
			}
		})
	}
}

func TestMoneyNoCurrency(t *testing.T) {
	for _, tt := range []struct {
		raw    string
		amount float64
	}{{"1,234.56", 1234.56}, {"45.00", 45}, {"Price: 12", 12}} {
		m, err := Money(tt.raw)
		if !errors.Is(err, ErrNoCurrency) || !errors.Is(err, ErrUnparsable) {
			t.Errorf("Money(%q) error %v; want ErrNoCurrency and ErrUnparsable", tt.raw, err)
		}
		if m.Amount != tt.amount || m.Currency != "" || m.Raw != tt.raw {
			t.Errorf("Money(%q) = %+v; want amount %v, no currency", tt.raw, m, tt.amount)
		}
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		raw         string
		base, quote string
		price       float64
	}{
		{"1 BTC = 95,000 USD", "BTC", "USD", 95000},
		{"1 XMR ≈ $150.20", "XMR", "USD", 150.20},
		{"BTC/USD: 95000", "BTC", "USD", 95000},
		{"XMR/EUR 140.5", "XMR", "EUR", 140.5},
		{"BTC: $95,000", "BTC", "USD", 95000},
		{"1 USD = 0.0000105 BTC", "USD", "BTC", 0.0000105},
		{"Rate: 1 LTC = 85.12 USD (updated hourly)", "LTC", "USD", 85.12},
		{"0.5 BTC = 47,500 USD", "BTC", "USD", 95000},
		{"1 BTC = 88.000,50 €", "BTC", "EUR", 88000.5},
		// Real pages: the contract's forms, Berlusconi's footer (fiat per
		// coin, written fiat first), Nucleus' header.
		{"1 BTC = 9,000 USD", "BTC", "USD", 9000},
		{"BTC/USD: 9000", "BTC", "USD", 9000},
		{"1 XMR = €150", "XMR", "EUR", 150},
		{"EUR / BTC 9129.14", "BTC", "EUR", 9129.14},
		{"USD / BTC: 10022.25", "BTC", "USD", 10022.25},
		{"BTC 228.72 USD", "BTC", "USD", 228.72},
		{"DASH 2.672 USD", "DASH", "USD", 2.672},
	}
	for _, tt := range tests {
		x, err := Rate(tt.raw)
		if err != nil || x.Base != tt.base || x.Quote != tt.quote || math.Abs(x.Price-tt.price) > 1e-9*tt.price {
			t.Errorf("Rate(%q) = %+v, %v; want %s/%s %v", tt.raw, x, err, tt.base, tt.quote, tt.price)
		}
	}
	for _, raw := range []string{"", "95000", "1 BTC", "1 BTC = 1 BTC", "USD/USD 1", "0 BTC = 5 USD", "BTC = lots", "230.53 USD", "USD 229.05"} {
		if x, err := Rate(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Rate(%q) = %+v, %v; want ErrUnparsable", raw, x, err)
		}
	}
}

func TestRatesWith(t *testing.T) {
	base := Rates{USDPer: map[string]float64{"EUR": 1.1}}
	tests := []struct {
		x    ExchangeRate
		cur  string
		want float64
		ok   bool
	}{
		{ExchangeRate{"BTC", "USD", 95000}, "BTC", 95000, true},
		{ExchangeRate{"USD", "XMR", 0.005}, "XMR", 200, true},
		{ExchangeRate{"XMR", "EUR", 100}, "XMR", 110, true},
		{ExchangeRate{"XMR", "GBP", 100}, "XMR", 0, false},
		{ExchangeRate{"XMR", "XMR", 1}, "XMR", 0, false},
		{ExchangeRate{"XMR", "USD", 0}, "XMR", 0, false},
	}
	for _, tt := range tests {
		r, ok := base.With(tt.x)
		if ok != tt.ok || math.Abs(r.USDPer[tt.cur]-tt.want) > 1e-9 {
			t.Errorf("With(%+v) = %v, %v; want %s %v, %v", tt.x, r.USDPer, ok, tt.cur, tt.want, tt.ok)
		}
	}
	if len(base.USDPer) != 1 {
		t.Errorf("With changed its receiver: %v", base.USDPer)
	}
	// No rate, no conversion: never an invented rate.
	if usd, ok := (Rates{}).USD(mustMoney(t, "0.3105 XMR")); ok || usd != 0 {
		t.Errorf("USD without rates = %v, %v", usd, ok)
	}
}

func mustMoney(t *testing.T, raw string) event.Money {
	t.Helper()
	m, err := Money(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func FuzzMoneyPer(f *testing.F) {
	for _, s := range []string{"$41.20", "30 EUR/g", "1.234,56 €", "€3,000/kg", "0.01 BTC / 1 pill", "5 USD each", "1 BTC = 95,000 USD", "BTC/USD: 95000", "\xff$1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, per, err := MoneyPer(raw)
		if err == nil && (m.Currency == "" || math.IsNaN(m.Amount) || math.IsInf(m.Amount, 0) || m.Amount < 0) {
			t.Fatalf("MoneyPer(%q) = %+v", raw, m)
		}
		if per.Unit != "" && (!(per.Quantity > 0) || (per.Unit != UnitGram && per.Unit != UnitMillilitre && per.Unit != UnitCount)) {
			t.Fatalf("MoneyPer(%q) per = %+v", raw, per)
		}
		if x, err := Rate(raw); err == nil && (x.Base == x.Quote || !(x.Price > 0) || math.IsInf(x.Price, 0)) {
			t.Fatalf("Rate(%q) = %+v", raw, x)
		}
	})
}

func TestMoneyRange(t *testing.T) {
	for _, c := range []struct {
		raw string
		lo  float64
		cur string
		hi  float64
	}{
		// Europa's quantity tiers, one span with newlines.
		{"50.00 - 39000.00 EUR", 50, "EUR", 39000},
		{"50.00 -\n39000.00\nEUR", 50, "EUR", 39000},
		{"255.00 - 913.00 EUR", 255, "EUR", 913},
		{"5.36 EUR", 5.36, "EUR", 0},
		{"$10 - $20", 10, "USD", 20},
		{"€5–€10", 5, "EUR", 10},
		{"10 to 20 USD", 10, "USD", 20},
		{"USD 10 - USD 20", 10, "USD", 20},
		{"1.000,00 - 2.500,50 €", 1000, "EUR", 2500.5},
		// Single prices in the forms real pages show.
		{"USD 19.02", 19.02, "USD", 0},
		{"0.0830 BTC", 0.083, "BTC", 0},
		{"0.00390404 BTC", 0.00390404, "BTC", 0},
		{"35 EUR", 35, "EUR", 0},
		{"BTC 0.1330", 0.133, "BTC", 0},
		{"฿0.0060", 0.006, "BTC", 0},
		{"250 USD", 250, "USD", 0},
		{"From: 250.00 $", 250, "USD", 0},
		{"From: 9 $", 9, "USD", 0},
		{"£210.00 GBP", 210, "GBP", 0},
		{"€50.00 EUR", 50, "EUR", 0},
		{"$60 / 0.005802 BTC", 60, "USD", 0},
		{"0.302748020900 XMR", 0.3027480209, "XMR", 0},
		{" 54.82 USD", 54.82, "USD", 0},
		{"45 €", 45, "EUR", 0},
		{"45,- €", 45, "EUR", 0},
		{"EUR 45.-", 45, "EUR", 0},
		{"&#36;45", 45, "USD", 0},
		{"Only &#36;1.98 per month", 1.98, "USD", 0},
		{"5 mBTC", 0.005, "BTC", 0},
		{"Ƀ0.5", 0.5, "BTC", 0},
		{"ɱ1.2", 1.2, "XMR", 0},
		{"Ł3", 3, "LTC", 0},
		{"USD 45", 45, "USD", 0},
		{"45 USD", 45, "USD", 0},
		{"USD 19.02 - 0.0830 BTC", 19.02, "USD", 0}, // two currencies: no range
	} {
		lo, hi, err := MoneyRange(c.raw)
		if err != nil || math.Abs(lo.Amount-c.lo) > 1e-9 || lo.Currency != c.cur || math.Abs(hi-c.hi) > 1e-9 || lo.Raw != strings.TrimSpace(c.raw) {
			t.Errorf("MoneyRange(%q) = %+v, %v, %v; want %v %s, %v", c.raw, lo, hi, err, c.lo, c.cur, c.hi)
		}
	}
	if lo, hi, err := MoneyRange("50 - 60"); !errors.Is(err, ErrNoCurrency) || lo.Amount != 50 || hi != 60 || lo.Currency != "" {
		t.Errorf("MoneyRange(%q) = %+v, %v, %v; want 50, 60 and ErrNoCurrency", "50 - 60", lo, hi, err)
	}
	for _, raw := range []string{"", "Unlimited", "20 - 10 EUR", "USD -1.00", "Current bid price: USD -1.00", "−5 EUR", "1,234.56", strings.Repeat("9", 5000)} {
		if lo, hi, err := MoneyRange(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("MoneyRange(%q) = %+v, %v, %v; want ErrUnparsable", raw, lo, hi, err)
		}
	}
}

func FuzzMoneyRange(f *testing.F) {
	for _, s := range []string{"50.00 - 39000.00 EUR", "$10 - $20", "€5–€10", "10 to 20 USD", "&#36;45", "−0 USD", "5 mBTC", "From: 9 $", "\xff-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		lo, hi, err := MoneyRange(raw)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("MoneyRange(%q): %v does not wrap ErrUnparsable", raw, err)
			}
			return
		}
		if lo.Currency == "" || lo.Amount < 0 || math.IsNaN(lo.Amount) || math.IsInf(lo.Amount, 0) || (hi != 0 && hi < lo.Amount) || math.IsInf(hi, 0) {
			t.Fatalf("MoneyRange(%q) = %+v, %v", raw, lo, hi)
		}
	})
}

func TestMoneyOf(t *testing.T) {
	const nucleus = "0.97630698BTC // 148.63258026LTC // 61.44015729DASH"
	for _, c := range []struct {
		raw, cur string
		want     float64
	}{
		{nucleus, "BTC", 0.97630698},
		{nucleus, "LTC", 148.63258026},
		{nucleus, "DASH", 61.44015729},
		{"$60 / 0.005802 BTC", "BTC", 0.005802},
		{"$60 / 0.005802 BTC", "USD", 60},
		{"€50.00 EUR 0.00800582 BTC 1.020616450000 XMR", "XMR", 1.02061645},
		{"€50.00 EUR 0.00800582 BTC 1.020616450000 XMR", "EUR", 50},
		{"USD 12.40 (5 mBTC)", "BTC", 0.005},
	} {
		got, err := MoneyOf(c.raw, c.cur)
		if err != nil || math.Abs(got.Amount-c.want) > 1e-12 || got.Currency != c.cur || got.Raw != c.raw {
			t.Errorf("MoneyOf(%q, %s) = %+v, %v; want %v", c.raw, c.cur, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{nucleus, "XMR"}, {"", "BTC"}, {"USD -1.00", "USD"}} {
		if got, err := MoneyOf(c[0], c[1]); !errors.Is(err, ErrUnparsable) {
			t.Errorf("MoneyOf(%q, %s) = %+v, %v; want ErrUnparsable", c[0], c[1], got, err)
		}
	}
}

func FuzzMoneyOf(f *testing.F) {
	for _, s := range []string{"0.97630698BTC // 148.63258026LTC // 61.44015729DASH", "$60 / 0.005802 BTC", "USD 12.40 (5 mBTC)"} {
		f.Add(s, "BTC")
	}
	f.Fuzz(func(t *testing.T, raw, cur string) {
		m, err := MoneyOf(raw, cur)
		if err == nil && (m.Currency != cur || m.Amount < 0 || math.IsNaN(m.Amount) || math.IsInf(m.Amount, 0)) {
			t.Fatalf("MoneyOf(%q, %q) = %+v", raw, cur, m)
		}
	})
}

// A site file can point price_ltc at a text showing several prices; the
// listing keeps the LTC amount, not the first one, and flags nothing.
func TestListingPriceFieldOfCombinedText(t *testing.T) {
	const nucleus = "0.97630698BTC // 148.63258026LTC // 61.44015729DASH"
	rec := pipeline.Record{Type: pipeline.RecordListing, Fields: map[string]pipeline.Field{
		"listing_id": {Raw: "1"}, "price": {Raw: nucleus, Parser: pipeline.ParserMoney},
		"price_ltc": {Raw: nucleus, Parser: pipeline.ParserMoney},
	}}
	l := Listing(rec, event.Provenance{Source: "nucleus"}, Rates{})
	var ltc float64
	for _, p := range l.Prices {
		if p.Currency == "LTC" {
			ltc = p.Amount
		}
	}
	if ltc != 148.63258026 || slices.Contains(l.Flags, "price_ltc") {
		t.Errorf("prices %+v, flags %v", l.Prices, l.Flags)
	}
}
