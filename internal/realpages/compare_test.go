package realpages

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/normalize"
)

// outcome of comparing one truth value with an event.
type outcome int

const (
	right outcome = iota
	wrong
	missing
	// unscored: a truth key the test has no mapping for; listed, not
	// counted.
	unscored
)

func (o outcome) String() string { return [...]string{"right", "wrong", "missing", "unscored"}[o] }

// result is one truth value compared.
type result struct {
	site, page, field string
	want, got         string
	out               outcome
	why               string
}

// scorer collects the results of one page.
type scorer struct {
	site, page string
	l          *loaded
	pe         *pageEvents
	results    []result
}

// spec says how to compare one truth value: the event it is read from
// (it nil: no event of that type), the event fields tried in order, the
// site-file field that carries it (for the reason when it is missing) and
// the comparison.
type spec struct {
	field string   // display name, the truth path
	want  any      // the truth value; nil means the page does not show it
	typ   string   // record type, for reasons
	it    *item    // the event; nil when there is none
	paths []string // event JSON paths tried in order
	raw   string   // the site-file field carrying it
	cmp   string   // text, textci, prefix, contains, num, level, bool, date, id
}

func (sc *scorer) add(field string, want, got any, out outcome, why string) {
	sc.results = append(sc.results, result{site: sc.site, page: sc.page, field: field,
		want: show(want), got: show(got), out: out, why: why})
}

// show formats a value for the table.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// lookup reads a JSON path ("a.b", "attributes.key") from an event; empty
// strings, empty lists and empty objects count as absent.
func lookup(ev obj, path string) (any, bool) {
	var cur any = ev
	parts := strings.Split(path, ".")
	for i, p := range parts {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			// A typed attributes list: objects with key (or name) and value.
			key := strings.Join(parts[i:], ".")
			for _, e := range c {
				if m, ok := e.(map[string]any); ok && (m["key"] == key || m["name"] == key) {
					return present(m["value"])
				}
			}
			return nil, false
		default:
			return nil, false
		}
	}
	return present(cur)
}

func present(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case string:
		return x, x != ""
	case []any:
		return x, len(x) > 0
	case map[string]any:
		return x, len(x) > 0
	}
	return v, true
}

// collapse joins the words of s with single spaces.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = text(e)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var numRE = regexp.MustCompile(`-?[0-9][0-9,]*(\.[0-9]+)?`)

// num reads a number from a JSON value or a text holding one ("8,001",
// "Level 5").
func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case string:
		m := numRE.FindString(x)
		if m == "" {
			return 0, false
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", ""), 64)
		return f, err == nil
	}
	return 0, false
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// dateLayouts read the truth files' raw date forms when no normalized date
// is stated.
var dateLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02",
	"Jan 2, 2006 at 3:04 PM", "Jan 2, 2006", "01-02-2006, 03:04 PM", "02 Jan 2006"}

// wantDate reads a truth date; hasTime says whether it states a time.
func wantDate(s string) (time.Time, bool, bool) {
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, strings.Contains(layout, "15") || strings.Contains(layout, "3:04"), true
		}
	}
	return time.Time{}, false, false
}

// gotDate reads an event date: RFC 3339 or a date.
func gotDate(v any) (time.Time, bool, bool) {
	s, _ := v.(string)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, false, true
	}
	return time.Time{}, false, false
}

