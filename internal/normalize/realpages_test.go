package normalize

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/internal/pipeline"
)

// realPagesDir finds ../shared/realpages (the saved real pages and their
// hand-checked .truth.yaml files) from the working directory or a parent.
// Missing, the test fails when CI is set and is skipped otherwise.
func realPagesDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "realpages")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") != "" {
		t.Fatal("shared/realpages not found in the working directory or a parent")
	}
	t.Skip("shared/realpages not found")
	return ""
}

// truthLocale is the locale a site file for each site states.
var truthLocale = map[string]pipeline.Locale{
	"sinisterly": {DateOrder: OrderMDY},
	"pax-romana": {DateOrder: OrderDMY},
}

// truthCapture is when each site's pages were captured, for relative
// dates (from the truth files' capture estimates).
var truthCapture = map[string]time.Time{
	"alphabay-forum/grid_1.html": time.Date(2016, 11, 29, 14, 46, 0, 0, time.UTC),
	"alphabay-forum/grid_2.html": time.Date(2016, 11, 22, 21, 44, 0, 0, time.UTC),
}

// truthCheck counts what the parsers reproduced of the truth files.
type truthCheck struct {
	t              *testing.T
	page, site     string
	right, checked int
}

func (c *truthCheck) fail(path, format string, args ...any) {
	c.t.Errorf("%s %s: %s", c.page, path, fmt.Sprintf(format, args...))
}

func (c *truthCheck) ok(cond bool, path, format string, args ...any) {
	c.checked++
	if cond {
		c.right++
		return
	}
	c.fail(path, format, args...)
}

// TestRealPageValues runs the parsers on the raw values the real pages
// show, as recorded in their .truth.yaml files, and compares them with the
// normalized values recorded beside them: prices and their currencies,
// price ranges, shipping options, dates and ages, places, percentages and
// exchange rates.
func TestRealPageValues(t *testing.T) {
	dir := realPagesDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.truth.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no truth files in %s: %v", dir, err)
	}
	var right, checked int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rel, _ := filepath.Rel(dir, strings.TrimSuffix(f, ".truth.yaml"))
		c := &truthCheck{t: t, page: rel, site: filepath.Dir(rel)}
		c.walk("", doc)
		right += c.right
		checked += c.checked
	}
	t.Logf("real pages: %d of %d values reproduced", right, checked)
	if checked < 100 {
		t.Errorf("only %d values checked", checked)
	}
}

func (c *truthCheck) walk(path string, v any) {
	switch v := v.(type) {
	case map[string]any:
		c.node(path, v)
		for k, x := range v {
			c.walk(path+"."+k, x)
		}
	case []any:
		for i, x := range v {
			c.walk(fmt.Sprintf("%s[%d]", path, i), x)
		}
	}
}

func str(m map[string]any, k string) (string, bool) {
	s, ok := m[k].(string)
	return s, ok
}

