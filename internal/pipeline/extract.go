package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
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
}

// Link is a page to fetch: an absolute URL on the host of the page it was
// found on, and the kind of page it is.
type Link struct {
	URL  string `json:"url"`
	Page string `json:"page"`
}

// Record is one extracted record, its fields still raw text.
type Record struct {
	// Type is RecordListing or RecordVendor.
	Type string `json:"type"`
	// Fields holds the fields that matched (or have a default), by name.
	Fields map[string]Field `json:"fields"`
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
		return nil, fmt.Errorf("extracting %s page of %s: %w", pageKind, s.ID(), ErrUnknownPage)
	}
	base, err := url.Parse(pageURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("extracting %s page of %s from %q: %w", pageKind, s.ID(), pageURL, ErrBadPageURL)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parsing %s page of %s: %w", pageKind, s.ID(), err)
	}
	res := &Result{Records: []Record{}, Links: []Link{}, Next: []Link{}, Misses: []Miss{}}
	if pg == nil {
		return res, nil
	}
	order := documentOrder(doc.Nodes[0])
	if pg.Next != nil {
		res.Next = links(doc.Selection, base, order, []LinkRule{*pg.Next})
	}
	res.Links = links(doc.Selection, base, order, pg.Follow)
	for i := range pg.Records {
		extractRecords(res, doc.Selection, pageURL, &pg.Records[i])
	}
	return res, nil
}

// documentOrder numbers every node of the tree in document order.
func documentOrder(root *html.Node) map[*html.Node]int {
	order := map[*html.Node]int{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		order[n] = len(order)
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return order
}

type linkMatch struct {
	node *html.Node
	rule *LinkRule
}

// links applies link rules and returns their resolved, same-host,
// de-duplicated URLs in document order (the first rule wins for a node or
// URL matched twice).
func links(doc *goquery.Selection, base *url.URL, order map[*html.Node]int, rules []LinkRule) []Link {
	var matches []linkMatch
	seenNode := map[*html.Node]bool{}
	for i := range rules {
		r := &rules[i]
		for _, n := range doc.FindMatcher(r.sel).Nodes {
			if !seenNode[n] {
				seenNode[n] = true
				matches = append(matches, linkMatch{n, r})
			}
		}
	}
	// Stable insertion sort by document order keeps rule order for ties;
	// match counts are small.
	sortMatches(matches, order)
	out := []Link{}
	seenURL := map[string]bool{}
	for _, m := range matches {
		raw, ok := attr(m.node, m.rule.Attr)
		if !ok {
			continue
		}
		u, ok := resolve(base, raw)
		if !ok || seenURL[u] {
			continue
		}
		seenURL[u] = true
		out = append(out, Link{URL: u, Page: m.rule.Page})
	}
	return out
}

func sortMatches(ms []linkMatch, order map[*html.Node]int) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && order[ms[j].node] < order[ms[j-1].node]; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// resolve makes raw absolute against base and keeps it only when it is an
// http(s) URL on base's host. The fragment and any user info are dropped.
func resolve(base *url.URL, raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.HasPrefix(raw, "#") {
		return "", false
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	u := base.ResolveReference(ref)
	if (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, base.Host) {
		return "", false
	}
	u.Fragment, u.RawFragment, u.User = "", "", nil
	return u.String(), true
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func extractRecords(res *Result, doc *goquery.Selection, pageURL string, r *RecordRule) {
	items := doc
	if r.item != nil {
		items = doc.FindMatcher(r.item)
		if items.Length() == 0 {
			res.Misses = append(res.Misses, Miss{Record: r.Type})
			return
		}
	}
	key := naturalKeys[r.Type]
	for i := range items.Nodes {
		item := items.Eq(i)
		rec := Record{Type: r.Type, Fields: make(map[string]Field, len(r.names))}
		var misses []Miss
		dropped := false
		for _, name := range r.names {
			f := r.Fields[name]
			raw, ok := fieldValue(item, pageURL, f)
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
}

// fieldValue extracts one field from an item; ok is false when nothing
// (non-empty) matched.
func fieldValue(item *goquery.Selection, pageURL string, f *FieldRule) (string, bool) {
	var vals []string
	if f.From == "url" {
		vals = []string{pageURL}
	} else {
		sel := item
		if f.sel != nil {
			sel = item.FindMatcher(f.sel)
		}
		for _, n := range sel.Nodes {
			vals = append(vals, nodeValue(n, f.Attr))
		}
	}
	out := vals[:0]
	for _, v := range vals {
		if f.re != nil {
			m := f.re.FindStringSubmatch(v)
			if m == nil {
				continue
			}
			v = m[0]
			if len(m) > 1 {
				v = m[1]
			}
			if f.Attr != "html" {
				v = collapse(v)
			} else {
				v = strings.TrimSpace(v)
			}
		}
		if v == "" {
			continue
		}
		out = append(out, v)
		if f.Join == nil {
			break
		}
	}
	if len(out) == 0 {
		return "", false
	}
	if f.Join == nil {
		return out[0], true
	}
	return strings.Join(out, *f.Join), true
}

func nodeValue(n *html.Node, attrName string) string {
	switch attrName {
	case "":
		var b strings.Builder
		writeText(&b, n)
		return collapse(b.String())
	case "html":
		var b bytes.Buffer
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if err := html.Render(&b, c); err != nil {
				return ""
			}
		}
		return strings.TrimSpace(b.String())
	}
	v, _ := attr(n, attrName)
	return collapse(v)
}

// collapse collapses runs of white space to one space and trims.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// breaking lists elements whose boundaries separate words in rendered text.
var breaking = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "br": true, "dd": true, "div": true,
	"dl": true, "dt": true, "fieldset": true, "figcaption": true, "figure": true, "footer": true, "form": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "header": true, "hr": true,
	"li": true, "main": true, "nav": true, "ol": true, "option": true, "p": true, "pre": true, "section": true,
	"table": true, "tbody": true, "td": true, "tfoot": true, "th": true, "thead": true, "tr": true, "ul": true,
}

// skipped lists elements whose contents are not page text.
var skipped = map[string]bool{"script": true, "style": true, "noscript": true, "template": true}

func writeText(b *strings.Builder, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(n.Data)
		return
	case html.ElementNode:
		if skipped[n.Data] {
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	brk := n.Type == html.ElementNode && breaking[n.Data]
	if brk {
		b.WriteByte(' ')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeText(b, c)
	}
	if brk {
		b.WriteByte(' ')
	}
}