// compare one value; ok false means the comparison could not decide (the
// got value has no usable form), which counts as wrong.
func compare(cmp string, want, got any) (outcome, string) {
	w := text(want)
	switch cmp {
	case "text", "id":
		if collapse(text(got)) == collapse(w) {
			return right, ""
		}
		if cmp == "id" && strings.TrimPrefix(text(got), "p") == strings.TrimPrefix(w, "p") {
			return right, ""
		}
	case "present":
		if want == true {
			return right, ""
		}
	case "textci":
		// Case and hyphens between words do not count ("fixed-price"
		// is "fixed price").
		g := strings.ReplaceAll(collapse(text(got)), "-", " ")
		if strings.EqualFold(g, strings.ReplaceAll(collapse(w), "-", " ")) {
			return right, ""
		}
	case "class":
		// A product class (physical or digital) as the event reads it,
		// or the text shown: the truth's wording ("Physical package",
		// "digital (ebook, .pdf)") starts with the class.
		g := strings.ToLower(collapse(text(got)))
		lw := strings.ToLower(collapse(w))
		if lw == g || (g == "physical" || g == "digital") && strings.HasPrefix(lw, g) {
			return right, ""
		}
	case "prefix":
		if strings.HasPrefix(collapse(text(got)), strings.TrimSpace(strings.TrimSuffix(collapse(w), "..."))) {
			return right, ""
		}
	case "contains":
		if strings.Contains(strings.ToLower(collapse(text(got))), strings.ToLower(collapse(w))) {
			return right, ""
		}
	case "num", "level":
		wn, ok1 := num(want)
		gn, ok2 := num(got)
		if ok1 && ok2 && near(gn, wn) {
			return right, ""
		}
	case "bool":
		wb, ok := want.(bool)
		if !ok {
			b, err := normalize.Bool(w)
			if err != nil {
				return wrong, "truth value " + w + " is not a yes/no"
			}
			wb = b
		}
		if b, ok := got.(bool); ok && b == wb {
			return right, ""
		}
		if s, ok := got.(string); ok {
			if b, err := normalize.Bool(s); err == nil && b == wb {
				return right, ""
			}
		}
	case "payment":
		g := strings.ToLower(text(got))
		if strings.Contains(g, strings.ToLower(w)) {
			return right, ""
		}
		for name, code := range coins {
			if strings.Contains(strings.ToLower(w), name) && strings.Contains(g, strings.ToLower(code)) {
				return right, ""
			}
		}
	case "date":
		wt, wantTime, ok := wantDate(w)
		if !ok {
			return wrong, "truth date " + w + " unreadable by the test"
		}
		gt, gotTime, ok := gotDate(got)
		if !ok {
			return wrong, "event date unreadable"
		}
		if gt.Format(time.DateOnly) != wt.Format(time.DateOnly) {
			return wrong, ""
		}
		if wantTime && !gotTime {
			return missing, "date right, its time lost (event keeps only the date)"
		}
		if wantTime && gt.Format("15:04") != wt.Format("15:04") {
			if gt.Format("15:04:05") == "00:00:00" {
				return wrong, "(the event says midnight: normalization dropped the time of day)"
			}
			return wrong, ""
		}
		return right, ""
	default:
		panic("unknown comparison " + cmp)
	}
	return wrong, ""
}

// coins are the payment names of the truth files and their codes.
var coins = map[string]string{"bitcoin": "BTC", "litecoin": "LTC", "monero": "XMR", "multisig": "MULTISIG"}

// check compares one truth value with an event as sp says and records the
// result with the reason a missing value is missing.
func (sc *scorer) check(sp spec) {
	if sp.it == nil {
		if sp.want == nil {
			sc.add(sp.field, nil, nil, right, "")
			return
		}
		sc.add(sp.field, sp.want, nil, missing, "no "+sp.typ+" event on the page")
		return
	}
	var got any
	var found bool
	for _, p := range sp.paths {
		if got, found = lookup(sp.it.ev, p); found {
			break
		}
	}
	if sp.want == nil {
		if !found {
			sc.add(sp.field, nil, nil, right, "")
		} else {
			sc.add(sp.field, nil, got, wrong, "the page does not show it; the event has a value")
		}
		return
	}
	if !found {
		if ok := sc.zeroRight(sp); ok {
			sc.add(sp.field, sp.want, "(omitted zero)", right, "")
			return
		}
		sc.add(sp.field, sp.want, nil, missing, sc.reason(sp))
		return
	}
	out, why := compare(sp.cmp, sp.want, got)
	sc.add(sp.field, sp.want, got, out, why)
}

// zeroRight: a truth value of 0 or false the event leaves out (omitempty)
// is right when the record carries the field and it reads as 0 or false.
func (sc *scorer) zeroRight(sp spec) bool {
	f, ok := sp.it.rec.Fields[sp.raw]
	if sp.raw == "" || !ok {
		return false
	}
	switch w := sp.want.(type) {
	case bool:
		b, err := normalize.Bool(f.Raw)
		return !w && err == nil && !b
	case int, float64:
		n, _ := num(w)
		g, ok := num(f.Raw)
		return n == 0 && ok && g == 0 && sc.hasField(sp)
	}
	return false
}

// hasField: the event type has one of sp's fields at all (its zero value
// omitted), judged from any event of the page that shows it.
func (sc *scorer) hasField(sp spec) bool {
	for _, group := range [][]item{sc.pe.listings, sc.pe.vendors, sc.pe.posts, sc.pe.threads} {
		for _, it := range group {
			for _, p := range sp.paths {
				if _, ok := lookup(it.ev, p); ok {
					return true
				}
			}
		}
	}
	return false
}