func num(m map[string]any, k string) (float64, bool) {
	switch x := m[k].(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// node checks one map of a truth file by the keys it holds.
func (c *truthCheck) node(path string, m map[string]any) {
	c.prices(path, m)
	c.dates(path, m)
	c.places(path, m)
	if raw, ok := str(m, "rating_raw"); ok && strings.Contains(raw, "%") {
		want, _ := num(m, "rating_percent")
		got, err := Percent(raw)
		c.ok(err == nil && got == want, path, "Percent(%q) = %v, %v; want %v", raw, got, err, want)
	}
	if raw, ok := str(m, "stats_raw"); ok {
		want, _ := num(m, "rating_percent")
		got, err := Percent(raw)
		c.ok(err == nil && got == want, path, "Percent(%q) = %v, %v; want %v", raw, got, err, want)
	}
	if pair, ok := str(m, "pair"); ok {
		want, _ := num(m, "value")
		x, err := Rate(fmt.Sprintf("%s %v", pair, want))
		c.ok(err == nil && x.Base == "BTC" && x.Price == want, path, "Rate(%q %v) = %+v, %v; want BTC in fiat", pair, want, x, err)
	}
}

func (c *truthCheck) prices(path string, m map[string]any) {
	cur, hasCur := str(m, "currency")
	for _, rk := range []string{"raw", "price_raw"} {
		raw, ok := str(m, rk)
		if !ok || !hasCur {
			continue
		}
		amount, hasAmount := num(m, "amount")
		if !hasAmount {
			amount, hasAmount = num(m, "price")
		}
		if lo, ok := num(m, "price_min"); ok {
			hi, _ := num(m, "price_max")
			got, gotHi, err := MoneyRange(raw)
			c.ok(err == nil && got.Amount == lo && gotHi == hi && got.Currency == cur, path, "MoneyRange(%q) = %+v %v, %v; want %v-%v %s", raw, got, gotHi, err, lo, hi, cur)
			continue
		}
		if !hasAmount {
			continue
		}
		if _, ok := m["was"]; ok {
			// "Only $1.98 per month (Now Only $1.50 per month)": the page
			// strikes the first price through; a site file selects the
			// current price's element, the text alone cannot tell.
			c.t.Logf("%s %s: %q holds a struck-through price, not checked", c.page, path, raw)
			continue
		}
		if strings.Contains(path, "shipping_options") {
			o, err := ParseShippingOption(raw)
			c.ok(err == nil && math.Abs(o.Cost.Amount-amount) < 1e-12 && o.Cost.Currency == cur, path, "ParseShippingOption(%q) = %+v, %v; want %v %s", raw, o, err, amount, cur)
			if days, ok := num(m, "days"); ok {
				want := fmt.Sprintf("%v days", days)
				c.ok(o.Duration == want, path, "ParseShippingOption(%q).Duration = %q, want %q", raw, o.Duration, want)
			}
			if dest, ok := str(m, "destination"); ok {
				st := Shipping(dest)
				c.ok(len(o.Destinations) == len(st.Destinations) && len(o.Destinations) > 0, path, "ParseShippingOption(%q): %d destinations, want those of %q (%d)", raw, len(o.Destinations), dest, len(st.Destinations))
			}
			continue
		}
		got, err := Money(raw)
		if strings.Trim(raw, "0123456789., ") == "" {
			// A bare number whose currency is an icon (Berlusconi's BTC):
			// the site file states the currency.
			c.ok(got.Amount == amount && err != nil, path, "Money(%q) = %+v, %v; want the amount and no currency", raw, got, err)
			continue
		}
		c.ok(err == nil && math.Abs(got.Amount-amount) < 1e-12 && got.Currency == cur, path, "Money(%q) = %+v, %v; want %v %s", raw, got, err, amount, cur)
	}
}

// dateKeys pair a raw date key with the key of its normalized value.
var dateKeys = map[string]string{
	"date_raw": "date", "started_raw": "started", "sold_since_raw": "sold_since_normalized", "sales_raw": "sales_since",
	"date_title_attr": "", "last_post_title_attr": "", "last_post_raw": "", "author_joined_raw": "", "age_raw": "",
	"last_seen_raw": "", "vendor_for_raw": "", "vendor_last_seen_raw": "", "author_registered": "",
	"last_post_display": "",
}

func (c *truthCheck) dates(path string, m map[string]any) {
	captured, ok := truthCapture[c.page+".html"]
	if !ok {
		captured = time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC)
	}
	for rk, nk := range dateKeys {
		raw, ok := str(m, rk)
		if !ok || (rk == "started_raw" && strings.HasSuffix(path, "thread")) {
			continue
		}
		got, hasTime, err := DateIn(raw, captured, truthLocale[c.site])
		want, hasWant := "", false
		if nk != "" {
			want, hasWant = str(m, nk)
		}
		if !hasWant {
			c.ok(err == nil, path, "DateIn(%q): %v", raw, err)
			continue
		}
		var gotS string
		switch {
		case hasTime && len(want) == len("2006-01-02T15:04"):
			gotS = got.Format("2006-01-02T15:04")
		case hasTime:
			gotS = got.Format("2006-01-02T15:04:05")
		default:
			gotS = got.Format(time.DateOnly)
		}
		c.ok(err == nil && gotS == want, path, "DateIn(%q) = %s, %v; want %s", raw, gotS, err, want)
	}
}

func (c *truthCheck) places(path string, m map[string]any) {
	from := m["ships_from"]
	if fm, ok := from.(map[string]any); ok {
		from = fm["raw"]
	}
	if raw, ok := from.(string); ok {
		o, err := Origin(raw)
		c.ok(err == nil, path, "Origin(%q) = %+v, %v", raw, o, err)
	}
	raw, ok := str(m, "ships_to_raw")
	if !ok {
		if s, ok2 := m["ships_to"].(string); ok2 {
			raw, ok = s, true
		}
	}
	if !ok {
		return
	}
	st := Shipping(raw)
	if want, ok := m["ships_to"].(map[string]any); ok {
		switch want["mode"] {
		case "worldwide_except":
			except := len(want["except"].([]any))
			c.ok(st.Worldwide && len(st.Excluded) == except && len(st.Destinations) == 249-except, path, "Shipping(%q) = %+v", raw, st)
		case "domestic_only":
			c.ok(st.Domestic && len(st.Unresolved) == 0, path, "Shipping(%q) = %+v", raw, st)
		}
		return
	}
	c.ok(len(st.Unresolved) == 0 && (len(st.Destinations) > 0 || st.Domestic) && !slices.Contains(st.Specials, SpecialUnknown), path, "Shipping(%q) = %+v", raw, st)
}

// TestRealPageContacts runs TypedContacts over whole saved pages: the
// forum threads' Jabber, ICQ and e-mail handles are found, BlackRy's
// "wickr:" title too, and market chrome yields none.
func TestRealPageContacts(t *testing.T) {
	dir := realPagesDir(t)
	want := map[string][]Contact{
		"alphabay-forum/thread_1.html": {{KindJabber, "abtravel@xmpp.jp"}, {KindJabber, "br3aker@jabber.cz"}, {KindJabber, "battalion@jabber.de"},
			{KindJabber, "hackteck@jabber.cz"}, {KindEmail, "battalion@lelantos.org"}, {KindICQ, "677490068"}},
		"alphabay-forum/thread_2.html": {{KindJabber, "valvex@jwchat.org"}, {KindJabber, "aroundtheworldtravels@xmpp.jp"}, {KindICQ, "683432167"},
			{KindJabber, "valvex@jabber.ru"}, {KindJabber, "bk201@jabber.cz"}, {KindJabber, "kevinalpha@exploit.im"}},
		"evolution-forums/thread_1.html": {{KindJabber, "iwantmoney4free@jabber.org"}, {KindICQ, "655581841"}, {KindICQ, "695658844"}, {KindICQ, "601463395"}},
		"blackry/grid_1.html":            {{KindWickr, "caregivers420"}},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pages in %s: %v", dir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, f)
		got := TypedContacts(string(b))
		if w := want[rel]; !slices.Equal(got, w) {
			t.Errorf("%s: TypedContacts = %+v, want %+v", rel, got, w)
		}
	}
}
