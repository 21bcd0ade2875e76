package normalize

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseShippingOption(t *testing.T) {
	for _, c := range []struct {
		line, method string
		amount       float64
		cur          string
		duration     string
		dest         []string // some of the destinations
		nDest        int
	}{
		// AlphaBay, <select name="postageid">.
		{"Germany - 2 days - USD +4.50  / order", "Germany", 4.5, "USD", "2 days", []string{"DE"}, 1},
		{"EU + UK - 6 days - USD +6.75  / order", "EU + UK", 6.75, "USD", "6 days", []string{"GB", "FR"}, 28},
		{"Worldwide - 12 days - USD +9.01  / order", "Worldwide", 9.01, "USD", "12 days", []string{"US"}, 249},
		// Evolution.
		{"EMS -- 10 days ( + BTC 0.1023 )", "EMS", 0.1023, "BTC", "10 days", nil, 0},
		// Berlusconi.
		{"Additional item when buying a different product [1 EUR]", "Additional item when buying a different product", 1, "EUR", "", nil, 0},
		{"EUROPE SIGNED AND TRACKED [10 EUR]", "EUROPE SIGNED AND TRACKED", 10, "EUR", "", []string{"FR"}, 52},
		{"UK SIGNED AND TRACKED [7 EUR]", "UK SIGNED AND TRACKED", 7, "EUR", "", []string{"GB"}, 1},
		{"USA SIGNED AND TRACKED [12 EUR]", "USA SIGNED AND TRACKED", 12, "EUR", "", []string{"US"}, 1},
		// Drugmarket.
		{"Combined Shipping ... YOU MUST PAY 1 SHIPPING OPTION (฿0.000)", "Combined Shipping ... YOU MUST PAY 1 SHIPPING OPTION", 0, "BTC", "", nil, 0},
		{"SHIP FROM GERMANY (฿0.017)", "SHIP FROM GERMANY", 0.017, "BTC", "", nil, 0},
		{"OUTSIDE EU (฿0.008)", "OUTSIDE EU", 0.008, "BTC", "", []string{"US"}, 222},
		{"EU (฿0.004)", "EU", 0.004, "BTC", "", []string{"DE"}, 27},
		// Nucleus (two day ranges: the first is kept).
		{"1 USD - 5-8 days USA - 8 days", "USA", 1, "USD", "5-8 days", []string{"US"}, 1},
		// Contract examples.
		{"Standard - 5 days - USD +5.00", "Standard", 5, "USD", "5 days", nil, 0},
		{"Express 24h (+0.002 BTC)", "Express", 0.002, "BTC", "24h", nil, 0},
		{"Free shipping - 3-5 business days", "Free shipping", 0, "", "3-5 business days", nil, 0},
	} {
		o, err := ParseShippingOption(c.line)
		if err != nil || o.Method != c.method || math.Abs(o.Cost.Amount-c.amount) > 1e-12 || o.Cost.Currency != c.cur ||
			o.Duration != c.duration || len(o.Destinations) != c.nDest || o.Raw != strings.TrimSpace(c.line) {
			t.Errorf("ParseShippingOption(%q) = %+v (%d destinations), %v; want %q %v %s %q, %d destinations",
				c.line, o, len(o.Destinations), err, c.method, c.amount, c.cur, c.duration, c.nDest)
			continue
		}
		for _, d := range c.dest {
			if !slices.Contains(o.Destinations, d) {
				t.Errorf("ParseShippingOption(%q): %s not among the destinations", c.line, d)
			}
		}
	}
	for _, line := range []string{"", "Standard shipping", strings.Repeat("x", 5000)} {
		if o, err := ParseShippingOption(line); !errors.Is(err, ErrUnparsable) {
			t.Errorf("ParseShippingOption(%q) = %+v, %v; want ErrUnparsable", line, o, err)
		}
	}
}

func FuzzParseShippingOption(f *testing.F) {
	for _, s := range []string{"Germany - 2 days - USD +4.50  / order", "EMS -- 10 days ( + BTC 0.1023 )", "OUTSIDE EU (฿0.008)", "Express 24h (+0.002 BTC)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		o, err := ParseShippingOption(line)
		if err != nil && !errors.Is(err, ErrUnparsable) {
			t.Fatalf("error %v does not wrap ErrUnparsable", err)
		}
		if o.Cost.Amount < 0 || math.IsNaN(o.Cost.Amount) || len(o.Destinations) > 249 || len(o.Method) > 200 {
			t.Fatalf("ParseShippingOption(%q) = %+v", line, o)
		}
	})
}
