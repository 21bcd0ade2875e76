package evidenceview

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// outputAttrs are the attributes Sanitize may write, by element ("*" for
// any element).
var outputAttrs = map[string]map[string]bool{
	"*":        {"title": true, "lang": true, "dir": true, "class": true},
	"td":       {"colspan": true, "rowspan": true},
	"th":       {"colspan": true, "rowspan": true, "scope": true},
	"col":      {"span": true},
	"colgroup": {"span": true},
	"ol":       {"start": true, "reversed": true, "type": true},
	"li":       {"value": true},
	"time":     {"datetime": true},
	"del":      {"datetime": true},
	"ins":      {"datetime": true},
	"data":     {"value": true},
	"details":  {"open": true},
}

var outputClasses = map[string]bool{"ev-ref": true, "ev-link": true, "ev-control": true, "ev-options": true, "ev-text": true}

// checkSafe parses out as a browser would (a fragment inside a <div> of
// the console page, with scripting on and off) and returns what in it could
// run or fetch: an element outside the allow-list, an attribute outside
// it, a class not ours, foreign content.
func checkSafe(out []byte) []string {
	var bad []string
	for _, scripting := range []bool{true, false} {
		ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
		nodes, err := html.ParseFragmentWithOptions(bytes.NewReader(out), ctx, html.ParseOptionEnableScripting(scripting))
		if err != nil {
			return []string{"output does not parse: " + err.Error()}
		}
		stack := append([]*html.Node(nil), nodes...)
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				stack = append(stack, c)
			}
			switch n.Type {
			case html.CommentNode:
				bad = append(bad, "comment "+n.Data)
			case html.ElementNode:
				if n.Namespace != "" || !(kept[n.Data] || n.Data == "span" || n.Data == "pre" || n.Data == "ul" || n.Data == "li") {
					bad = append(bad, "element <"+n.Namespace+" "+n.Data+">")
				}
				for _, a := range n.Attr {
					if a.Namespace != "" || !(outputAttrs["*"][a.Key] || outputAttrs[n.Data][a.Key]) {
						bad = append(bad, "attribute "+a.Key+" on <"+n.Data+">")
					}
					if a.Key == "class" && !outputClasses[a.Val] {
						bad = append(bad, "class "+a.Val)
					}
				}
			}
		}
	}
	if d := nesting(out); d > MaxDepth {
		bad = append(bad, fmt.Sprintf("elements nested %d deep", d))
	}
	low := bytes.ToLower(out)
	for _, tag := range []string{"<script", "<iframe", "<svg", "<math", "<style", "<img", "<a ", "<base", "<meta", "<link", "<object", "<embed", "<form", "<noscript", "<textarea", "<title", "<template", "<!--"} {
		if bytes.Contains(low, []byte(tag)) {
			bad = append(bad, "markup "+tag)
		}
	}
	return bad
}

func TestSanitizeHostile(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			out, rep, err := Sanitize([]byte(c.page), "text/html; charset=utf-8")
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range checkSafe(out) {
				t.Errorf("unsafe: %s\noutput: %.2000s", b, out)
			}
			for _, w := range c.want {
				if !bytes.Contains(out, []byte(w)) {
					t.Errorf("output lacks %q: %.2000s", w, out)
				}
			}
			if strings.Contains(c.page, "<script") && strings.Count(c.page, "<script") > strings.Count(c.page, "<textarea")+strings.Count(c.page, "<xmp")+strings.Count(c.page, "title=") && rep.Scripts() == 0 {
				t.Errorf("report counts no script in %q: %s", c.page, rep.Summary())
			}
		})
	}
}

func TestSanitizeKeepsTextAndStructure(t *testing.T) {
	page := `<!DOCTYPE html><html><head><title> Vendor   profile </title><style>.x{}</style></head><body>
<h1 class="hdr">DutchMagic</h1><p>Ships from <b>NL</b> to <i>EU</i>.</p>
<table><thead><tr><th scope=col>Item</th><th>Price</th></tr></thead>
<tbody><tr><td colspan="2" onclick="x()">MDMA 1g</td></tr></tbody></table>
<ol start="3"><li>one</li></ol><a href="http://vendor.onion/pgp">PGP key</a><img alt="logo" src="/logo.png"></body></html>`
	out, rep, err := Sanitize([]byte(page), "text/html")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"<h1>DutchMagic</h1>", "<p>Ships from <b>NL</b> to <i>EU</i>.</p>", `<th scope="col">Item</th>`,
		`<td colspan="2">MDMA 1g</td>`, `<ol start="3"><li>one</li></ol>`,
		`<span class="ev-link">PGP key</span><span class="ev-ref">[link: http://vendor.onion/pgp]</span>`,
		`<span class="ev-ref">[image: logo]</span><span class="ev-ref">[image source: /logo.png]</span>`,
	} {
		if !bytes.Contains(out, []byte(w)) {
			t.Errorf("output lacks %s\n%s", w, out)
		}
	}
	if rep.Title != "Vendor profile" || rep.Removed["style"] != 1 || rep.Attributes["onclick"] != 1 || rep.Attributes["class"] != 1 ||
		rep.Inert != 2 || rep.Scripts() != 1 || rep.ContentType != "text/html" {
		t.Errorf("report %+v (scripts %d)", rep, rep.Scripts())
	}
}

