package realpages

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/internal/pipeline"
)

// siteDir holds the site files scored here, relative to this package.
const siteDir = "../../pipelines/realpages"

// pagesDir is the shared real pages, relative to this package: the
// repository root's ../shared/realpages.
const pagesDir = "../../../shared/realpages"

// contractFields are the field names of the issue 13 contract a site file
// may set even where the validator on this branch does not accept them
// yet, per record type ("attributes.<key>" is accepted by the validator
// and must name a parser like any other field).
var contractFields = map[string][]string{
	pipeline.RecordListing: {"price_ltc", "price_eur", "price_gbp", "price_max", "rate", "currency", "stock",
		"views", "sold", "product_class", "finalize_early", "escrow", "shipping_options", "listed_at",
		"vendor_rating", "vendor_sales", "vendor_level"},
	pipeline.RecordVendor: {"ships_to", "last_seen", "feedback_percent", "level", "trust_level", "verified",
		"disputes_won", "disputes_lost", "history", "finalize_early", "title", "sales", "rating", "joined"},
	pipeline.RecordPost: {"subforum", "author_title", "author_posts", "author_joined", "signature", "contacts",
		"post_number"},
	pipeline.RecordThread: {"thread_id", "title", "subforum", "author", "started_at", "replies", "views",
		"pages", "last_post", "last_poster", "sticky", "locked"},
}

// loaded is a site file loaded for scoring: the site (its tests: entries
// included) and what had to be left out for the validator on this branch.
type loaded struct {
	site *pipeline.Site
	file string
	// pending lists the contract fields the validator refused and the
	// loader left out, one line each with file:line.
	pending []string
	// dropped maps "recordtype.field" to the validator's reason for every
	// field left out, so a truth value it would carry is reported with it.
	dropped map[string]string
}

// recordPathRE reads the record type index and field of a validation path.
var recordPathRE = regexp.MustCompile(`^pages\.([^.]+)\.records\[(\d+)\]\.fields\.(.+?)(\.(selector|parser|regex|group|scope|join|attr|from|default))?$`)

// loadSite parses a site file written to the issue 13 contract. Where the
// validator refuses only a field the contract says it will accept (the
// contract's new field names), that field is left out and listed in
// pending; any other error (a v2 mirror without archived: true, an
// attribute without a parser, a bad selector) is returned.
func loadSite(path string) (*loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l := &loaded{file: path, dropped: map[string]string{}}
	for round := 0; round < 8; round++ {
		out, err := yaml.Marshal(&doc)
		if err != nil {
			return nil, err
		}
		site, err := pipeline.Parse(path, out)
		if err == nil {
			l.site = site
			return l, nil
		}
		var errs pipeline.Errors
		if !errors.As(err, &errs) {
			return nil, err
		}
		var fatal []string
		for _, e := range errs {
			pe, ok := e.(*pipeline.Error)
			if !ok || !l.tolerate(&doc, pe) {
				fatal = append(fatal, e.Error())
			}
		}
		if len(fatal) > 0 {
			return nil, fmt.Errorf("site file errors not covered by the contract:\n%s", strings.Join(fatal, "\n"))
		}
	}
	return nil, fmt.Errorf("%s: still invalid after leaving out what the validator refuses", path)
}

// tolerate leaves out (in doc) what e refuses when it is a pending part of
// the contract, notes it and reports true; false for any other error.
func (l *loaded) tolerate(doc *yaml.Node, e *pipeline.Error) bool {
	where := fmt.Sprintf("%s:%d", filepath.Base(l.file), l.lineOf(e))
	m := recordPathRE.FindStringSubmatch(e.Path)
	if m == nil {
		return false
	}
	field := m[3]
	typ := l.recordType(doc, m[1], m[2])
	if !slices.Contains(contractFields[typ], field) || !strings.HasPrefix(e.Msg, "unknown field") {
		return false
	}
	if deleteAt(doc, "pages."+m[1]+".records["+m[2]+"].fields."+field) {
		l.pending = append(l.pending, fmt.Sprintf("%s: %s.%s refused: %s", where, typ, field, e.Msg))
		l.dropped[typ+"."+field] = "extraction: the validator on this branch does not accept the contract's " + typ + " field " + field + " yet (" + where + ")"
	}
	return true
}

// lineOf is e's line in the site file as written (the validator sees a
// re-marshalled copy, whose lines differ).
func (l *loaded) lineOf(e *pipeline.Error) int {
	data, err := os.ReadFile(l.file)
	if err != nil {
		return e.Line
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return e.Line
	}
	p := strings.TrimSuffix(e.Path, ".selector")
	for p != "" {
		if n := nodeAt(&doc, p); n != nil {
			return n.Line
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return e.Line
}

// recordType is the type: of record idx of page kind page in doc.
func (l *loaded) recordType(doc *yaml.Node, page, idx string) string {
	n := nodeAt(doc, "pages."+page+".records["+idx+"].type")
	if n == nil {
		return ""
	}
	return n.Value
}

// pathRE splits a validation path into keys and indexes; a key may hold
// dots only as the last component (attributes.<key>).
var pathRE = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// locate finds the node at path and its parent mapping (or sequence) and
// the index of its key (or element) there.
func locate(doc *yaml.Node, path string) (parent *yaml.Node, at int, n *yaml.Node) {
	cur := doc
	if cur.Kind == yaml.DocumentNode && len(cur.Content) > 0 {
		cur = cur.Content[0]
	}
	rest := path
	for rest != "" {
		rest = strings.TrimPrefix(rest, ".")
		switch cur.Kind {
		case yaml.SequenceNode:
			m := pathRE.FindStringSubmatch(rest)
			if m == nil || m[2] == "" || !strings.HasPrefix(rest, "["+m[2]+"]") {
				return nil, 0, nil
			}
			i, _ := strconv.Atoi(m[2])
			if i >= len(cur.Content) {
				return nil, 0, nil
			}
			parent, at, cur = cur, i, cur.Content[i]
			rest = rest[len(m[0]):]
		case yaml.MappingNode:
			found := false
			// The longest key that rest starts with wins, so a field
			// named "attributes.x" is one key.
			best := -1
			for i := 0; i+1 < len(cur.Content); i += 2 {
				k := cur.Content[i].Value
				if rest == k || strings.HasPrefix(rest, k+".") || strings.HasPrefix(rest, k+"[") {
					if best < 0 || len(k) > len(cur.Content[best].Value) {
						best = i
					}
				}
			}
			if best >= 0 {
				found = true
				parent, at = cur, best
				rest = rest[len(cur.Content[best].Value):]
				cur = cur.Content[best+1]
			}
			if !found {
				return nil, 0, nil
			}
		default:
			return nil, 0, nil
		}
	}
	return parent, at, cur
}

func nodeAt(doc *yaml.Node, path string) *yaml.Node {
	_, _, n := locate(doc, path)
	return n
}

// deleteAt removes the mapping entry (or sequence element) at path.
func deleteAt(doc *yaml.Node, path string) bool {
	parent, at, n := locate(doc, path)
	if n == nil || parent == nil {
		return false
	}
	switch parent.Kind {
	case yaml.MappingNode:
		parent.Content = append(parent.Content[:at], parent.Content[at+2:]...)
	case yaml.SequenceNode:
		parent.Content = append(parent.Content[:at], parent.Content[at+1:]...)
	default:
		return false
	}
	return true
}
