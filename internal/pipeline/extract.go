package pipeline

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Errors Extract returns, checked with errors.Is.
var (
	// ErrUnknownPage marks a page kind the site file does not define.
	ErrUnknownPage = errors.New("unknown page kind")
	// ErrBadPageURL marks a page URL that is not an absolute http(s) URL.
	ErrBadPageURL = errors.New("page URL is not an absolute http(s) URL")
	// ErrNotCompiled marks a Site that did not come from Load or Parse.
	ErrNotCompiled = errors.New("site file not compiled; use Load or Parse")
)

// Result is what one page yields.
type Result struct {
	// Records are the records found, in document order.
	Records []Record `json:"records"`
	// Links are the pages the follow rules lead to.
	Links []Link `json:"links"`
	// Next are the next pages of the same kind (pagination).
	Next []Link `json:"next"`
	// Misses are fields (or items) whose selectors matched nothing: a
	// health signal that the layout may have changed.
	Misses []Miss `json:"misses"`
	// Stats count, per record type and field, the items on the page and
	// those where the field's selector matched (a default does not count);
	// Field "" is the item selector (Items 1, Matched 1 when it matched
	// anything). Health adds them up over a run.
	Stats []FieldStat `json:"stats"`
	// Flattened counts start tags left out because the page nested
	// elements deeper than the HTML parser accepts (a page built to hide
	// its records that way); 0 for an ordinary page. Their text is kept.
	Flattened int `json:"flattened,omitempty"`
}

// FieldStat is how often one field's selector matched on one page.
type FieldStat struct {
	Record  string `json:"record"`
	Field   string `json:"field,omitempty"`
	Items   int    `json:"items"`
	Matched int    `json:"matched"`
}

// Link is a page to fetch: an absolute URL on the host of the page it was
// found on, and the kind of page it is.
type Link struct {
	URL  string `json:"url"`
	Page string `json:"page"`
}

// Record is one extracted record, its fields still raw text.
type Record struct {
	// Type is RecordListing, RecordVendor, RecordPost or RecordThread.
	Type string `json:"type"`
	// URL is the page the record was extracted from.
	URL string `json:"url,omitempty"`
	// Partial is set for records of a rule marked partial (grid tiles):
	// Merge lets a full record of the same key win on conflicts.
	Partial bool `json:"partial,omitempty"`
	// Fields holds the fields that matched (or have a default), by name.
	Fields map[string]Field `json:"fields"`
	// Locale is the site's locale (date order, time zone), copied from the
	// site file so normalization reads dates as the site writes them.
	Locale Locale `json:"locale,omitzero"`
}

// Field is one raw field value and the parser normalization applies to it.
type Field struct {
	Raw    string `json:"raw"`
	Parser string `json:"parser"`
}

// Miss reports a field whose selector matched nothing, or (Field == "") an
// item selector that matched nothing on the page.
type Miss struct {
	// Record is the record type.
	Record string `json:"record"`
	// Field is the field name; empty when the item selector matched nothing.
	Field string `json:"field,omitempty"`
	// Item is the index of the item on the page (0 without an item selector).
	Item int `json:"item"`
	// Dropped is true when the field is required (or the record's natural
	// key), so the record it belongs to was not emitted.
	Dropped bool `json:"dropped,omitempty"`
}

// Get returns the raw value of field name, or "" when it is absent.
func (r Record) Get(name string) string { return r.Fields[name].Raw }

