package pipeline

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const deepSite = `
version: 2
name: deep
pipeline_version: 1
kind: market
mirrors: ["http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion"]
start: [{path: "/", page: index}]
pages:
  index:
    records:
      - type: listing
        item: "div.listing"
        fields:
          listing_id:  {selector: "h2", required: true}
          description: {selector: "div.desc"}
          vendor:      {selector: "a.vendor", attr: href}
`

// A seller must not hide a listing by nesting its description deeper than
// the HTML parser accepts (520 unclosed <div>, 600 <span>, 2000 <b>): the
// page's records are still extracted, the listing after it too.
func TestDeepNestingDoesNotHideListings(t *testing.T) {
	s, err := Parse("deep.yaml", []byte(deepSite))
	if err != nil {
		t.Fatal(err)
	}
	for _, bomb := range []string{strings.Repeat("<div>", 520), strings.Repeat("<span>", 600), strings.Repeat("<b>", 2000), strings.Repeat("<div><table><tr><td>", 300)} {
		page := `<html><body><div class="listing"><h2>L1</h2><div class="desc">Evil` + bomb + `hidden text</div></div>` +
			`<div class="listing"><h2>L2</h2><div class="desc">after</div></div></body></html>`
		res, err := s.Extract("index", "http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/", []byte(page))
		if err != nil {
			t.Fatalf("%.20s...: %v", bomb, err)
		}
		ids := []string{}
		for _, r := range res.Records {
			ids = append(ids, r.Get("listing_id"))
		}
		if len(res.Records) < 2 || ids[0] != "L1" || !strings.Contains(res.Records[0].Get("description"), "hidden text") {
			t.Errorf("%.20s...: records %v, first description %.60q", bomb, ids, res.Records[0].Get("description"))
		}
		if !strings.Contains(strings.Join(ids, ","), "L2") {
			t.Errorf("%.20s...: the listing after the bomb is lost: %v", bomb, ids)
		}
		if res.Flattened == 0 {
			t.Errorf("%.20s...: flattening not reported", bomb)
		}
	}
}

