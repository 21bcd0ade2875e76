package normalize

import (
	"errors"
	"reflect"
	"testing"
)

func TestCountry(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"Germany", "DE"}, {"germany", "DE"}, {"DE", "DE"}, {"de", "DE"}, {"DEU", "DE"}, {"Deutschland", "DE"},
		{"USA", "US"}, {"United States", "US"}, {"U.S.A.", "US"}, {"United States of America", "US"},
		{"UK", "GB"}, {"United Kingdom", "GB"}, {"England", "GB"}, {"Great Britain", "GB"}, {"GBR", "GB"},
		{"Holland", "NL"}, {"The Netherlands", "NL"}, {"Netherlands", "NL"}, {"Nederland", "NL"},
		{"Côte d'Ivoire", "CI"}, {"Cote dIvoire", "CI"}, {"Ivory Coast", "CI"}, {"Åland Islands", "AX"},
		{"Österreich", "AT"}, {"Türkiye", "TR"}, {"Turkey", "TR"}, {"Russia", "RU"}, {"Bolivia", "BO"},
		{"Korea, Republic of", "KR"}, {"Republic of Korea", "KR"}, {"South Korea", "KR"}, {"Iran", "IR"},
		{"Congo", "CG"}, {"DR Congo", "CD"}, {"Bosnia and Herzegovina", "BA"}, {"Trinidad and Tobago", "TT"},
		{"Viet Nam", "VN"}, {"Vietnam", "VN"}, {"  Spain. ", "ES"}, {"España", "ES"}, {"NO", "NO"},
		{"🇩🇪", "DE"}, {"Germany (DE)", "DE"}, {"Kosovo", "XK"}, {"Taiwan", "TW"}, {"Falkland Islands", "FK"},
	}
	for _, tt := range tests {
		got, err := Country(tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("Country(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
	for _, raw := range []string{"", "Atlantis", "EU", "Worldwide", "no", "No", "in", "Virgin Islands", "Germany, France", "🇿"} {
		if got, err := Country(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Country(%q) = %q, %v; want ErrUnparsable", raw, got, err)
		}
	}
}

func TestCountries(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
		ok   bool
	}{
		{"Germany, Austria, Switzerland", []string{"DE", "AT", "CH"}, true},
		{"Germany; Netherlands | France", []string{"DE", "NL", "FR"}, true},
		{"UK and Ireland", []string{"GB", "GG", "IE", "IM", "JE"}, true},
		{"USA and Canada", []string{"CA", "US"}, true},
		{"Germany and France", []string{"DE", "FR"}, true},
		{"Bosnia and Herzegovina, Serbia", []string{"BA", "RS"}, true},
		{"DE/AT/CH", []string{"AT", "CH", "DE"}, true},
		{"DE / NL / DE", []string{"DE", "NL"}, true},
		{"Benelux", []string{"BE", "LU", "NL"}, true},
		{"Scandinavia + Finland", []string{"DK", "NO", "SE", "FI"}, true},
		{"Europe except UK", nil, true}, // checked below
		{"Worldwide", nil, false},
		{"Worldwide except USA/AU", nil, false},
		{"Germany, Atlantis", []string{"DE"}, false},
		{"Germany & Worldwide", []string{"DE"}, false},
		{"n/a", nil, false},
		{"", nil, false},
		{"Trinidad and Tobago", []string{"TT"}, true},
	}
	for _, tt := range tests {
		got, ok := Countries(tt.raw)
		if tt.raw == "Europe except UK" {
			if !ok || len(got) != 51 || contains(got, "GB") || !contains(got, "DE") {
				t.Errorf("Countries(%q) = %v (%d), %v", tt.raw, got, len(got), ok)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) || ok != tt.ok {
			t.Errorf("Countries(%q) = %v, %v; want %v, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
	eu, ok := Countries("EU")
	if !ok || len(eu) != 27 {
		t.Errorf("Countries(EU) = %v, %v; want the 27 member states", eu, ok)
	}
}

func TestShipping(t *testing.T) {
	tests := []struct {
		raw        string
		codes      []string
		unresolved []string
		specials   []string
	}{
		{"Worldwide", nil, nil, []string{SpecialWorldwide}},
		{"Worldwide (except USA)", nil, nil, []string{SpecialWorldwide}},
		{"EU, Digital", nil, nil, []string{SpecialDigital}},
		{"Domestic only", nil, nil, []string{SpecialDomestic}},
		{"Germany, Mordor", []string{"DE"}, []string{"Mordor"}, nil},
		{"?", nil, nil, []string{SpecialUnknown}},
		{"Europe excluding Russia, Belarus", nil, nil, nil},
	}
	for _, tt := range tests {
		sh, err := parseShipping(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if tt.raw == "EU, Digital" {
			sh.codes = nil
		}
		if tt.raw == "Europe excluding Russia, Belarus" {
			if contains(sh.codes, "RU") || contains(sh.codes, "BY") || !contains(sh.codes, "UA") || len(sh.unresolved) > 0 {
				t.Errorf("%q: %+v", tt.raw, sh)
			}
			continue
		}
		if !reflect.DeepEqual(sh.codes, tt.codes) || !reflect.DeepEqual(sh.unresolved, tt.unresolved) || !reflect.DeepEqual(sh.specials, tt.specials) {
			t.Errorf("parseShipping(%q) = %+v; want codes %v unresolved %v specials %v", tt.raw, sh, tt.codes, tt.unresolved, tt.specials)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func FuzzCountries(f *testing.F) {
	for _, s := range []string{"Germany, Austria", "EU / UK", "Worldwide except USA/AU", "n/a", "🇩🇪", "İstanbul except İzmir", "\xff,\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		codes, _ := Countries(raw)
		seen := map[string]bool{}
		for _, c := range codes {
			if !isCode(c) {
				t.Fatalf("Countries(%q) returned %q", raw, c)
			}
			if seen[c] {
				t.Fatalf("Countries(%q) returned %q twice", raw, c)
			}
			seen[c] = true
		}
		if c, err := Country(raw); err == nil && !isCode(c) {
			t.Fatalf("Country(%q) = %q", raw, c)
		}
	})
}

func TestShippingExported(t *testing.T) {
	tests := []struct {
		raw  string
		want ShipsTo
	}{
		{"Worldwide", ShipsTo{Worldwide: true}},
		{"Worldwide except USA, Australia", ShipsTo{Worldwide: true, Excluded: []string{"US", "AU"}}},
		{"Ships worldwide", ShipsTo{Worldwide: true}},
		{"Germany only", ShipsTo{Codes: []string{"DE"}}},
		{"Scandinavia", ShipsTo{Codes: []string{"DK", "NO", "SE"}}},
		{"North America", ShipsTo{Codes: []string{"CA", "US"}}},
		{"Europe excluding Russia", ShipsTo{Codes: nil, Excluded: []string{"RU"}}},
		{"EU, Digital", ShipsTo{Codes: nil, Specials: []string{SpecialDigital}}},
		{"Germany, Mordor", ShipsTo{Codes: []string{"DE"}, Unresolved: []string{"Mordor"}}},
	}
	for _, tt := range tests {
		got := Shipping(tt.raw)
		if tt.raw == "Europe excluding Russia" {
			if len(got.Codes) != 51 || contains(got.Codes, "RU") || !reflect.DeepEqual(got.Excluded, tt.want.Excluded) {
				t.Errorf("Shipping(%q) = %+v", tt.raw, got)
			}
			continue
		}
		if tt.raw == "EU, Digital" {
			if len(got.Codes) != 27 || !reflect.DeepEqual(got.Specials, tt.want.Specials) || got.Worldwide {
				t.Errorf("Shipping(%q) = %+v", tt.raw, got)
			}
			continue
		}
		got.Destinations = nil // TestShippingDestinations
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Shipping(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
	}
}
