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
	comb    byte
	tag     string
	classes []string
	ids     []string
}

// parseSimple reads sel as compounds of type, class and id selectors joined
// by white space or '>', exactly as cascadia reads them; it returns nil for
// anything else (groups, '+', '~', '*', attributes, pseudo-classes,
// escapes, comments, non-ASCII names), which cascadia evaluates.
func parseSimple(sel string) []compound {
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
		for i < len(sel) && (sel[i] == '.' || sel[i] == '#') {
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
		case sel[j] == '>':
			comb = '>'
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
// matching n itself: cascadia's descendant and child matching.
func matchSimple(cs []compound, k int, n *html.Node) bool {
	if !cs[k].match(n) {
		return false
	}
	if k == 0 {
		return true
	}
	if cs[k].comb == '>' {
		return n.Parent != nil && matchSimple(cs, k-1, n.Parent)
	}
	for p := n.Parent; p != nil; p = p.Parent {
		if matchSimple(cs, k-1, p) {
			return true
		}
	}
	return false
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
