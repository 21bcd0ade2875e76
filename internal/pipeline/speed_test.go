package pipeline

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzPlainPath holds plainPath to what it promises: a path it accepts
// resolves, by url.ResolveReference, to the page's scheme and host followed
// by the path as written; and it accepts what the reading it replaced did.
func FuzzPlainPath(f *testing.F) {
	for _, s := range []string{"/offer/1", "/a/./b", "/a?x=/.", "//h/p", "/.x", "/a b", "/%41", "/a?b=c&d=e", "/", "/a/..", "x"} {
		f.Add(s)
	}
	base, _ := url.Parse("http://h.onion/dir/page?q=1")
	f.Fuzz(func(t *testing.T, raw string) {
		got := plainPath(raw)
		if want := plainPathByCut(raw); got != want {
			t.Fatalf("plainPath(%q) = %v, the reading it replaced says %v", raw, got, want)
		}
		if !got {
			return
		}
		ref, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("plainPath accepts %q, url.Parse refuses it: %v", raw, err)
		}
		if u := base.ResolveReference(ref).String(); u != "http://h.onion"+raw {
			t.Fatalf("plainPath accepts %q, which resolves to %q", raw, u)
		}
	})
}

// plainPathByCut is plainPath as it was first written.
func plainPathByCut(raw string) bool {
	if len(raw) < 1 || raw[0] != '/' || strings.HasPrefix(raw, "//") {
		return false
	}
	path, _, _ := strings.Cut(raw, "?")
	if strings.Contains(path, "/.") {
		return false
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("/-_.~?=&+,;:@!$*", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// TestLinksOncePerURL: a URL written relative and absolute, or twice, is
// one link; URLs that differ only past the origin, or in the host, are not.
func TestLinksOncePerURL(t *testing.T) {
	page := `<a href="/a">1</a><a href="http://h.onion/a">2</a><a href="/a#x">3</a><a href="?q">4</a>` +
		`<a href="http://h.onion?q">5</a><a href="http://h.onionx/a">6</a><a href="/b">7</a><a href="http://h.onion/b">8</a><a href="">9</a>`
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://h.onion/dir/p")
	base := &pageBase{URL: u, origin: "http://h.onion"}
	rule := &LinkRule{Attr: "href", Page: "x"}
	var ms []linkMatch
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "a" {
			ms = append(ms, linkMatch{n, rule})
		}
	}
	var got []string
	for _, l := range links(base, ms) {
		got = append(got, l.URL)
	}
	want := []string{"http://h.onion/a", "http://h.onion/dir/p?q", "http://h.onion?q", "http://h.onion/b"}
	if !slices.Equal(got, want) {
		t.Fatalf("links = %q, want %q", got, want)
	}
}

// FuzzTextCollapser holds the collapsed text of every element of a page,
// written without an intermediate string, equal to collapse of the text
// writeText writes, on any page, UTF-8 or not.
func FuzzTextCollapser(f *testing.F) {
	for _, s := range []string{
		`<div> a <b>b</b>c<p>d</p>  e<script>x y</script><br>f&nbsp; g</div>`,
		"<p>\xe2\x80<i></i>\xa8x</p><p>\u2028 y\u00a0\u0085z </p>",
		"<td>a</td><td> b\tc\r\n</td><li>\xff</li>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, page string) {
		doc, err := html.Parse(strings.NewReader(page))
		if err != nil {
			return
		}
		for n := range doc.Descendants() {
			var b strings.Builder
			writeText(&b, n)
			want := collapse(b.String())
			var c textCollapser
			c.node(n)
			if got := nodeValue(n, ""); n.Type == html.ElementNode && got != want {
				t.Fatalf("nodeValue of <%s> = %q, want %q", n.Data, got, want)
			}
			if got := c.b.String(); !c.invalid && got != want {
				t.Fatalf("textCollapser on <%s> = %q, want %q", n.Data, got, want)
			}
		}
	})
}
