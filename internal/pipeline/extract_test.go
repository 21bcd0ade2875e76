package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// fieldSite compiles a one-page site whose listing records carry
// listing_id (defaulted) and the given title rule.
func fieldSite(t *testing.T, item, rule string) *Site {
	t.Helper()
	itemLine := ""
	if item != "" {
		itemLine = "        item: " + quote(item) + "\n"
	}
	y := "version: 1\nname: t\npipeline_version: 1\nkind: market\nmirrors: [http://127.0.0.1]\n" +
		"start: [{path: /, page: p}]\npages:\n  p:\n    records:\n      - type: listing\n" + itemLine +
		"        fields:\n          listing_id: {default: x}\n          title: " + rule + "\n"
	s, err := Parse("t.yaml", []byte(y))
	if err != nil {
		t.Fatalf("Parse:\n%v\n%s", err, y)
	}
	return s
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestExtractFieldRules(t *testing.T) {
	tests := []struct {
		name   string
		item   string
		rule   string
		html   string
		url    string
		want   []string // title of each record; "-" for a record without a title
		misses int
	}{
		{"text collapsed", "", `{selector: h1}`, "<h1>  Cocaine \n\t 97%  </h1>", "", []string{"Cocaine 97%"}, 0},
		{"first match only", "", `{selector: li}`, "<ul><li>a</li><li>b</li></ul>", "", []string{"a"}, 0},
		{"join", "", `{selector: li, join: " > "}`, "<ul><li>a</li><li> b </li><li></li></ul>", "", []string{"a > b"}, 0},
		{"attr", "", `{selector: a, attr: title}`, `<a title=" Big  deal ">x</a>`, "", []string{"Big deal"}, 0},
		{"missing attr is a miss", "", `{selector: a, attr: title}`, `<a>x</a>`, "", []string{"-"}, 1},
		{"html", "", `{selector: div, attr: html}`, "<div> <p>a &amp; <b>b</b></p> </div>", "", []string{"<p>a &amp; <b>b</b></p>"}, 0},
		{"from url", "", `{from: url, regex: '/product/(\w+)'}`, "", "http://127.0.0.1/product/abc?x=1", []string{"abc"}, 0},
		{"regex group", "", `{selector: a, regex: '^([^(]+)'}`, "<a>snowman (4.9)</a>", "", []string{"snowman"}, 0},
		{"regex whole match", "", `{selector: a, regex: '\d+\.\d+'}`, "<a>snowman (4.9)</a>", "", []string{"4.9"}, 0},
		{"regex skips non-matching values", "", `{selector: li, regex: 'id=(\d+)'}`, "<li>none</li><li>id=7</li>", "", []string{"7"}, 0},
		{"regex never matches", "", `{selector: li, regex: 'id=(\d+)'}`, "<li>none</li>", "", []string{"-"}, 1},
		{"regex with join", "", `{selector: li, regex: '(\d+)', join: ","}`, "<li>a1</li><li>b</li><li>c3</li>", "", []string{"1,3"}, 0},
		{"default", "", `{selector: h2, default: "n/a"}`, "<h1>x</h1>", "", []string{"n/a"}, 0},
		{"empty text is a miss", "", `{selector: h1}`, "<h1>   </h1>", "", []string{"-"}, 1},
		{"empty selector is the item", "div.c", `{}`, `<div class="c">one</div><div class="c"> two </div>`, "", []string{"one", "two"}, 0},
		{"selector relative to item", "div.c", `{selector: b}`, `<b>outside</b><div class="c"><b>in</b></div><div class="c">none</div>`, "", []string{"in", "-"}, 1},
		{"script and style skipped", "", `{selector: div}`, "<div>a<script>var x=1</script><style>p{}</style>b</div>", "", []string{"ab"}, 0},
		{"word boundaries", "", `{selector: div}`, "<div>line1<br>line2<p>para</p><span>x</span>y</div>", "", []string{"line1 line2 para xy"}, 0},
		{"contains pseudo", "", `{selector: "td:contains('Ships from') + td"}`, "<table><tr><td>Ships from</td><td>Germany</td></tr></table>", "", []string{"Germany"}, 0},
		{"required drops", "div.c", `{selector: b, required: true}`, `<div class="c"><b>in</b></div><div class="c">none</div>`, "", []string{"in"}, 1},
		{"entities decoded", "", `{selector: h1}`, "<h1>A&nbsp;&amp;&nbsp;B</h1>", "", []string{"A & B"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fieldSite(t, tt.item, tt.rule)
			u := tt.url
			if u == "" {
				u = "http://127.0.0.1/p"
			}
			res, err := s.Extract("p", u, []byte(tt.html))
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			var got []string
			for _, r := range res.Records {
				if f, ok := r.Fields["title"]; ok {
					got = append(got, f.Raw)
					if f.Parser != ParserText {
						t.Errorf("parser = %q, want text", f.Parser)
					}
				} else {
					got = append(got, "-")
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("titles = %q, want %q", got, tt.want)
			}
			if len(res.Misses) != tt.misses {
				t.Errorf("misses = %+v, want %d", res.Misses, tt.misses)
			}
		})
	}
}

func TestExtractMisses(t *testing.T) {
	s := fieldSite(t, "div.c", `{selector: b, required: true}`)
	res, err := s.Extract("p", "http://127.0.0.1/", []byte(`<div class="c">x</div><div class="c"><b>y</b></div>`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Miss{{Record: "listing", Field: "title", Item: 0, Dropped: true}}
	if !reflect.DeepEqual(res.Misses, want) {
		t.Errorf("misses = %+v, want %+v", res.Misses, want)
	}
	res, err = s.Extract("p", "http://127.0.0.1/", []byte(`<p>layout changed</p>`))
	if err != nil {
		t.Fatal(err)
	}
	want = []Miss{{Record: "listing"}}
	if len(res.Records) != 0 || !reflect.DeepEqual(res.Misses, want) {
		t.Errorf("no items: records %+v, misses %+v, want misses %+v", res.Records, res.Misses, want)
	}
}

func TestExtractNaturalKeyRequired(t *testing.T) {
	y := "version: 1\nname: t\npipeline_version: 1\nkind: market\nmirrors: [http://127.0.0.1]\n" +
		"start: [{path: /, page: p}]\npages:\n  p:\n    records:\n      - type: vendor\n        item: div\n" +
		"        fields:\n          handle: {selector: h1}\n          sales: {selector: b}\n"
	s, err := Parse("t.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Extract("p", "http://127.0.0.1/", []byte(`<div><b>3</b></div><div><h1>v</h1></div>`))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 1 || res.Records[0].Get("handle") != "v" || res.Records[0].Get("sales") != "" {
		t.Errorf("records = %+v", res.Records)
	}
	want := []Miss{{Record: "vendor", Field: "handle", Item: 0, Dropped: true}, {Record: "vendor", Field: "sales", Item: 1}}
	if !reflect.DeepEqual(res.Misses, want) {
		t.Errorf("misses = %+v, want %+v", res.Misses, want)
	}
	if got := res.Records[0].Fields["sales"]; got != (Field{}) {
		t.Errorf("missing field present: %+v", got)
	}
}

func TestExtractLinks(t *testing.T) {
	y := "version: 1\nname: t\npipeline_version: 1\nkind: market\nmirrors: [http://127.0.0.1:8080]\n" +
		"start: [{path: /, page: p}]\npages:\n  p:\n    next: {selector: 'a[rel=next]'}\n" +
		"    follow:\n      - {selector: a.v, page: q}\n      - {selector: a.l, page: p}\n  q: {}\n"
	s, err := Parse("t.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	page := `
<a class="l" href="/list/1">first</a>
<a class="v" href="vendor/a#top">vendor</a>
<a class="l" href="http://127.0.0.1:8080/list/1">same again</a>
<a class="l" href="HTTP://127.0.0.1:8080/list/2">upper-case scheme</a>
<a class="l" href="http://127.0.0.1:9090/list/3">other port</a>
<a class="l" href="http://evil.example/list/4">other host</a>
<a class="l" href="javascript:alert(1)">js</a>
<a class="l" href="mailto:x@y">mail</a>
<a class="l" href="#frag">fragment only</a>
<a class="l">no href</a>
<a class="l" href="  /list/5  ">padded</a>
<a class="v l" href="/both">both rules</a>
<a class="l" href="http://u:p@127.0.0.1:8080/list/6">user info</a>
<a rel="next" href="?page=2">next</a>`
	res, err := s.Extract("p", "http://127.0.0.1:8080/dir/index?page=1", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{
		{URL: "http://127.0.0.1:8080/list/1", Page: "p"},
		{URL: "http://127.0.0.1:8080/dir/vendor/a", Page: "q"},
		{URL: "http://127.0.0.1:8080/list/2", Page: "p"},
		{URL: "http://127.0.0.1:8080/list/5", Page: "p"},
		{URL: "http://127.0.0.1:8080/both", Page: "q"},
		{URL: "http://127.0.0.1:8080/list/6", Page: "p"},
	}
	if !reflect.DeepEqual(res.Links, want) {
		t.Errorf("links:\n%+v\nwant:\n%+v", res.Links, want)
	}
	wantNext := []Link{{URL: "http://127.0.0.1:8080/dir/index?page=2", Page: "p"}}
	if !reflect.DeepEqual(res.Next, wantNext) {
		t.Errorf("next = %+v, want %+v", res.Next, wantNext)
	}
}

func TestExtractErrors(t *testing.T) {
	s := fieldSite(t, "", `{selector: h1}`)
	if _, err := s.Extract("nope", "http://127.0.0.1/", nil); !errors.Is(err, ErrUnknownPage) {
		t.Errorf("unknown page: %v", err)
	}
	for _, u := range []string{"", "/relative", "ftp://127.0.0.1/", "http://%zz/"} {
		if _, err := s.Extract("p", u, nil); !errors.Is(err, ErrBadPageURL) {
			t.Errorf("page URL %q: %v", u, err)
		}
	}
	var raw Site
	if _, err := raw.Extract("p", "http://127.0.0.1/", nil); !errors.Is(err, ErrNotCompiled) {
		t.Errorf("uncompiled: %v", err)
	}
	res, err := s.Extract("p", "http://127.0.0.1/", nil)
	if err != nil || len(res.Records) != 1 || len(res.Misses) != 1 {
		t.Errorf("empty body: %+v, %v", res, err)
	}
}

// TestGolden extracts the saved pages of the made-up nebula market and
// compares the results with testdata/*.golden.json; -update rewrites them.
func TestGolden(t *testing.T) {
	s, err := Load("testdata/nebula.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const host = "http://z3gbkb64dxoxffmvdquqrchqsww3sbcndnz5nfxg34df22b32t6feiad.onion"
	tests := []struct{ page, url string }{
		{"index", host + "/listings?page=2"},
		{"listing", host + "/product/abc123"},
		{"vendor", host + "/vendor/snowman"},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			base := filepath.Join("testdata", "nebula."+tt.page)
			body, err := os.ReadFile(base + ".html")
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Extract(tt.page, tt.url, body)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(res); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := base + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the extraction (go test -run TestGolden -update rewrites it):\n%s", golden, got)
			}
			// Extraction is deterministic.
			again, _ := s.Extract(tt.page, tt.url, body)
			if !reflect.DeepEqual(res, again) {
				t.Error("second extraction differs")
			}
		})
	}
}

func FuzzExtract(f *testing.F) {
	s, err := Load("testdata/nebula.good.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"index", "listing", "vendor"} {
		b, err := os.ReadFile(filepath.Join("testdata", "nebula."+name+".html"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("<a href='\x00'><div class=listing-card><a class=title href='//x'>"))
	f.Add([]byte(strings.Repeat("<div>", 500)))
	const base = "http://z3gbkb64dxoxffmvdquqrchqsww3sbcndnz5nfxg34df22b32t6feiad.onion/product/x1"
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, page := range []string{"index", "listing", "vendor"} {
			res, err := s.Extract(page, base, body)
			if err != nil {
				t.Fatalf("Extract(%s): %v", page, err)
			}
			for _, l := range append(res.Links, res.Next...) {
				if !strings.HasPrefix(l.URL, "http://z3gbkb64dxoxffmvdquqrchqsww3sbcndnz5nfxg34df22b32t6feiad.onion/") {
					t.Errorf("link to another host: %q", l.URL)
				}
			}
			for _, r := range res.Records {
				if r.Fields[NaturalKey(r.Type)].Raw == "" {
					t.Errorf("record without its natural key: %+v", r)
				}
			}
		}
	})
}
