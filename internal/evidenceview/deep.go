package evidenceview

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// flattenDepth is the deepest nesting flatten keeps. The HTML parser
// refuses a document whose stack of open elements passes 512; a page built
// that way must still be shown, not refused.
const flattenDepth = 256

// parse parses a decoded page with scripting disabled; a page nested too
// deep for the parser is parsed again after flatten, and closed counts the
// elements flatten closed early. (internal/pipeline does the same for
// extraction; its flatten is unexported.)
func parse(page []byte) (doc *html.Node, closed int, err error) {
	doc, err = html.ParseWithOptions(bytes.NewReader(page), html.ParseOptionEnableScripting(false))
	if err == nil || !strings.Contains(err.Error(), "open stack of elements") {
		return doc, 0, err
	}
	flat, closed := flatten(page)
	doc, err = html.ParseWithOptions(bytes.NewReader(flat), html.ParseOptionEnableScripting(false))
	return doc, closed, err
}

// flatten rewrites a page so that no element opens deeper than
// flattenDepth: before a start tag that would go deeper, the innermost half
// of the open elements are closed (their end tags written), so the page
// keeps its text and every later element, less deep. It only adds end
// tags; Sanitize's rules apply to the tree parsed from its result.
func flatten(body []byte) ([]byte, int) {
	z := html.NewTokenizer(bytes.NewReader(body))
	var out bytes.Buffer
	out.Grow(len(body) + len(body)/4)
	var open []string // tag names opened and not yet closed, innermost last
	closed := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		switch tt {
		case html.StartTagToken:
			name, _ := z.TagName()
			n := string(name)
			if voidElement(n) {
				break
			}
			if len(open) >= flattenDepth {
				keep := flattenDepth / 2
				for i := len(open) - 1; i >= keep; i-- {
					out.WriteString("</" + open[i] + ">")
				}
				closed += len(open) - keep
				open = open[:keep]
			}
			open = append(open, n)
		case html.EndTagToken:
			name, _ := z.TagName()
			n := string(name)
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == n {
					open = open[:i]
					break
				}
			}
		}
		out.Write(raw)
	}
	return out.Bytes(), closed
}

// voidElement reports elements that never hold content (<br>, <img> ...).
func voidElement(name string) bool {
	switch atom.Lookup([]byte(name)) {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr, atom.Keygen:
		return true
	}
	return false
}
