package worldmap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/reference"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata")

func small() Map {
	return Map{
		Title: "Routes from NL & DE <category: stimulants>",
		Flows: []Flow{
			{From: "NL", To: "GB", Count: 120, Basis: "explicit"},
			{From: "nl", To: "gb", Count: 30, Basis: "explicit"}, // merged with the one above
			{From: "NL", To: "FR", Count: 40, Basis: "region"},
			{From: "DE", To: "US", Count: 7, Basis: "worldwide"},
			{From: "DE", To: "MT", Count: 3, Basis: "explicit"}, // dot-only destination
			{From: "DE", To: "DE", Count: 9, Basis: "explicit"}, // domestic
		},
		Highlight: []string{"GB", "MT"},
	}
}

func TestRenderGolden(t *testing.T) {
	golden(t, small(), "small.svg")
	fitted := small()
	fitted.Fit = true
	b := golden(t, fitted, "small-fit.svg")
	if !strings.Contains(b.String(), "Zoomed ") {
		t.Error("fitted map does not say it is zoomed")
	}
}

func golden(t *testing.T, m Map, name string) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, m); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("SVG differs from %s (run with -update after checking the change)", golden)
	}
	checkSVG(t, b.Bytes())
	s := b.String()
	for _, want := range []string{
		"Netherlands, Kingdom of the (NL) -&gt; United Kingdom of Great Britain and Northern Ireland (GB): 150, country named (explicit)",
		"Germany (DE) -&gt; Malta (MT): 3, country named (explicit)",
		"Routes from NL &amp; DE &lt;category: stimulants&gt;",
		"5 routes drawn",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	return &b
}

// checkSVG parses b as XML and fails on anything that could execute or
// fetch: an element outside what Render draws, an event handler, a style,
// a link of any kind (href, src, url(...)) or an http(s) reference other
// than the SVG namespace.
func checkSVG(t *testing.T, b []byte) {
	t.Helper()
	depth := 0
	allowed := map[string]bool{"svg": true, "title": true, "g": true, "path": true, "circle": true, "rect": true, "text": true}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	root := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse as XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("element %s in namespace %q", tok.Name.Local, tok.Name.Space)
			}
			if !allowed[tok.Name.Local] {
				t.Errorf("element <%s> in the SVG", tok.Name.Local)
			}
			if depth == 0 {
				root++
			}
			depth++
			for _, a := range tok.Attr {
				n, v := strings.ToLower(a.Name.Local), strings.ToLower(a.Value)
				if a.Name.Space == "" && n == "xmlns" && v == "http://www.w3.org/2000/svg" {
					continue
				}
				if strings.HasPrefix(n, "on") || n == "href" || n == "src" || n == "style" || a.Name.Space != "" ||
					strings.Contains(v, "url(") || strings.Contains(v, "http") || strings.Contains(v, "javascript") {
					t.Errorf("attribute %s=%q on <%s>", a.Name.Local, a.Value, tok.Name.Local)
				}
			}
		case xml.EndElement:
			depth--
		case xml.ProcInst, xml.Directive:
			t.Errorf("processing instruction or directive %T in the SVG", tok)
		}
	}
	if root != 1 {
		t.Errorf("%d root elements, want 1", root)
	}
	if bytes.Contains(bytes.ToLower(b), []byte("<script")) {
		t.Error("SVG has a script element")
	}
}