func TestSanitizeCharsetsAndText(t *testing.T) {
	latin1 := []byte("<p>Preis: 10 \xe9</p>") // é in ISO-8859-1
	out, rep, err := Sanitize(latin1, "text/html; charset=iso-8859-1")
	if err != nil || !bytes.Contains(out, []byte("10 é")) || rep.Charset != "windows-1252" {
		t.Errorf("latin-1: %q %+v %v", out, rep, err)
	}
	out, rep, err = Sanitize([]byte(`{"a":"<script>x</script>"}`), "application/json")
	if err != nil || string(out) != "<pre class=\"ev-text\">{&#34;a&#34;:&#34;&lt;script&gt;x&lt;/script&gt;&#34;}</pre>\n" {
		t.Errorf("json: %q %+v %v", out, rep, err)
	}
	out, rep, err = Sanitize([]byte("<html><body><p>sniffed</p>"), "")
	if err != nil || rep.ContentType != "text/html" || !bytes.Contains(out, []byte("<p>sniffed</p>")) {
		t.Errorf("sniffed: %q %+v %v", out, rep, err)
	}
	if _, _, err := Sanitize([]byte("\x89PNG\r\n\x1a\n...."), "image/png"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("png: err = %v, want ErrUnsupported", err)
	}
	if _, _, err := Sanitize(make([]byte, MaxPage+1), "text/html"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large: err = %v, want ErrTooLarge", err)
	}
	out, rep, err = Sanitize([]byte("<meta charset=\"windows-1251\"><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>"), "text/html")
	if err != nil || !bytes.Contains(out, []byte("<p>Привет</p>")) || rep.Charset != "windows-1251" {
		t.Errorf("meta charset: %q %+v %v", out, rep, err)
	}
	out, _, err = Sanitize([]byte("<p>bad \xff utf-8</p>"), "text/html; charset=utf-8")
	if err != nil || !bytes.Contains(out, []byte("bad \uFFFD utf-8")) {
		t.Errorf("invalid utf-8: %q %v", out, err)
	}
}

func TestSanitizeDepthBounded(t *testing.T) {
	out, rep, err := Sanitize([]byte(repeat("<div>", 5000)+"bottom"), "text/html")
	if err != nil {
		t.Fatal(err)
	}
	if d := nesting(out); d > MaxDepth || rep.Flattened == 0 {
		t.Errorf("output nested %d deep, %d flattened; want at most %d and some flattened", d, rep.Flattened, MaxDepth)
	}
	if bytes.Count(out, []byte("<div>")) != bytes.Count(out, []byte("</div>")) || !bytes.Contains(out, []byte("bottom")) {
		t.Error("unbalanced output or text lost")
	}
}

// TestSanitizeRealPages runs the saved market pages through Sanitize: each
// must come out safe with its visible text kept.
func TestSanitizeRealPages(t *testing.T) {
	pages, _ := filepath.Glob("../../../shared/realpages/*/*.html")
	if len(pages) == 0 {
		pages, _ = filepath.Glob("/work/shared/realpages/*/*.html")
	}
	if len(pages) == 0 {
		t.Skip("no saved pages in ../shared/realpages")
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out, rep, err := Sanitize(b, "text/html")
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		for _, bad := range checkSafe(out) {
			t.Errorf("%s: unsafe: %s", p, bad)
		}
		if rep.Title != "" && !strings.Contains(html.UnescapeString(string(b)), strings.Fields(rep.Title)[0]) {
			t.Errorf("%s: title %q not from the page", p, rep.Title)
		}
	}
	t.Logf("%d saved pages sanitized", len(pages))
}

// nesting returns how deep the elements of out nest.
func nesting(out []byte) int {
	z := html.NewTokenizer(bytes.NewReader(out))
	depth, deepest := 0, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return deepest
		case html.StartTagToken:
			name, _ := z.TagName()
			if !void[string(name)] {
				depth++
				deepest = max(deepest, depth)
			}
		case html.EndTagToken:
			depth--
		}
	}
}

func BenchmarkSanitizeRealPages(b *testing.B) {
	pages, _ := filepath.Glob("/work/shared/realpages/*/*.html")
	if len(pages) == 0 {
		b.Skip("no saved pages")
	}
	var all [][]byte
	size := 0
	for _, p := range pages {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, data)
		size += len(data)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, p := range all {
			if _, _, err := Sanitize(p, "text/html"); err != nil {
				b.Fatal(err)
			}
		}
	}
}
