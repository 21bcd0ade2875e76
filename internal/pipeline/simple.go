package pipeline

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// intern returns s as the HTML parser spells the element and attribute
// names it knows (the same string, shared), so that comparing a node's
// name or an attribute's key with s finds equal pointers and stops there.
func intern(s string) string {
	if a := atom.Lookup([]byte(s)); a != 0 && a.String() == s {
		return a.String()
	}
	return s
}

// classKey and idKey are the attribute keys, interned.
var classKey, idKey = intern("class"), intern("id")

// compound is one compound selector of a simple selector: an optional
// element name, classes and ids, all required, and the combinator that
// joins it to the compound before it (' ' descendant, '>' child; 0 for the
// first).
type compound struct {
	comb     byte
	tag      string
	classes  []string
	ids      []string
	contains []string // :contains('...') values, lower-cased
}

// parseSimple reads sel as compounds of type, class and id selectors and
// :contains('text') (quoted, without escapes), joined by white space, '>',
// '+' or '~', exactly as cascadia reads them; it returns nil for anything
// else (groups, '*', attributes, other pseudo-classes, escapes, comments,
// non-ASCII names), which cascadia evaluates.
func parseSimple(sel string) []compound {
	if strings.Contains(sel, "/*") {
		return nil // a comment, which cascadia reads as white space
	}
	var out []compound
	i := skipSpace(sel, 0)
	comb := byte(0)
	for i < len(sel) {
		var c compound
		c.comb = comb
		if isNameByte(sel[i], true) {
			j := nameEnd(sel, i)
			c.tag = intern(strings.ToLower(sel[i:j]))
			i = j
		}
		for i < len(sel) && (sel[i] == '.' || sel[i] == '#' || sel[i] == ':') {
			if sel[i] == ':' {
				v, j, ok := parseContains(sel, i)
				if !ok {
					return nil
				}
				c.contains = append(c.contains, v)
				i = j
				continue
			}
			kind := sel[i]
			i++
			start := i
			if kind == '.' {
				// A class is an identifier: '-'s, then a letter or '_'.
				for i < len(sel) && sel[i] == '-' {
					i++
				}
				if i >= len(sel) || !(isNameByte(sel[i], true) || sel[i] == '_') {
					return nil
				}
			}
			j := nameEnd(sel, i)
			if j == start {
				return nil
			}
			if kind == '.' {
				c.classes = append(c.classes, sel[start:j])
			} else {
				c.ids = append(c.ids, sel[start:j])
			}
			i = j
		}
		if c.tag == "" && c.classes == nil && c.ids == nil {
			return nil
		}
		out = append(out, c)
		j := skipSpace(sel, i)
		switch {
		case j == len(sel):
			return out
		case sel[j] == '>' || sel[j] == '+' || sel[j] == '~':
			comb = sel[j]
			j = skipSpace(sel, j+1)
		case j > i:
			comb = ' '
		default:
			return nil // something else follows the compound
		}
		i = j
	}
	return nil // ends with a combinator
}

// parseContains reads :contains('text') or :contains("text") at sel[i:]
// as cascadia does (the name in any case, white space inside the
// parentheses) and returns the text lower-cased and where the selector
// goes on; ok is false for anything else, escapes and line breaks in the
// text included.
func parseContains(sel string, i int) (v string, next int, ok bool) {
	const name = ":contains("
	if len(sel) < i+len(name) || !strings.EqualFold(sel[i:i+len(name)], name) {
		return "", 0, false
	}
	i = skipSpace(sel, i+len(name))
	if i >= len(sel) || (sel[i] != '\'' && sel[i] != '"') {
		return "", 0, false
	}
	quote := sel[i]
	end := strings.IndexByte(sel[i+1:], quote)
	if end < 0 {
		return "", 0, false
	}
	text := sel[i+1 : i+1+end]
	if strings.ContainsAny(text, "\\\r\n\f") {
		return "", 0, false
	}
	j := skipSpace(sel, i+2+end)
	if j >= len(sel) || sel[j] != ')' {
		return "", 0, false
	}
	return strings.ToLower(text), j + 1, true
}