// TestEveryCountry checks that every country of the reference data is on
// the map, as an outline or a dot, inside the map's bounds, and draws a map
// with a flow into each.
func TestEveryCountry(t *testing.T) {
	ref, err := reference.Default()
	if err != nil {
		t.Fatal(err)
	}
	all, err := Countries()
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]Country{}
	for _, c := range all {
		byCode[c.Code] = c
		if c.X < 0 || c.X > Width || c.Y < 0 || c.Y > Height {
			t.Errorf("%s: centroid %.1f,%.1f outside the map", c.Code, c.X, c.Y)
		}
	}
	dots, err := DotOnly()
	if err != nil {
		t.Fatal(err)
	}
	var m Map
	for _, c := range ref.Countries {
		mc, ok := byCode[c.ISO2]
		if !ok {
			t.Errorf("%s (%s) is not on the map", c.ISO2, c.Name)
			continue
		}
		if mc.Dot != contains(dots, c.ISO2) {
			t.Errorf("%s: Dot=%v but DotOnly disagrees", c.ISO2, mc.Dot)
		}
		m.Flows = append(m.Flows, Flow{From: "NL", To: c.ISO2, Count: 1 + len(m.Flows), Basis: Bases[len(m.Flows)%3]})
		m.Highlight = append(m.Highlight, c.ISO2)
	}
	if len(all) != len(ref.Countries) {
		t.Errorf("map has %d countries, reference %d", len(all), len(ref.Countries))
	}
	t.Logf("%d countries: %d outlined, %d dot-only: %s", len(all), len(all)-len(dots), len(dots), strings.Join(dots, " "))
	for _, small := range []string{"MC", "VA", "SM", "LI", "AD", "MT", "SG", "BH"} {
		if !contains(dots, small) {
			t.Errorf("%s should be dot-only", small)
		}
	}
	for _, big := range []string{"FR", "GF", "NO", "SJ", "UA", "RU", "US", "CN", "BR", "AU", "CY", "SO"} {
		if contains(dots, big) {
			t.Errorf("%s should have an outline", big)
		}
	}
	var b bytes.Buffer
	if err := Render(&b, m); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, b.Bytes())
	if n := bytes.Count(b.Bytes(), []byte("<circle")); n != len(dots)+1 { // +1: the NL -> NL loop
		t.Errorf("%d circles, want one per dot-only country and the NL loop", n)
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

func TestRenderRefuses(t *testing.T) {
	for name, m := range map[string]Map{
		"unknown origin":      {Flows: []Flow{{From: "XX", To: "DE", Count: 1, Basis: "explicit"}}},
		"unknown destination": {Flows: []Flow{{From: "DE", To: "EU", Count: 1, Basis: "explicit"}}},
		"zero count":          {Flows: []Flow{{From: "DE", To: "FR", Count: 0, Basis: "explicit"}}},
		"unknown basis":       {Flows: []Flow{{From: "DE", To: "FR", Count: 1, Basis: "guess"}}},
		"empty basis":         {Flows: []Flow{{From: "DE", To: "FR", Count: 1}}},
		"unknown highlight":   {Highlight: []string{"ZZ"}},
		"long title":          {Title: strings.Repeat("x", MaxTitleRunes+1)},
		"title not UTF-8":     {Title: "\xff"},
	} {
		var b bytes.Buffer
		err := Render(&b, m)
		if !errors.Is(err, ErrBadMap) {
			t.Errorf("%s: err = %v, want ErrBadMap", name, err)
		}
		if b.Len() != 0 {
			t.Errorf("%s: %d bytes written before the error", name, b.Len())
		}
	}
}

func TestRenderBoundsFlows(t *testing.T) {
	all, err := Countries()
	if err != nil {
		t.Fatal(err)
	}
	var m Map
	for i, c := range all {
		for _, d := range all[i%7 : i%7+4] {
			m.Flows = append(m.Flows, Flow{From: c.Code, To: d.Code, Count: 1 + (i*7)%50, Basis: "explicit"})
		}
	}
	var b bytes.Buffer
	if err := Render(&b, m); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, b.Bytes())
	if n := strings.Count(b.String(), "<g stroke="); n != MaxFlows {
		t.Errorf("%d flows drawn, want %d", n, MaxFlows)
	}
	if !strings.Contains(b.String(), " smaller routes (total ") {
		t.Error("legend does not say that flows were left out")
	}
	if b.Len() > 1<<20 {
		t.Errorf("map of %d bytes", b.Len())
	}
}

func TestEmptyMap(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, Map{}); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, b.Bytes())
	if !strings.Contains(b.String(), "No routes to draw") {
		t.Error("empty map does not say so")
	}
	t.Logf("empty map: %d bytes", b.Len())
}

func BenchmarkRenderSmall(b *testing.B) {
	m := small()
	for b.Loop() {
		if err := Render(io.Discard, m); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRender: any title, codes, count and basis either draw a valid,
// inert SVG or are refused with ErrBadMap.
func FuzzRender(f *testing.F) {
	f.Add("Routes <b>&amp;", "NL", "GB", 3, "explicit", true)
	f.Add("]]><script>", "de", "DE", 1, "region", false)
	f.Add("\x00\xff", "XX", "", 0, "", true)
	f.Fuzz(func(t *testing.T, title, from, to string, count int, basis string, fit bool) {
		var b bytes.Buffer
		err := Render(&b, Map{Title: title, Flows: []Flow{{From: from, To: to, Count: count, Basis: basis}}, Highlight: []string{to}, Fit: fit})
		if err != nil {
			if !errors.Is(err, ErrBadMap) || b.Len() != 0 {
				t.Fatalf("err %v with %d bytes written", err, b.Len())
			}
			return
		}
		checkSVG(t, b.Bytes())
	})
}
