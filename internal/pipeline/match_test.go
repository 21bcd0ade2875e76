package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// siteSelectors returns every selector of a site file, compiled.
func siteSelectors(s *Site) []*matcher {
	var out []*matcher
	for _, pg := range s.Pages {
		if pg == nil {
			continue
		}
		if pg.Next != nil {
			out = append(out, pg.Next.sel)
		}
		for i := range pg.Follow {
			out = append(out, pg.Follow[i].sel)
		}
		for i := range pg.Records {
			r := &pg.Records[i]
			if r.item != nil {
				out = append(out, r.item)
			}
			for _, f := range r.Fields {
				if f.sel != nil {
					out = append(out, f.sel)
				}
			}
		}
	}
	return out
}

// equalMatches checks that m finds, from every node of doc, what cascadia
// alone finds (QueryAll and Query), and that m.match agrees with cascadia
// on every node.
func equalMatches(t *testing.T, what string, m *matcher, doc *html.Node) {
	t.Helper()
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if got, want := m.match(n), m.sel.Match(n); got != want {
			t.Fatalf("%s: node <%s> (%v): match %v, cascadia %v", what, n.Data, n.Attr, got, want)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if got, want := m.all(doc, nil), cascadia.QueryAll(doc, m.sel); !slices.Equal(got, want) {
		t.Fatalf("%s: all found %d nodes, cascadia %d", what, len(got), len(want))
	}
	if got, want := m.first(doc), cascadia.Query(doc, m.sel); got != want {
		t.Fatalf("%s: first differs from cascadia", what)
	}
}

// TestMatcherEqualsCascadia evaluates every selector of every site file
// (fixtures, and without -short the real pages) on every saved page of its
// site both ways.
func TestMatcherEqualsCascadia(t *testing.T) {
	dirs := []string{"../../pipelines", "../../pipelines/realpages"}
	least := 10
	if testing.Short() {
		dirs, least = dirs[:1], 1
	}
	var files []string
	for _, dir := range dirs {
		fs, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	if len(files) < least {
		t.Fatalf("found only %d site files", len(files))
	}
	simple, checked := 0, 0
	for _, file := range files {
		s, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		sels := siteSelectors(s)
		for _, m := range sels {
			if m.simple != nil {
				simple++
			}
		}
		for _, tc := range s.Tests {
			body, err := os.ReadFile(s.testPath(tc.File))
			if err != nil {
				t.Fatal(err)
			}
			doc, _, err := parse(body)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range sels {
				equalMatches(t, file+" "+tc.Name, m, doc)
				checked++
			}
		}
	}
	if simple == 0 || checked == 0 {
		t.Fatalf("no simple selector (%d) or nothing checked (%d)", simple, checked)
	}
	t.Logf("%d selector evaluations on saved pages, %d selectors on the simple path", checked, simple)
}

func TestLastTagAndSimple(t *testing.T) {
	for _, tc := range []struct {
		sel, tag string
		simple   int // compounds, 0 for cascadia only
	}{
		{"div.offers div.offer", "div", 2},
		{"DIV > A.x#y", "a", 2},
		{"table.kv th:contains('vendor') + td a.vendor", "a", 4},
		{"div.s div:CONTAINS( \"Posts:\" ) span", "span", 3},
		{"th:contains('a\\'b') + td", "td", 0},
		{"th:contains(x) + td", "td", 0},
		{"th:containsOwn('x') ~ td", "td", 0},
		{"li ~ li.x", "li", 2},
		{":contains('x')", "", 0},
		{"a, b", "", 0},
		{"td:haschild(span.k)", "td", 0},
		{"a[href^='/x y']", "a", 0},
		{"p /* c */ a", "", 0},
		{"*.x", "", 0},
		{"div .x", "", 2},
		{"a\\62", "", 0},
		{"ul>li", "li", 2},
		{".-x", "", 1},
	} {
		if got := lastTag(tc.sel); got != tc.tag {
			t.Errorf("lastTag(%q) = %q, want %q", tc.sel, got, tc.tag)
		}
		if got := len(parseSimple(tc.sel)); got != tc.simple {
			t.Errorf("parseSimple(%q) has %d compounds, want %d", tc.sel, got, tc.simple)
		}
	}
}

// FuzzMatcher holds the matcher (name prefilter and simple path) equal to
// cascadia on any selector that compiles and any page.
func FuzzMatcher(f *testing.F) {
	pages := []string{
		`<div class="offers"><div class="offer x"><a class="o-link" href="/o/1">t</a><span class=o-price>1</span></div></div>`,
		`<ul id=a><li class="a	b">x<li><p>y</ul><div><div class=" q "><a>z</a></div></div>`,
		`<table class=kv><tr><th>vendor</th><td><a class=vendor>v</a></td></tr></table>`,
	}
	sels := []string{"div.offers div.offer", "div.offer a.o-link", "table.kv th:contains('VENDOR') + td a", "div:contains('b') li ~ p", "th:contains(\"\") + td", "ul > li.b", "#a li", "div .q a", "th:contains('vendor') + td a", "li, p", ".a.b", "div>div>a", "A.VENDOR", "p:not(.x)"}
	for i, s := range sels {
		f.Add(s, pages[i%len(pages)])
	}
	f.Fuzz(func(t *testing.T, sel, page string) {
		rewritten, err := rewriteHasChild(sel)
		if err != nil {
			return
		}
		g, err := cascadia.ParseGroup(rewritten)
		if err != nil {
			return
		}
		var cm cascadia.Matcher = g
		if len(g) == 1 {
			cm = g[0]
		}
		doc, err := html.Parse(bytes.NewReader([]byte(page)))
		if err != nil {
			return
		}
		m := newMatcher(cm, rewritten)
		if m.tag != "" && strings.Contains(rewritten, ",") && len(g) > 1 {
			t.Fatalf("group %q got a name prefilter %q", sel, m.tag)
		}
		equalMatches(t, sel, m, doc)
	})
}

func FuzzCollapse(f *testing.F) {
	for _, s := range []string{"", " ", "a b", "a  b", " a", "a ", "a\tb", "a\u00a0b", "…x y", "a\u0085", "\u2003", "10g Afghan Brown Heroin", "0123456789abcdef  x", "01234567 abcdef\t", "01234567\x01 abcdefgh", "0123456 89abcdef"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.Join(strings.Fields(s), " ")
		if got := collapse(s); got != want {
			t.Fatalf("collapse(%q) = %q, want %q", s, got, want)
		}
		ascii := !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 })
		if got := isCollapsed(s); got != (s != "" && ascii && want == s) {
			t.Fatalf("isCollapsed(%q) = %v", s, got)
		}
		if isCollapsedText(s) != (want == s) {
			t.Fatalf("isCollapsedText(%q) = %v, want %v", s, !(want == s), want == s)
		}
	})
}
