package pipeline

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/tor"
)

func TestLoadGood(t *testing.T) {
	s, err := Load("testdata/nebula.good.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := s.ID(), "nebula@3"; got != want {
		t.Errorf("ID() = %q, want %q", got, want)
	}
	if got, want := s.Delay(), 200*time.Millisecond; got != want {
		t.Errorf("Delay() = %v, want %v", got, want)
	}
	if s.Politeness.Concurrency != 2 || s.Limits.MaxPages != 50 || s.Title != "Nebula Market" || s.Kind != KindMarket {
		t.Errorf("decoded site = %+v", s)
	}
	if got := s.Pages["index"].Next.Page; got != "index" {
		t.Errorf("next page kind defaults to %q, want index", got)
	}
	if got := s.Pages["listing"].Records[0].Fields["price"].EffectiveParser(); got != ParserMoney {
		t.Errorf("price parser = %q, want money", got)
	}
	if got := s.Pages["vendor"].Records[0].Fields["rating"].EffectiveParser(); got != ParserRating {
		t.Errorf("rating default parser = %q, want rating", got)
	}
	links, err := s.StartLinks(s.Mirrors[1])
	if err != nil {
		t.Fatalf("StartLinks: %v", err)
	}
	want := Link{URL: "http://nn44k7tkbfjdskbmasay5fqrf47qhjaadouxuvsmeocsupy6ux6fdgid.onion/listings?page=1", Page: "index"}
	if len(links) != 1 || links[0] != want {
		t.Errorf("StartLinks = %+v, want [%+v]", links, want)
	}
}

func TestDefaults(t *testing.T) {
	s, err := Parse("min.yaml", []byte(minimal))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if s.Limits.MaxPages != DefaultMaxPages || s.Delay() != DefaultDelay || s.Politeness.Concurrency != DefaultConcurrency {
		t.Errorf("defaults not applied: %+v", s)
	}
	if s.Title != "mini" {
		t.Errorf("Title = %q, want the name", s.Title)
	}
}

const minimal = `
version: 1
name: mini
pipeline_version: 1
kind: forum
mirrors: [http://127.0.0.1:8080]
start: [{path: "http://127.0.0.1:8080/a?b=1#top", page: p}]
pages:
  p: {}
`

func TestStartLinksAbsolute(t *testing.T) {
	s, err := Parse("min.yaml", []byte(minimal))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	links, err := s.StartLinks("http://127.0.0.1:9090/")
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].URL != "http://127.0.0.1:9090/a?b=1" {
		t.Errorf("StartLinks = %+v", links)
	}
	if _, err := s.StartLinks("not a url"); err == nil {
		t.Error("StartLinks accepted a relative mirror")
	}
}

