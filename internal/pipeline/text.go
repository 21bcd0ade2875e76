package pipeline

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// nodeValue is the value of element n: its text collapsed (attrName ""),
// its inner HTML ("html") or an attribute, collapsed.
func nodeValue(n *html.Node, attrName string) string {
	switch attrName {
	case "":
		if c := n.FirstChild; c != nil && c.NextSibling == nil && c.Type == html.TextNode && isCollapsed(c.Data) && !skippedAtom(n.DataAtom) {
			return c.Data // one text child with nothing to collapse
		}
		var t textCollapser
		t.node(n)
		if !t.invalid {
			return t.b.String()
		}
		// Bytes that are not UTF-8: split over two text nodes, they could
		// make a white space rune of the text as a whole.
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

// isCollapsed reports whether s is non-empty and collapse(s) == s: ASCII
// without leading, trailing or doubled spaces and no other white space.
func isCollapsed(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if notCollapsed[c] && (c != ' ' || prev == ' ') {
			return false
		}
		prev = c
	}
	return true
}

// notCollapsed are the bytes isCollapsed refuses: non-ASCII bytes and
// white space other than ' ' (and ' ', refused after another).
var notCollapsed = func() (t [256]bool) {
	for c := 0x80; c < 256; c++ {
		t[c] = true
	}
	for _, c := range "\t\n\v\f\r " {
		t[c] = true
	}
	return t
}()

// collapse collapses runs of white space to one space and trims.
func collapse(s string) string {
	if isCollapsedText(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isCollapsedText reports whether collapse(s) == s without building it:
// every white space rune (unicode.IsSpace, as strings.Fields reads it) is a
// single ' ' between two other runes.
func isCollapsedText(s string) bool {
	if isCollapsed(s) {
		return true // ASCII, read by bytes
	}
	prevSpace := true // no space may come first
	for _, r := range s {
		space := r == ' ' || (r >= 0x80 && unicode.IsSpace(r)) || (r < 0x80 && asciiSpace[r])
		switch {
		case !space:
			prevSpace = false
			continue
		case r != ' ', prevSpace:
			return false
		}
		prevSpace = true
	}
	return !prevSpace || s == ""
}

// asciiSpace are the ASCII runes unicode.IsSpace reports.
var asciiSpace = [0x80]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// breaking lists elements whose boundaries separate words in rendered text.
var breaking = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "br": true, "dd": true, "div": true,
	"dl": true, "dt": true, "fieldset": true, "figcaption": true, "figure": true, "footer": true, "form": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "header": true, "hr": true,
	"li": true, "main": true, "nav": true, "ol": true, "option": true, "p": true, "pre": true, "section": true,
	"table": true, "tbody": true, "td": true, "tfoot": true, "th": true, "thead": true, "tr": true, "ul": true,
}

// skippedAtom reports the elements of skipped by atom: cheaper than the
// map where most elements are not skipped.
func skippedAtom(a atom.Atom) bool {
	return a == atom.Script || a == atom.Style || a == atom.Noscript || a == atom.Template
}

// skipped lists elements whose contents are not page text.
var skipped = map[string]bool{"script": true, "style": true, "noscript": true, "template": true}

// textCollapser writes the text of nodes already collapsed, as collapse
// would give the text writeText wrote: runs of white space (what
// strings.Fields splits at) become one space, none at either end; bytes
// that are not valid UTF-8 are kept as they are. No intermediate string.
type textCollapser struct {
	b       strings.Builder
	pending bool // white space since the last word written
	invalid bool // the text has bytes that are not UTF-8
}

// node writes n's text: the contents of script and style left out, a
// space at the boundaries of breaking elements.
func (t *textCollapser) node(n *html.Node) {
	children, brk := textRole(n)
	if n.Type == html.TextNode {
		t.text(n.Data)
		return
	}
	if !children {
		return
	}
	t.pending = t.pending || brk
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.node(c)
	}
	t.pending = t.pending || brk
}

// text writes s, collapsing its white space.
func (t *textCollapser) text(s string) {
	start := -1 // start of the word being read
	for i := 0; i < len(s); {
		c, size := s[i], 1
		var space bool
		if c < utf8.RuneSelf {
			space = asciiSpace[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
			t.invalid = t.invalid || (r == utf8.RuneError && size == 1)
		}
		switch {
		case space && start >= 0:
			t.word(s[start:i])
			start = -1
			t.pending = true
		case space:
			t.pending = true
		case start < 0:
			start = i
		}
		i += size
	}
	if start >= 0 {
		t.word(s[start:])
	}
}

// word writes (part of) a word, after one space when white space came
// before it and anything was written.
func (t *textCollapser) word(w string) {
	if t.pending && t.b.Len() > 0 {
		t.b.WriteByte(' ')
	}
	t.pending = false
	t.b.WriteString(w)
}

// textRole says how n counts in the text of an element holding it:
// children reports that its children's text is part of it (a document, an
// element other than script and style), brk that n is an element that
// breaks the text (a space at its boundaries). A text node is its own
// text; any other node counts for nothing.
func textRole(n *html.Node) (children, brk bool) {
	switch n.Type {
	case html.DocumentNode:
		return true, false
	case html.ElementNode:
		return !skipped[n.Data], breaking[n.Data]
	}
	return false, false
}

// writeText writes n's text as it is, with a space at the boundaries of
// breaking elements (textCollapser writes it collapsed).
func writeText(b *strings.Builder, n *html.Node) {
	children, brk := textRole(n)
	if n.Type == html.TextNode {
		b.WriteString(n.Data)
		return
	}
	if !children {
		return
	}
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

// cells separate words on one line; every other breaking element starts a
// new line.
var cells = map[string]bool{"td": true, "th": true}

// textNewlines turns the newlines of markup text into spaces: in HTML they
// are white space, not line breaks (except inside <pre>).
var textNewlines = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// writeLines writes n's text with a newline at the boundaries of block
// elements and <br>; white space inside <pre> keeps its newlines.
func writeLines(b *strings.Builder, n *html.Node, pre bool) {
	switch n.Type {
	case html.TextNode:
		if pre {
			b.WriteString(n.Data)
		} else {
			textNewlines.WriteString(b, n.Data)
		}
		return
	case html.ElementNode:
		if skipped[n.Data] {
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	var sep byte
	if n.Type == html.ElementNode && breaking[n.Data] {
		sep = '\n'
		if cells[n.Data] {
			sep = ' '
		}
		b.WriteByte(sep)
	}
	pre = pre || (n.Type == html.ElementNode && (n.Data == "pre" || n.Data == "textarea"))
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeLines(b, c, pre)
	}
	if sep != 0 {
		b.WriteByte(sep)
	}
}

// collapseLines collapses white space within each line, drops empty lines
// and joins the rest with "\n".
func collapseLines(s string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if l := collapse(line); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
