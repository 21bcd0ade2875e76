package normalize

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestOrigin(t *testing.T) {
	for _, c := range []struct {
		raw, country, region string
	}{
		// Real pages: AlphaBay "Origin country", Berlusconi, Agora, Evolution,
		// Nucleus, BlackRy, Pax Romana (after the site's arrow split), Cypher.
		{"Germany", "DE", ""},
		{"Europe", "", "EUROPE"},
		{"Torland", "", RegionUnknown},
		{"China", "CN", ""},
		{"US", "US", ""},
		{"United States", "US", ""},
		{"Afghanistan", "AF", ""},
		{"NL", "NL", ""},
		{"WW", "", RegionWorldwide},
		{"USA", "US", ""},
		{"Worldwide", "", RegionWorldwide},
		{"United Kingdom", "GB", ""},
		// Markers and regions as origins.
		{"European Union", "", "EU"},
		{"EU", "", "EU"},
		{"Digital", "", RegionDigital},
		{"Digital / Service", "", RegionDigital},
		{"Internet", "", RegionDigital},
		{"Unknown", "", RegionUnknown},
		{"Scandinavia", "", "SCANDINAVIA"},
		{"North America", "", "NORTH_AMERICA"},
		// Aliases, demonyms, other languages.
		{"UK", "GB", ""},
		{"U.S.A.", "US", ""},
		{"Holland", "NL", ""},
		{"Deutschland", "DE", ""},
		{"Нидерланды", "NL", ""},
		{"Германия", "DE", ""},
		{"Niemcy", "DE", ""},
		{"Países Bajos", "NL", ""},
		{"Royaume-Uni", "GB", ""},
		{"Verenigd Koninkrijk", "GB", ""},
		{"Stati Uniti", "US", ""},
		{"Espanha", "ES", ""},
		{"Germany only", "DE", ""},
		{" Germany ", "DE", ""},
		{"🇩🇪", "DE", ""},
		{"Ships from United States", "US", ""},
		{"Origin country: Germany", "DE", ""},
		{"From: Torland", "", RegionUnknown},
		{"Not specified", "", RegionUnknown},
	} {
		got, err := Origin(c.raw)
		if err != nil || got.Country != c.country || got.Region != c.region || got.Raw != strings.TrimSpace(c.raw) {
			t.Errorf("Origin(%q) = %+v, %v; want country %q region %q", c.raw, got, err, c.country, c.region)
		}
	}
	for _, raw := range []string{"", "Mordor", "Germany and the Netherlands", "Domestic", "Worldwide except USA",
		"WE SHIP PRODUCTS FROM GERMANY AND THE NETHERLANDS", strings.Repeat("a", 5000)} {
		if got, err := Origin(raw); !errors.Is(err, ErrUnparsable) || got.Country != "" || got.Region != "" {
			t.Errorf("Origin(%q) = %+v, %v; want ErrUnparsable", raw, got, err)
		}
	}
}