// Extract parses one page of kind pageKind fetched from pageURL and returns
// its records, the links to follow and the misses. body is the page as
// fetched (already bounded by the fetcher). Extract is deterministic and
// safe for concurrent use; it never fetches anything.
//
// Field values: text is the element's text with the contents of script and
// style left out, a space at element boundaries that separate words (br,
// block elements, cells), whitespace collapsed and trimmed; an attribute is
// whitespace-collapsed too; "html" is the inner HTML, trimmed. An empty value
// counts as no match. With a regex, values it does not match are skipped.
func (s *Site) Extract(pageKind, pageURL string, body []byte) (*Result, error) {
	if !s.compiled {
		return nil, fmt.Errorf("extracting %s page: %w", pageKind, ErrNotCompiled)
	}
	pg, ok := s.Pages[pageKind]
	if !ok {
		return nil, fmt.Errorf("extracting %s page of %s: %w (the site file has %s)", pageKind, s.ID(), ErrUnknownPage, strings.Join(sortedKeys(s.Pages), ", "))
	}
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("extracting %s page of %s from %q: %w", pageKind, s.ID(), pageURL, ErrBadPageURL)
	}
	base := &pageBase{URL: u}
	if u.User == nil && u.Opaque == "" {
		base.origin = u.Scheme + "://" + u.Host
	}
	doc, flattened, err := parse(body)
	if err != nil {
		return nil, fmt.Errorf("parsing %s page of %s: %w", pageKind, s.ID(), err)
	}
	res := &Result{Records: []Record{}, Links: []Link{}, Next: []Link{}, Misses: []Miss{}, Stats: []FieldStat{}, Flattened: flattened}
	if pg == nil {
		return res, nil
	}
	q := query(doc, pg)
	res.Next = links(base, q.next)
	res.Links = links(base, q.follow)
	for i := range pg.Records {
		extractRecords(res, doc, q.items[i], pageURL, base, &pg.Records[i])
	}
	for i := range res.Records {
		res.Records[i].Locale = s.Locale
	}
	return res, nil
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// extractRecords extracts the records of rule r from items, the elements
// its item selector matched (ignored for a rule without one: the page is
// the one item).
func extractRecords(res *Result, doc *html.Node, items []*html.Node, pageURL string, base *pageBase, r *RecordRule) {
	if r.item == nil {
		items = []*html.Node{doc}
	} else {
		hit := 0
		if len(items) > 0 {
			hit = 1
		}
		res.Stats = append(res.Stats, FieldStat{Record: r.Type, Items: 1, Matched: hit})
		if len(items) == 0 {
			res.Misses = append(res.Misses, Miss{Record: r.Type})
			return
		}
	}
	stats := make([]FieldStat, len(r.names))
	for k, name := range r.names {
		stats[k] = FieldStat{Record: r.Type, Field: name, Items: len(items)}
	}
	// Fields scoped to the page are the same for every item: extract once.
	var pageVals []fieldResult // by field index; nil when none is page-scoped
	for k, f := range r.rules {
		if f.Scope == "page" {
			if pageVals == nil {
				pageVals = make([]fieldResult, len(r.rules))
			}
			raw, ok := fieldValue(doc, pageURL, base, f, nil)
			pageVals[k] = fieldResult{raw, ok, true}
		}
	}
	key := naturalKeys[r.Type]
	res.Records = slices.Grow(res.Records, len(items))
	firsts := make([]firstMemo, len(r.rules)) // per item
	for i, item := range items {
		clear(firsts)
		rec := Record{Type: r.Type, URL: pageURL, Partial: r.Partial, Fields: make(map[string]Field, len(r.names))}
		var misses []Miss
		dropped := false
		for k, name := range r.names {
			f := r.rules[k]
			var raw string
			var ok bool
			if pageVals != nil && pageVals[k].scoped {
				raw, ok = pageVals[k].raw, pageVals[k].ok
			} else {
				var memo *firstMemo
				if j := r.shared[k]; j >= 0 {
					memo = &firsts[j]
				}
				raw, ok = fieldValue(item, pageURL, base, f, memo)
			}
			if ok {
				stats[k].Matched++
			}
			if !ok && f.Default != nil {
				raw, ok = *f.Default, true
			}
			if ok {
				rec.Fields[name] = Field{Raw: raw, Parser: f.parser}
				continue
			}
			drop := f.Required || name == key
			dropped = dropped || drop
			misses = append(misses, Miss{Record: r.Type, Field: name, Item: i, Dropped: drop})
		}
		if !dropped {
			res.Records = append(res.Records, rec)
		}
		res.Misses = append(res.Misses, misses...)
	}
	res.Stats = append(res.Stats, stats...)
}

type fieldResult struct {
	raw    string
	ok     bool
	scoped bool // the field is page-scoped
}

// firstMemo keeps the first match of a selector in one item, for the
// fields that share the selector.
type firstMemo struct {
	node *html.Node
	done bool
}

