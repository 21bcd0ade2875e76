package normalize

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestHistoryClaims(t *testing.T) {
	for _, c := range []struct {
		text string
		want []HistoryClaim
	}{
		{"Dream 3700 deals, 4.82/5; Agora 1200 sales", []HistoryClaim{
			{Market: "Dream", Sales: 3700, Rating: 4.82, RatingMax: 5, Raw: "Dream 3700 deals, 4.82/5"},
			{Market: "Agora", Sales: 1200, Raw: "Agora 1200 sales"}}},
		{"Agora: 1200 sales 98%", []HistoryClaim{{Market: "Agora", Sales: 1200, Rating: 98, RatingMax: 100, Raw: "Agora: 1200 sales 98%"}}},
		{"AlphaBay (500+ orders, 4.9 stars)", []HistoryClaim{{Market: "AlphaBay", Sales: 500, Rating: 4.9, RatingMax: 5, Raw: "AlphaBay (500+ orders, 4.9 stars)"}}},
		{"Dream 3700 deals, 4.82/5, Agora 1200 sales", []HistoryClaim{
			{Market: "Dream", Sales: 3700, Rating: 4.82, RatingMax: 5, Raw: "Dream 3700 deals, 4.82/5"},
			{Market: "Agora", Sales: 1200, Raw: "Agora 1200 sales"}}},
		{"Hansa: 2,150 transactions\nSilk Road 2: 900 sales, 9.8/10", []HistoryClaim{
			{Market: "Hansa", Sales: 2150, Raw: "Hansa: 2,150 transactions"},
			{Market: "Silk Road 2", Sales: 900, Rating: 9.8, RatingMax: 10, Raw: "Silk Road 2: 900 sales, 9.8/10"}}},
		{"Zanzibar Market - 40 orders", []HistoryClaim{{Market: "Zanzibar", Sales: 40, Raw: "Zanzibar Market - 40 orders"}}},
		// Agora's own rating line names no other market.
		{"4.878/5, 3000~4000 deals", nil},
		{"We ship from Germany", nil},
	} {
		if got := HistoryClaims(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("HistoryClaims(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want float64
	}{
		{"98.5%", 98.5},
		{"( 99.3% )", 99.3},    // Evolution
		{"(102T / 99.0%)", 99}, // Mr. Nice Guy
		{"100%", 100},
		{"98,5 %", 98.5},
		{"98.5", 98.5},
		{"Positive feedback: 97%", 97},
		{"0%", 0},
	} {
		if got, err := Percent(c.raw); err != nil || got != c.want {
			t.Errorf("Percent(%q) = %v, %v; want %v", c.raw, got, err, c.want)
		}
	}
	for _, raw := range []string{"", "n/a", "150%", "-5%", "4.77 / 5.0", strings.Repeat("9", 5000)} {
		if got, err := Percent(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Percent(%q) = %v, %v; want ErrUnparsable", raw, got, err)
		}
	}
}

func TestFinalizeEarly(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want bool
	}{
		{"FE Required", true},
		{"FE Listing", true},
		{"100% FE", true},
		{"Finalize Early", true}, // Cypher badge
		{"***** NEW RULES - WE REQUIRE EVERYONE TO FINALIZE EARLY *****", true}, // Drugmarket
		{"FE: Yes", true},
		{"No", false}, // Nucleus row "FE"
		{"FE: No", false},
		{"No FE", false},
		{"FE not allowed", false},
		{"Escrow only", false},
		{"Full escrow", false},
		{"✓ Escrow", false},
		{"Yes", true},
	} {
		if got, err := FinalizeEarly(c.raw); err != nil || got != c.want {
			t.Errorf("FinalizeEarly(%q) = %v, %v; want %v", c.raw, got, err, c.want)
		}
	}
	for _, raw := range []string{"", "Low stock!", "Features", strings.Repeat("x", 5000)} {
		if got, err := FinalizeEarly(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("FinalizeEarly(%q) = %v, %v; want ErrUnparsable", raw, got, err)
		}
	}
}