func TestShippingDestinations(t *testing.T) {
	p, err := placeTable()
	if err != nil {
		t.Fatal(err)
	}
	all := len(p.all)
	if all != 249 {
		t.Fatalf("%d ISO countries, want 249", all)
	}
	basis := func(st ShipsTo, code string) string {
		for _, d := range st.Destinations {
			if d.Country == code {
				return d.Basis
			}
		}
		return ""
	}
	for _, c := range []struct {
		raw       string
		n         int
		excluded  []string
		explicit  []string
		region    []string
		worldwide bool
		domestic  bool
	}{
		{raw: "Worldwide", n: all, worldwide: true},
		{raw: "WW", n: all, worldwide: true},
		{raw: "WW, EU", n: all, worldwide: true, region: []string{"DE", "NL"}},
		{raw: "NL", n: 1, explicit: []string{"NL"}},
		{raw: "United States", n: 1, explicit: []string{"US"}},
		{raw: "Worldwide except USA, Australia", n: all - 2, excluded: []string{"US", "AU"}, worldwide: true},
		{raw: "WW excl. US", n: all - 1, excluded: []string{"US"}, worldwide: true},
		{raw: "Worldwide (except USA, AUS)", n: all - 2, excluded: []string{"US", "AU"}, worldwide: true},
		{raw: "Everywhere but Germany", n: all - 1, excluded: []string{"DE"}, worldwide: true},
		{raw: "all countries except Russia", n: all - 1, excluded: []string{"RU"}, worldwide: true},
		{raw: "[Doesn't ship to...] United States", n: all - 1, excluded: []string{"US"}, worldwide: true},
		{raw: "Weltweit außer USA", n: all - 1, excluded: []string{"US"}, worldwide: true},
		{raw: "EU + UK", n: 28, explicit: []string{"GB"}, region: []string{"FR"}},
		{raw: "Germany, Europe", n: 52, explicit: []string{"DE"}, region: []string{"FR"}},
		{raw: "Europe except UK", n: 51, excluded: []string{"GB"}, region: []string{"FR"}},
		{raw: "Domestic Shipping Only", n: 0, domestic: true},
		{raw: "Digital", n: 0},
		{raw: "Worldwide (not USA)", n: all - 1, excluded: []string{"US"}, worldwide: true},
		{raw: "Ships to: Germany, Austria", n: 2, explicit: []string{"DE", "AT"}},
		{raw: "Ships worldwide except Australia", n: all - 1, excluded: []string{"AU"}, worldwide: true},
	} {
		st := Shipping(c.raw)
		if len(st.Destinations) != c.n || st.Worldwide != c.worldwide || st.Domestic != c.domestic || len(st.Unresolved) > 0 {
			t.Errorf("Shipping(%q): %d destinations, worldwide %v, domestic %v, unresolved %q; want %d, %v, %v",
				c.raw, len(st.Destinations), st.Worldwide, st.Domestic, st.Unresolved, c.n, c.worldwide, c.domestic)
			continue
		}
		for _, x := range c.excluded {
			if basis(st, x) != "" || !slices.Contains(st.Excluded, x) {
				t.Errorf("Shipping(%q): %s not excluded", c.raw, x)
			}
		}
		for _, x := range c.explicit {
			if b := basis(st, x); b != BasisExplicit {
				t.Errorf("Shipping(%q): %s basis %q, want explicit", c.raw, x, b)
			}
		}
		for _, x := range c.region {
			if b := basis(st, x); b != BasisRegion {
				t.Errorf("Shipping(%q): %s basis %q, want region", c.raw, x, b)
			}
		}
		if c.worldwide && len(c.region) == 0 && len(c.explicit) == 0 {
			for _, d := range st.Destinations {
				if d.Basis != BasisWorldwide {
					t.Errorf("Shipping(%q): %+v, want basis worldwide", c.raw, d)
					break
				}
			}
		}
		seen := map[string]bool{}
		for _, d := range st.Destinations {
			if seen[d.Country] || !isCode(d.Country) {
				t.Errorf("Shipping(%q): destination %q twice or not a code", c.raw, d.Country)
			}
			seen[d.Country] = true
		}
	}
}

func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"Germany", "Digital / Service", "WW excl. US", "NL⟶WW, EU", "[Doesn't ship to...] United States",
		"Worldwide (except USA, AUS)", "Domestic Shipping Only", "Нидерланды", "🇩🇪"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := Origin(raw)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("Origin(%q): error %v does not wrap ErrUnparsable", raw, err)
			}
			if o.Country != "" || o.Region != "" {
				t.Fatalf("Origin(%q) = %+v with an error", raw, o)
			}
		} else if (o.Country == "") == (o.Region == "") || (o.Country != "" && !isCode(o.Country)) {
			t.Fatalf("Origin(%q) = %+v: want exactly one of a code and a region", raw, o)
		}
		st := Shipping(raw)
		if len(st.Destinations) > 249 {
			t.Fatalf("Shipping(%q): %d destinations", raw, len(st.Destinations))
		}
		for _, d := range st.Destinations {
			if !isCode(d.Country) || slices.Contains(st.Excluded, d.Country) {
				t.Fatalf("Shipping(%q): destination %+v", raw, d)
			}
		}
	})
}