// nameEnd returns the end of the run of name bytes (letters, digits, '-',
// '_') that starts at i.
func nameEnd(s string, i int) int {
	for i < len(s) && isNameByte(s[i], false) {
		i++
	}
	return i
}

// skipSpace skips the white space cascadia skips between compounds.
func skipSpace(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \t\r\n\f", s[i]) >= 0 {
		i++
	}
	return i
}

// matchSimple reports whether n matches compounds cs[:k+1], the last one
// matching n itself: cascadia's descendant, child and sibling matching.
// Names, classes and ids are checked before the compounds to the left,
// and :contains, which reads the text of n, after them: a :contains on an
// ancestor is read only for ancestors the rest of the selector allows.
func matchSimple(cs []compound, k int, n *html.Node) bool {
	if !cs[k].match(n) {
		return false
	}
	if k > 0 && !matchLeft(cs, k, n) {
		return false
	}
	return cs[k].matchContains(n)
}

// matchLeft reports whether compounds cs[:k] match where cs[k].comb says,
// relative to n.
func matchLeft(cs []compound, k int, n *html.Node) bool {
	switch cs[k].comb {
	case '>':
		return n.Parent != nil && matchSimple(cs, k-1, n.Parent)
	case '+':
		// cascadia skips text and comments to the previous sibling.
		for p := n.PrevSibling; p != nil; p = p.PrevSibling {
			if p.Type != html.TextNode && p.Type != html.CommentNode {
				return matchSimple(cs, k-1, p)
			}
		}
		return false
	case '~':
		for p := n.PrevSibling; p != nil; p = p.PrevSibling {
			if matchSimple(cs, k-1, p) {
				return true
			}
		}
		return false
	}
	for p := n.Parent; p != nil; p = p.Parent {
		if matchSimple(cs, k-1, p) {
			return true
		}
	}
	return false
}

// matchContains reports whether the text of n (cascadia's: every text node
// below it, script included), lower-cased, holds every :contains value of c.
func (c *compound) matchContains(n *html.Node) bool {
	if c.contains == nil {
		return true
	}
	var b strings.Builder
	writeNodeText(&b, n)
	text := strings.ToLower(b.String())
	for _, v := range c.contains {
		if !strings.Contains(text, v) {
			return false
		}
	}
	return true
}

// writeNodeText writes the text nodes below n, as cascadia's :contains reads
// them.
func writeNodeText(b *strings.Builder, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(n.Data)
	case html.ElementNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			writeNodeText(b, c)
		}
	}
}

// match reports whether n is an element with c's name, classes and ids
// (small enough to be inlined: a node of another name costs no call).
func (c *compound) match(n *html.Node) bool {
	if n.Type != html.ElementNode || (c.tag != "" && n.Data != c.tag) {
		return false
	}
	return c.matchAttrs(n)
}

// matchAttrs reports whether element n has c's classes and ids.
func (c *compound) matchAttrs(n *html.Node) bool {
	for _, class := range c.classes {
		if !hasAttrWord(n, classKey, class) {
			return false
		}
	}
	for _, id := range c.ids {
		if !hasAttrValue(n, idKey, id) {
			return false
		}
	}
	return true
}

// hasAttrWord reports an attribute key (any namespace) whose value, split
// at HTML white space, holds word (not empty).
func hasAttrWord(n *html.Node, key, word string) bool {
	for _, a := range n.Attr {
		if a.Key != key {
			continue
		}
		v := a.Val
		if v == word {
			return true // the common case: one class
		}
		for i := 0; i+len(word) <= len(v); {
			k := strings.Index(v[i:], word)
			if k < 0 {
				break
			}
			s, e := i+k, i+k+len(word)
			if (s == 0 || isHTMLSpace(v[s-1])) && (e == len(v) || isHTMLSpace(v[e])) {
				return true
			}
			i = s + 1
		}
	}
	return false
}

// isHTMLSpace reports the white space that separates class names.
func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// hasAttrValue reports an attribute key (any namespace) whose value is val.
func hasAttrValue(n *html.Node, key, val string) bool {
	for _, a := range n.Attr {
		if a.Key == key && a.Val == val {
			return true
		}
	}
	return false
}