// TestBadFiles checks every testdata/*.bad.yaml against the "# want: "
// lines at its top: the exact errors, in order.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				if w, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
					want = append(want, w)
				}
			}
			_, err = Load(file)
			if err == nil {
				t.Fatal("Load succeeded, want errors")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestBadOnionIs(t *testing.T) {
	_, err := Load("testdata/many.bad.yaml")
	if !errors.Is(err, tor.ErrBadOnion) {
		t.Errorf("errors.Is(err, tor.ErrBadOnion) = false for %v", err)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/nebula.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.yaml", "b.yml"} {
		if err := os.WriteFile(filepath.Join(dir, name), good, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), `b.yml:3: name: site "nebula" is already defined in `) {
		t.Fatalf("LoadDir duplicate: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "b.yml")); err != nil {
		t.Fatal(err)
	}
	sites, err := LoadDir(dir)
	if err != nil || len(sites) != 1 {
		t.Fatalf("LoadDir = %d sites, %v", len(sites), err)
	}
}

func TestParseRejects(t *testing.T) {
	base := func(pages string) string {
		return "version: 1\nname: t\npipeline_version: 1\nkind: market\nmirrors: [http://127.0.0.1]\n" +
			"start: [{path: /, page: p}]\npages:\n" + pages
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"follow target", base("  p:\n    follow: [{selector: a, page: nowhere}]\n"),
			`x.yaml:9: pages.p.follow[0].page: page kind "nowhere" is not defined under pages (have p)`},
		{"next target", base("  p:\n    next: {selector: a, page: q}\n"),
			`x.yaml:9: pages.p.next.page: page kind "q" is not defined under pages (have p)`},
		{"follow page required", base("  p:\n    follow: [{selector: a}]\n"),
			`x.yaml:9: pages.p.follow[0].page: page kind is required`},
		{"link html attr", base("  p:\n    next: {selector: a, attr: html}\n"),
			`x.yaml:9: pages.p.next.attr: attr "html" cannot hold a URL; name the attribute (default href)`},
		{"missing key", base("  p:\n    records:\n      - type: vendor\n        fields:\n          rating: {selector: b}\n"),
			`x.yaml:11: pages.p.records[0].fields: field handle, the natural key of a vendor, is required`},
		{"from and selector", base("  p:\n    records:\n      - type: vendor\n        fields:\n          handle: {from: url, selector: b}\n"),
			`x.yaml:12: pages.p.records[0].fields.handle.from: from: url takes the page URL; it cannot be combined with selector or attr`},
		{"from other", base("  p:\n    records:\n      - type: vendor\n        fields:\n          handle: {from: title}\n"),
			`x.yaml:12: pages.p.records[0].fields.handle.from: from "title": the only source is url`},
		{"empty field", base("  p:\n    records:\n      - type: vendor\n        fields:\n          handle:\n"),
			`x.yaml:12: pages.p.records[0].fields.handle: field needs a rule (selector, from, default ...)`},
		{"selector", base("  p:\n    next: {selector: 'a:nope(1)'}\n"),
			`x.yaml:9: pages.p.next.selector: selector "a:nope(1)" does not compile: unknown pseudoclass or pseudoelement :nope`},
		{"two documents", base("  p: {}\n---\nname: x\n"),
			`x.yaml:9: more than one YAML document; a site file holds one`},
		{"pipeline version", strings.Replace(base("  p: {}\n"), "pipeline_version: 1", "pipeline_version: 0", 1),
			`x.yaml:3: pipeline_version: pipeline_version must be 1 or more`},
		{"start host", strings.Replace(base("  p: {}\n"), "path: /", "path: http://10.0.0.1/", 1),
			`x.yaml:6: start[0].path: start URL host "10.0.0.1" is not one of the mirrors`},
		{"missing name", strings.Replace(base("  p: {}\n"), "name: t\n", "", 1),
			`x.yaml:1: name: name "" must be 1-63 lower-case letters, digits or '-', starting with a letter or digit`},
		{"concurrency", base("  p: {}\npoliteness: {concurrency: 0}\n"),
			`x.yaml:9: politeness.concurrency: concurrency must be between 1 and 64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

// TestParseAliasBomb checks that nested aliases (a "billion laughs") are an
// error found quickly, not an expansion of millions of nodes, whether they
// sit under a key the decoder knows or one it does not.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nname: t\npipeline_version: 1\nkind: market\nstart: [{path: /, page: p}]\npages: {p: {}}\n")
	b.WriteString(`l0: &l0 ["x","x","x","x","x","x","x","x","x","x"]` + "\n")
	for i := 1; i <= 8; i++ {
		prev := "*l" + strconv.Itoa(i-1)
		b.WriteString("l" + strconv.Itoa(i) + ": &l" + strconv.Itoa(i) + " [" + strings.Repeat(prev+",", 9) + prev + "]\n")
	}
	for _, tail := range []string{"", "mirrors: *l8\n"} {
		start := time.Now()
		_, err := Parse("bomb.yaml", []byte(b.String()+tail))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(alias bomb %q) = %v, want ErrInvalid", tail, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Parse(alias bomb %q) took %v", tail, d)
		}
	}
}
