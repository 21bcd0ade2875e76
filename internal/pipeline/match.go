package pipeline

import (
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// matcher is a compiled selector and the element name its last compound
// selector requires ("" when it names none, or when the selector is a
// group): a node of another name cannot match, so most nodes of a page are
// ruled out by one string comparison before cascadia evaluates anything.
// The result is always the one cascadia alone gives (FuzzMatcher holds
// them equal).
//
// A selector made only of type, class and id selectors joined by descendant
// and child combinators (most selectors of site files) is evaluated by
// simple instead, without cascadia's interface calls and closures, with
// the same result.
type matcher struct {
	sel    cascadia.Matcher
	tag    string
	simple []compound // nil unless the selector is simple
}

// newMatcher wraps a selector that compiled from text (after rewriteHasChild).
func newMatcher(sel cascadia.Matcher, text string) *matcher {
	return &matcher{sel: sel, tag: lastTag(text), simple: parseSimple(text)}
}

// match reports whether m matches n. It is small enough to be inlined, so
// the nodes the element name rules out cost no call.
func (m *matcher) match(n *html.Node) bool {
	if m.tag != "" && (n.Type != html.ElementNode || n.Data != m.tag) {
		return false
	}
	return m.matchRest(n)
}

// matchRest is match past the element name.
func (m *matcher) matchRest(n *html.Node) bool {
	if m.simple != nil {
		return matchSimple(m.simple, len(m.simple)-1, n)
	}
	return m.sel.Match(n)
}

// elemOnly reports whether m can match element nodes only.
func (m *matcher) elemOnly() bool { return m.tag != "" || m.simple != nil }

// first returns the first descendant of n in document order that m
// matches, or nil (cascadia.Query).
func (m *matcher) first(n *html.Node) *html.Node {
	elemOnly := m.elemOnly()
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if elemOnly && c.Type != html.ElementNode && c.FirstChild == nil {
			continue // a text node cannot match
		}
		if m.match(c) {
			return c
		}
		if f := m.first(c); f != nil {
			return f
		}
	}
	return nil
}

// all appends the descendants of n that m matches to out, in document
// order (cascadia.QueryAll).
func (m *matcher) all(n *html.Node, out []*html.Node) []*html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if m.match(c) {
			out = append(out, c)
		}
		out = m.all(c, out)
	}
	return out
}

// lastTag returns the lower-case element name the last compound selector
// of sel requires, or "" when it requires none or sel is a group or uses
// anything this reading is not sure of (escapes, namespaces, non-ASCII
// names): "" only costs speed, never a match.
func lastTag(sel string) string {
	sel = strings.TrimSpace(sel)
	if strings.Contains(sel, "/*") {
		return "" // a comment is white space to cascadia
	}
	depth, start := 0, 0
	bad := scan(sel, func(i int, c byte, quoted bool) bool {
		switch {
		case quoted:
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case depth > 0:
		case c == ',' || c == '\\':
			return true
		case c == ' ' || c == '>' || c == '+' || c == '~' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			start = i + 1
		}
		return false
	}) >= 0
	if bad || start >= len(sel) {
		return ""
	}
	last := sel[start:]
	end := 0
	for end < len(last) && isNameByte(last[end], end == 0) {
		end++
	}
	if end == 0 || (end < len(last) && strings.IndexByte(".#[:", last[end]) < 0) {
		return ""
	}
	return intern(strings.ToLower(last[:end]))
}

// isNameByte reports an ASCII byte of an element name: a letter first, then
// letters, digits, '-' and '_'.
func isNameByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		return true
	case first:
		return false
	}
	return '0' <= c && c <= '9' || c == '-' || c == '_'
}

// docQuery is what one walk of a document finds for a page's rules: the
// elements of each record rule's item selector, and the link elements of
// the next rule and of the follow rules (each element once, for the first
// rule that matches it).
type docQuery struct {
	items  [][]*html.Node // per record rule; nil for a rule without item
	next   []linkMatch
	follow []linkMatch
}

// query walks doc once and evaluates every document-level selector of pg
// at each node, so a page with several record and link rules is searched
// once, not once per rule.
func query(doc *html.Node, pg *Page) *docQuery {
	q := &docQuery{items: make([][]*html.Node, len(pg.Records))}
	// Only elements can match a selector with an element name or of the
	// simple kind; another (cascadia's :contains) may match text nodes too.
	elemOnly := pg.Next == nil || pg.Next.sel.elemOnly()
	for i := range pg.Follow {
		elemOnly = elemOnly && pg.Follow[i].sel.elemOnly()
	}
	for i := range pg.Records {
		elemOnly = elemOnly && (pg.Records[i].item == nil || pg.Records[i].item.elemOnly())
	}
	// Iterative pre-order walk (document order) without recursion.
	for c := doc.FirstChild; c != nil; {
		if !elemOnly || c.Type == html.ElementNode {
			q.visit(c, pg)
		}
		if c.FirstChild != nil {
			c = c.FirstChild
			continue
		}
		for c != doc && c.NextSibling == nil {
			c = c.Parent
		}
		if c == doc {
			break
		}
		c = c.NextSibling
	}
	return q
}

// visit evaluates the document-level selectors of pg at node c.
func (q *docQuery) visit(c *html.Node, pg *Page) {
	if pg.Next != nil && pg.Next.sel.match(c) {
		q.next = append(q.next, linkMatch{c, pg.Next})
	}
	for i := range pg.Follow {
		if r := &pg.Follow[i]; r.sel.match(c) {
			q.follow = append(q.follow, linkMatch{c, r})
			break
		}
	}
	for i := range pg.Records {
		if r := &pg.Records[i]; r.item != nil && r.item.match(c) {
			q.items[i] = append(q.items[i], c)
		}
	}
}