// fieldValue extracts one field from an item; ok is false when nothing
// (non-empty) matched. memo, when not nil, keeps the first match of the
// field's selector in this item for the other fields with that selector.
func fieldValue(item *html.Node, pageURL string, base *pageBase, f *FieldRule, memo *firstMemo) (string, bool) {
	switch {
	case (f.Count || f.Exists) && f.sel != nil:
		n := 0
		for _, m := range f.sel.all(item, nil) {
			if _, ok := f.pick(f.value(m, base)); ok {
				n++
				if f.Exists {
					break
				}
			}
		}
		if f.Exists {
			return strconv.FormatBool(n > 0), true
		}
		return strconv.Itoa(n), true
	case f.From == "url":
		return f.pick(pageURL)
	case f.sel == nil:
		return f.pick(f.value(item, base))
	case f.Join == nil:
		// Only the first usable match counts: try the first match alone
		// before walking the item for every match.
		var n *html.Node
		switch {
		case memo == nil:
			n = f.sel.first(item)
		case memo.done:
			n = memo.node
		default:
			n = f.sel.first(item)
			memo.node, memo.done = n, true
		}
		if n == nil {
			return "", false
		}
		if v, ok := f.pick(f.value(n, base)); ok {
			return v, true
		}
		for _, n := range f.sel.all(item, nil)[1:] {
			if v, ok := f.pick(f.value(n, base)); ok {
				return v, true
			}
		}
		return "", false
	}
	var out []string
	for _, n := range f.sel.all(item, nil) {
		if v, ok := f.pick(f.value(n, base)); ok {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return "", false
	}
	return strings.Join(out, *f.Join), true
}

// value is the field's value of one matched node: its text (with line
// breaks for a multi-line field), inner HTML, or an attribute; a link
// attribute (href, src, action) is resolved against the page URL, so a
// profile_url or an image is an absolute URL whatever the page wrote.
func (f *FieldRule) value(n *html.Node, base *pageBase) string {
	if f.lines && f.Attr == "" {
		var b strings.Builder
		writeLines(&b, n, false)
		return collapseLines(b.String())
	}
	v := nodeValue(n, f.Attr)
	if isLinkAttr(f.Attr) && v != "" {
		v = absolute(base, v)
	}
	return v
}

// isLinkAttr reports the attributes whose values are URLs.
func isLinkAttr(name string) bool {
	switch name {
	case "href", "src", "action", "data-src":
		return true
	}
	return false
}

// absolute makes ref absolute against base, whatever its host (a field
// value is evidence, not a link to follow); a reference that does not
// parse is kept as written. An absolute http(s) URL and a plain
// root-relative path take no parsing.
func absolute(base *pageBase, ref string) string {
	switch {
	case strings.HasPrefix(ref, "http://"), strings.HasPrefix(ref, "https://"):
		return ref
	case base.origin != "" && plainPath(ref):
		return base.origin + ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return base.ResolveReference(r).String()
}

// pick applies the field's regex to one matched value; ok is false when
// the regex does not match or the value is empty.
func (f *FieldRule) pick(v string) (string, bool) {
	if f.re != nil {
		var ok bool
		if v, ok = f.submatch(v); !ok {
			return "", false
		}
		switch {
		case f.Attr == "html":
			v = strings.TrimSpace(v)
		case f.lines:
			v = collapseLines(v)
		case !isCollapsed(v):
			v = collapse(v)
		}
	}
	return v, v != ""
}

// submatch returns the group of the field's regex (f.re, or f.lit when the
// regex has its shape) that the field keeps: f.group, else the first group,
// else the whole match; "" when the group took no part in the match.
func (f *FieldRule) submatch(v string) (string, bool) {
	if f.lit != nil {
		m0, m1, g0, g1, ok := f.lit.find(v)
		switch {
		case !ok:
			return "", false
		case f.group == 0:
			return v[m0:m1], true
		}
		return v[g0:g1], true
	}
	m := f.re.FindStringSubmatchIndex(v)
	if m == nil {
		return "", false
	}
	g := 0
	switch {
	case f.group >= 0:
		g = f.group
	case len(m) > 2:
		g = 1
	}
	if m[2*g] < 0 {
		return "", true
	}
	return v[m[2*g]:m[2*g+1]], true
}
