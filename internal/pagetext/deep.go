package pagetext

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// MaxDepth is the deepest nesting of elements Flatten keeps. The HTML
// parser refuses a document whose stack of open elements passes 512; a page
// with 520 unclosed <div> in one listing's description would otherwise
// yield nothing (a seller could hide a listing that way), and the evidence
// viewer could not show it.
const MaxDepth = 256

// Parse parses a decoded page with opts; a page nested too deep for the
// parser is parsed again after Flatten, and closed counts the elements
// Flatten closed early. Extraction and the evidence viewer both parse
// through it.
func Parse(body []byte, opts ...html.ParseOption) (doc *html.Node, closed int, err error) {
	doc, err = html.ParseWithOptions(bytes.NewReader(body), opts...)
	if err == nil || !strings.Contains(err.Error(), "open stack of elements") {
		return doc, 0, err
	}
	flat, closed := Flatten(body)
	doc, err = html.ParseWithOptions(bytes.NewReader(flat), opts...)
	return doc, closed, err
}

// Flatten rewrites a page so that no element opens deeper than MaxDepth:
// before a start tag that would go deeper, the innermost half of the open
// elements are closed (their end tags written), so the page keeps its text
// and every later element, nested where a browser would put it but less
// deep. It returns how many elements it closed early.
func Flatten(body []byte) ([]byte, int) {
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
			if len(open) >= MaxDepth {
				keep := MaxDepth / 2
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
