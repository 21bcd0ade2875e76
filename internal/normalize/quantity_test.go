package normalize

import (
	"errors"
	"math"
	"testing"
)

func TestQuantity(t *testing.T) {
	tests := []struct {
		raw  string
		q    float64
		unit string
	}{
		{"250 GRAM", 250, UnitGram},
		{"5 GR", 5, UnitGram},
		{"50 PILLS", 50, UnitCount},
		{"20 x 2mg", 20, UnitCount},
		{"1kg", 1000, UnitGram},
		{"3.5g", 3.5, UnitGram},
		{"1 oz", 28.349523125, UnitGram},
		{"10 tabs", 10, UnitCount},
		{"1ml", 1, UnitMillilitre},
		{"3,5 g", 3.5, UnitGram},
		{"1,000 pills", 1000, UnitCount},
		{"2x1g", 2, UnitGram},
		{"5 x 0.5g", 2.5, UnitGram},
		{"150ug x 10", 10, UnitCount},
		{"Xanax 2mg bars x 50", 50, UnitCount},
		{"10x Oxycodone 30mg (M30)", 10, UnitCount},
		{"20x Percocet 10/325", 20, UnitCount},
		{"MDMA pills x100", 100, UnitCount},
		{"LSD 150ug 10 blotters", 10, UnitCount},
		{"1/8 oz OG Kush", 3.543690390625, UnitGram},
		{"1/2 lb Amnesia Haze", 226.796185, UnitGram},
		{"500mg MDMA crystal", 0.5, UnitGram},
		{"Cocaine 97% pure 5g", 5, UnitGram},
		{"28g Colombian Cocaine | 90% | Fishscale", 28, UnitGram},
		{"1.5 kilos", 1500, UnitGram},
		{"100 ml GBL", 100, UnitMillilitre},
		{"0.5 L", 500, UnitMillilitre},
		{"1 lb", 453.59237, UnitGram},
		{"5 x 10 pills", 50, UnitCount},
		{"100pcs", 100, UnitCount},
	}
	for _, tt := range tests {
		q, unit, err := Quantity(tt.raw)
		if err != nil || math.Abs(q-tt.q) > 1e-9 || unit != tt.unit {
			t.Errorf("Quantity(%q) = %v %q, %v; want %v %q", tt.raw, q, unit, err, tt.q, tt.unit)
		}
	}
	for _, raw := range []string{"", "Cocaine", "LSD 150ug", "97% pure", "1st class post", "Percocet 10/325", "$50/g", "5 apples"} {
		if q, u, err := Quantity(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Quantity(%q) = %v %q, %v; want ErrUnparsable", raw, q, u, err)
		}
	}
}

func TestUnitCode(t *testing.T) {
	tests := []struct {
		raw    string
		code   string
		factor float64
	}{
		{"g", UnitGram, 1}, {"Grams", UnitGram, 1}, {"GR", UnitGram, 1}, {"kg", UnitGram, 1000},
		{"oz", UnitGram, 28.349523125}, {"pills", UnitCount, 1}, {"blotters", UnitCount, 1},
		{"ml", UnitMillilitre, 1}, {"1 kg", UnitGram, 1000}, {"mg", UnitGram, 0.001}, {"litre", UnitMillilitre, 1000},
	}
	for _, tt := range tests {
		code, f, ok := UnitCode(tt.raw)
		if !ok || code != tt.code || f != tt.factor {
			t.Errorf("UnitCode(%q) = %q %v %v; want %q %v", tt.raw, code, f, ok, tt.code, tt.factor)
		}
	}
	for _, raw := range []string{"", "apples", "per", "x"} {
		if code, _, ok := UnitCode(raw); ok {
			t.Errorf("UnitCode(%q) = %q; want not ok", raw, code)
		}
	}
}

func FuzzQuantity(f *testing.F) {
	for _, s := range []string{"250 GRAM", "20 x 2mg", "1/8 oz", "150ug x 10", "10x Oxy", "x100", "1,000 pills", "9999999999999999999999 x 9999999999999g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, unit, err := Quantity(raw)
		if err != nil {
			if q != 0 || unit != "" {
				t.Fatalf("Quantity(%q) = %v %q with error", raw, q, unit)
			}
			return
		}
		if !(q >= 0) || math.IsInf(q, 0) || (unit != UnitGram && unit != UnitMillilitre && unit != UnitCount) {
			t.Fatalf("Quantity(%q) = %v %q", raw, q, unit)
		}
	})
}

func TestPerUnitPrice(t *testing.T) {
	l := Listing(rec("listing", "listing_id", "1", "title", "3.5g Cocaine", "price", "€ 245"), prov, rates)
	price, usd, ok := PerUnitPrice(l)
	if !ok || price != 70 || usd != 77 || l.Unit != UnitGram {
		t.Errorf("PerUnitPrice = %v EUR, %v USD, %v per %q", price, usd, ok, l.Unit)
	}
	l = Listing(rec("listing", "listing_id", "1", "title", "Cocaine", "price", "€ 245"), prov, rates)
	if _, _, ok := PerUnitPrice(l); ok {
		t.Error("PerUnitPrice without a quantity is ok")
	}
}