func TestLinesAndLinks(t *testing.T) {
	s, err := Parse("deep.yaml", []byte(strings.Replace(deepSite, "listing_id:  {selector: \"h2\", required: true}", "listing_id:  {selector: \"h2\", required: true}\n          title: {selector: \"div.desc\"}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	page := `<html><body><div class="listing"><h2>L1</h2><div class="desc"><p>First   line,
still first.</p><p>Second<br>Third</p><ul><li>a</li><li>b</li></ul><table><tr><td>cell</td><td>cell2</td></tr></table><pre>x
  y</pre></div><a class="vendor" href="../vendor/v?x=1#top">v</a></div></body></html>`
	res, err := s.Extract("index", "http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/market/item/7", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Records[0]
	if got, want := r.Get("description"), "First line, still first.\nSecond\nThird\na\nb\ncell cell2\nx\ny"; got != want {
		t.Errorf("description = %q, want %q", got, want)
	}
	if got, want := r.Get("title"), "First line, still first. Second Third a b cell cell2 x y"; got != want {
		t.Errorf("title (one line) = %q, want %q", got, want)
	}
	if got, want := r.Get("vendor"), "http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/market/vendor/v?x=1#top"; got != want {
		t.Errorf("vendor (an href) = %q, want %q", got, want)
	}
}

func TestLocale(t *testing.T) {
	for _, tc := range []struct {
		locale, err string
	}{
		{"locale: {date_order: DMY, time_zone: Europe/Moscow}", ""},
		{"locale: {date_order: MDY, time_zone: \"+03:00\"}", ""},
		{"locale: {date_order: DDMM}", "deep.yaml:6: locale.date_order"},
		{"locale: {time_zone: Mars/Olympus}", "deep.yaml:6: locale.time_zone"},
	} {
		_, err := Parse("deep.yaml", []byte(strings.Replace(deepSite, "kind: market\n", "kind: market\n"+tc.locale+"\n", 1)))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.locale, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.locale, err, tc.err)
		}
	}
	l := Locale{TimeZone: "-05:30"}
	if loc, err := l.Location(); err != nil || loc.String() != "-05:30" {
		t.Errorf("Location = %v, %v", loc, err)
	}
}

// A line indented one space off is reported at its own line, not at the
// start of the block yaml.v3 names.
func TestMisindentedLine(t *testing.T) {
	good, err := os.ReadFile("../../pipelines/nebula.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lineOf := func(text, needle string) int {
		return strings.Count(text[:strings.Index(text, needle)], "\n") + 1
	}
	for _, tc := range []struct{ from, to string }{
		{"          title:           {selector", "         title:           {selector"},
		{"    follow:\n      - {selector: \"div.vendor-info", "     follow:\n      - {selector: \"div.vendor-info"},
	} {
		bad := strings.Replace(string(good), tc.from, tc.to, 1)
		want := fmt.Sprintf("nebula.yaml:%d:", lineOf(bad, strings.TrimLeft(tc.to, " ")))
		_, err := Parse("nebula.yaml", []byte(bad))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it at %s", err, want)
		}
	}
	s, err := Parse("deep.yaml", []byte(deepSite))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Extract("listing", "http://x.onion/", nil); err == nil || !strings.Contains(err.Error(), "the site file has index") {
		t.Errorf("unknown page kind: %v", err)
	}
}

func TestHasChildSelector(t *testing.T) {
	site := strings.Replace(deepSite, `description: {selector: "div.desc"}`, `description: {selector: "ul.attrs li:has(> span.k:contains('Origin')) span.v"}`, 1)
	s, err := Parse("deep.yaml", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	page := `<div class="listing"><h2>L</h2><ul class="attrs"><li><em><span class="k">Origin</span></em><span class="v">FR</span></li><li><span class="k">Origin</span> <span class="v">DE</span></li></ul></div>`
	res, err := s.Extract("index", "http://x.onion/", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Records[0].Get("description"); got != "DE" {
		t.Errorf(":has(> ...) matched %q, want the li whose child is the label", got)
	}
	for _, bad := range []string{"li:has(> a b)", "li:has(+ span)"} {
		if _, err := Parse("deep.yaml", []byte(strings.Replace(deepSite, `selector: "div.desc"`, `selector: "`+bad+`"`, 1))); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// A market that is gone keeps its v2 mirrors only when marked archived; a
// saved page's test may live outside the site file's directory.
func TestArchivedV2Mirrors(t *testing.T) {
	v2 := strings.Replace(deepSite, `mirrors: ["http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion"]`, `mirrors: ["http://xtzqxvmi6p7hul6i.onion"]`, 1)
	v2 = strings.Replace(v2, `start: [{path: "/", page: index}]`, "start: [{path: \"/\", page: index}]\ntests: [{name: a, file: ../../shared/x.html, page: index, url: \"http://xtzqxvmi6p7hul6i.onion/\"}]", 1)
	if _, err := Parse("deep.yaml", []byte(v2)); err == nil || !strings.Contains(err.Error(), "archived: true") {
		t.Errorf("v2 mirror without archived: %v", err)
	}
	s, err := Parse("deep.yaml", []byte("archived: true\n"+v2))
	if err != nil {
		t.Fatalf("archived v2 site: %v", err)
	}
	if !s.Archived {
		t.Error("Archived not set")
	}
	if _, err := Parse("deep.yaml", []byte("archived: true\n"+strings.Replace(v2, "xtzqxvmi6p7hul6i.onion", "xtzqxvmi6p7hul6.onion", -1))); err == nil {
		t.Error("a 15-character onion accepted as v2")
	}
}

// Two site files of one market are an error naming both files.
func TestCheckUnique(t *testing.T) {
	a, err := Parse("a.yaml", []byte(deepSite))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte(deepSite))
	if err != nil {
		t.Fatal(err)
	}
	err = CheckUnique([]*Site{a, b})
	if err == nil || !strings.Contains(err.Error(), "b.yaml:") || !strings.Contains(err.Error(), "already defined in a.yaml") {
		t.Errorf("CheckUnique = %v", err)
	}
}

func TestCountAndExists(t *testing.T) {
	site := strings.Replace(deepSite, `          description: {selector: "div.desc"}`, `          description: {selector: "div.desc"}
          attributes.feedbacks: {selector: "ul.fb li", count: true, parser: int}
          attributes.promoted: {selector: "b", regex: '^Ads$', exists: true, parser: bool}`, 1)
	s, err := Parse("deep.yaml", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	page := `<div class="listing"><h2>A</h2><b>Ads</b><ul class="fb"><li>1</li><li>2</li></ul></div>` +
		`<div class="listing"><h2>B</h2><b>Bold</b><ul class="fb"></ul></div>`
	res, err := s.Extract("index", "http://x.onion/", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	got := [][2]string{}
	for _, r := range res.Records {
		got = append(got, [2]string{r.Get("attributes.feedbacks"), r.Get("attributes.promoted")})
	}
	if fmt.Sprint(got) != "[[2 true] [0 false]]" {
		t.Errorf("count/exists = %v", got)
	}
	if _, err := Parse("deep.yaml", []byte(strings.Replace(site, "count: true, parser: int", "count: true, exists: true, parser: int", 1))); err == nil {
		t.Error("count and exists together accepted")
	}
}