// reason says why the event lacks a value the page shows.
func (sc *scorer) reason(sp spec) string {
	if why, ok := sc.l.dropped[sp.typ+"."+sp.raw]; ok {
		return why
	}
	if sp.raw == "" {
		return "no site-file field or event field carries it"
	}
	if why, ok := siteGaps[sc.site+" "+sp.raw]; ok {
		return why
	}
	f, ok := sp.it.rec.Fields[sp.raw]
	if !ok {
		return fmt.Sprintf("site file: %s field %s not extracted (no selector for it, or it matched nothing)", sp.typ, sp.raw)
	}
	flags, _ := lookup(sp.it.ev, "flags")
	for _, fl := range asList(flags) {
		if s, _ := fl.(string); s == sp.raw || strings.HasPrefix(s, sp.raw+":") {
			return fmt.Sprintf("normalization: raw %q extracted; the %s parser on this branch could not read it (flag %s)", cut(f.Raw), parserName(f.Parser), s)
		}
	}
	if strings.HasPrefix(sp.raw, "attributes.") {
		return fmt.Sprintf("event model: raw %q extracted; %s events on this branch carry no typed attributes (%s)", cut(f.Raw), sp.typ, sp.raw)
	}
	return fmt.Sprintf("event model/normalization: raw %q extracted; the %s event on this branch has no %s", cut(f.Raw), sp.typ, strings.Join(sp.paths, " / "))
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func cut(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// money is an amount with its currency as events carry it.
type money struct {
	amount   float64
	currency string
	path     string
}

// moneys lists every price an event carries: Money objects under keys
// starting with "price" (and lists of them), and plain numbers under
// price_<currency> keys.
func moneys(ev obj) []money {
	var out []money
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			a, okA := x["amount"].(float64)
			c, okC := x["currency"].(string)
			if okA && okC && c != "" {
				out = append(out, money{a, c, path})
			}
		case []any:
			for _, e := range x {
				walk(path, e)
			}
		case float64:
			if i := strings.LastIndexByte(path, '_'); i > 0 && x != 0 {
				cur := strings.ToUpper(path[i+1:])
				if len(cur) == 3 && cur != "USD" || path == "price_usd" {
					out = append(out, money{x, cur, path})
				}
			}
		}
	}
	keys := make([]string, 0, len(ev))
	for k := range ev {
		if strings.HasPrefix(k, "price") && !strings.HasPrefix(k, "price_per_unit") && k != "price_max" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		walk(k, ev[k])
	}
	return out
}

// checkMoney compares one price the page shows (amount and currency) with
// the prices of the event.
func (sc *scorer) checkMoney(field string, it *item, typ string, amount float64, currency string) {
	want := fmt.Sprintf("%v %s", amount, currency)
	if it == nil {
		sc.add(field, want, nil, missing, "no "+typ+" event on the page")
		return
	}
	var same []money
	for _, m := range moneys(it.ev) {
		if m.currency != currency {
			continue
		}
		if near(m.amount, amount) {
			sc.add(field, want, fmt.Sprintf("%v %s (%s)", m.amount, m.currency, m.path), right, "")
			return
		}
		same = append(same, m)
	}
	if len(same) > 0 && same[0].path == "price_"+strings.ToLower(currency) {
		sc.add(field, want, fmt.Sprintf("%v %s (%s)", same[0].amount, currency, same[0].path), wrong, "")
		return
	}
	raw := "price_" + strings.ToLower(currency)
	if v, ok := lookup(it.ev, "attributes."+raw); ok {
		out := wrong
		if n, ok := num(v); ok && near(n, amount) {
			out = right
		}
		sc.add(field, want, fmt.Sprintf("%v (attributes.%s)", v, raw), out, "")
		return
	}
	if _, ok := it.rec.Fields["attributes."+raw]; ok {
		raw = "attributes." + raw
	}
	sc.add(field, want, nil, missing, sc.reason(spec{typ: typ, it: it, raw: raw, paths: []string{raw}}))
}

// parserName is a field's parser as a site file names it (text when none).
func parserName(p string) string {
	if p == "" {
		return "text"
	}
	return p
}

// siteGaps say, per site and site-file field, why a value the truth states
// cannot be written as a selector: the extraction feature it needs.
var siteGaps = map[string]string{
	"agora attributes.feedback_count":    "extraction: the page says \"No feedbacks found\", no number; a count needs a count of matched rows (no count: rule in site files)",
	"alphabay attributes.feedback_count": "extraction: the feedback tab has only its header row; a count needs a count of matched rows (no count: rule in site files)",
	"pax-romana attributes.ad_label":     "extraction: only promoted rows show the bold \"Ads\" (kept as attributes.ad_label); a yes/no needs a presence rule (true when the selector matches, false when not)",
	"agora product_class":                "site file: the page states the class only inside the description (\"This ebook is in .pdf format\"); no field shows it",
}
