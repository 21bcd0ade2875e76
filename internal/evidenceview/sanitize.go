package evidenceview

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// Limits of Sanitize.
const (
	// MaxPage is the largest page Sanitize reads (fetch keeps pages far
	// smaller; a capture larger than this is refused, not cut).
	MaxPage = 32 << 20
	// MaxDepth is how deep elements are written; deeper ones are written
	// as their content only (counted in Report.Flattened). Browsers cap
	// nesting themselves (Chromium at 512).
	MaxDepth = 200
	// MaxRefs is how many references Report.Refs lists.
	MaxRefs = 1000

	maxRefText   = 300  // characters of a URL shown as text
	maxAttrText  = 1000 // characters of a title attribute kept
	maxTitleText = 1000 // characters of Report.Title
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrTooLarge marks a page larger than MaxPage.
	ErrTooLarge = errors.New("page too large to show")
	// ErrUnsupported marks a capture that is not text (an image, an
	// archive): it can be downloaded, not shown.
	ErrUnsupported = errors.New("capture is not a page that can be shown")
)

// Report says what Sanitize did to a page.
type Report struct {
	// ContentType is the media type the page was read as; Charset the
	// encoding it was decoded from.
	ContentType string
	Charset     string
	// Title is the text of the page's <title>.
	Title string
	// Removed counts the elements dropped with all they held, by name
	// ("script", "iframe", "style", "#comment"; "svg" and "math" for foreign
	// content).
	Removed map[string]int
	// Unwrapped counts the elements not written whose content was kept
	// (form, noscript, font, custom elements), by name.
	Unwrapped map[string]int
	// Attributes counts the attributes dropped, by name ("onload",
	// "style", "class").
	Attributes map[string]int
	// Inert counts references (src, href, srcset, background, url(), ...)
	// shown as text or listed in Refs instead of being fetched or followed.
	Inert int
	// Refs lists up to MaxRefs of those references ("image: https://...");
	// RefsOmitted counts the rest.
	Refs        []string
	RefsOmitted int
	// ScriptRefs counts the javascript: and vbscript: references among them.
	ScriptRefs int
	// Flattened counts elements nested too deep: written as their content
	// only (past MaxDepth) or closed early so the parser could read the
	// page at all (past 256 open elements).
	Flattened int
}

// Scripts returns how many scripts the page carried: script elements,
// event handler attributes and javascript: references.
func (r Report) Scripts() int {
	n := r.Removed["script"]
	for name, c := range r.Attributes {
		if strings.HasPrefix(name, "on") {
			n += c
		}
	}
	return n + r.ScriptRefs
}

// Summary is one line saying what was removed, for the evidence page.
func (r Report) Summary() string {
	var parts []string
	add := func(what string, m map[string]int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %s ×%d", what, k, m[k]))
		}
	}
	add("element", r.Removed)
	add("attribute", r.Attributes)
	if r.Inert > 0 {
		parts = append(parts, fmt.Sprintf("%d references shown as text", r.Inert))
	}
	if r.Flattened > 0 {
		parts = append(parts, fmt.Sprintf("%d elements nested deeper than %d shown as their text", r.Flattened, MaxDepth))
	}
	if len(parts) == 0 {
		return "nothing removed"
	}
	return "removed: " + strings.Join(parts, ", ")
}

func newReport() Report {
	return Report{Removed: map[string]int{}, Unwrapped: map[string]int{}, Attributes: map[string]int{}}
}

// Sanitize returns page as an HTML fragment safe to place inside a page of
// the console (see the package doc): text and structure kept, nothing that
// runs or fetches. contentType is the capture's Content-Type header ("" to
// sniff it). HTML is rewritten; other text (plain, JSON, XML, CSV) is shown
// preformatted; anything else is refused with ErrUnsupported, and a page
// larger than MaxPage with ErrTooLarge.
func Sanitize(page []byte, contentType string) ([]byte, Report, error) {
	rep := newReport()
	if len(page) > MaxPage {
		return nil, rep, fmt.Errorf("sanitizing page: %w: %d bytes, at most %d", ErrTooLarge, len(page), MaxPage)
	}
	media, _, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		media, _, _ = mime.ParseMediaType(http.DetectContentType(page))
		contentType = "" // its charset parameter, if any, is not to be trusted
	}
	rep.ContentType = media
	isHTML := media == "text/html" || media == "application/xhtml+xml"
	isText := strings.HasPrefix(media, "text/") || media == "application/json" || media == "application/xml" ||
		strings.HasSuffix(media, "+xml") || strings.HasSuffix(media, "+json")
	if !isHTML && !isText {
		return nil, rep, fmt.Errorf("sanitizing page: %w: %s", ErrUnsupported, media)
	}
	enc, name, _ := charset.DetermineEncoding(page, contentType)
	rep.Charset = name
	decoded, err := io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(page)))
	if err != nil {
		return nil, rep, fmt.Errorf("sanitizing page: decoding %s: %w", name, err)
	}
	decoded = bytes.ToValidUTF8(decoded, []byte("\uFFFD"))
	if !isHTML {
		var out bytes.Buffer
		out.WriteString(`<pre class="ev-text">`)
		out.WriteString(html.EscapeString(string(decoded)))
		out.WriteString("</pre>\n")
		return out.Bytes(), rep, nil
	}
	doc, closed, err := parse(decoded)
	if err != nil {
		return nil, rep, fmt.Errorf("sanitizing page: parsing: %w", err)
	}
	rep.Flattened = closed
	s := &sanitizer{rep: &rep, out: new(bytes.Buffer)}
	s.out.Grow(len(decoded))
	s.walk(doc)
	return s.out.Bytes(), rep, nil
}

// sanitizer writes the tree of one page.
type sanitizer struct {
	out   *bytes.Buffer
	rep   *Report
	depth int // elements written and still open
}

// step is one item of the walk: a node to visit, or text to write when an
// element closes (with whether the close ends a written element).
type step struct {
	n      *html.Node
	close  string
	opened bool
}

// walk writes the tree under root without recursion, so any nesting depth
// the parser produces is walked in bounded stack.
func (s *sanitizer) walk(root *html.Node) {
	stack := []step{{n: root}}
	for len(stack) > 0 {
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if st.n == nil {
			s.out.WriteString(st.close)
			if st.opened {
				s.depth--
			}
			continue
		}
		close, opened, children := s.visit(st.n)
		if close != "" || opened {
			stack = append(stack, step{close: close, opened: opened})
		}
		if children {
			for c := st.n.LastChild; c != nil; c = c.PrevSibling {
				stack = append(stack, step{n: c})
			}
		}
	}
}

// visit writes what comes before n's children and returns what to write
// after them, whether that closes a written element, and whether to walk
// the children at all.
func (s *sanitizer) visit(n *html.Node) (close string, opened, children bool) {
	switch n.Type {
	case html.DocumentNode:
		return "", false, true
	case html.TextNode:
		s.text(n.Data)
		return "", false, false
	case html.CommentNode:
		s.rep.Removed["#comment"]++
		return "", false, false
	case html.ElementNode:
		return s.element(n)
	default: // doctype, raw nodes the parser does not make
		return "", false, false
	}
}

func (s *sanitizer) text(t string) {
	s.out.WriteString(html.EscapeString(t))
}

// open writes a start tag with attrs (already escaped) unless the output is
// MaxDepth deep; it returns the end tag to write and whether it opened.
func (s *sanitizer) open(tag, attrs string) (string, bool) {
	if s.depth >= MaxDepth {
		s.rep.Flattened++
		return "", false
	}
	s.depth++
	s.out.WriteString("<" + tag + attrs + ">")
	return "</" + tag + ">", true
}

// ref writes a reference as inert text (when inline) and records it.
func (s *sanitizer) ref(label, url string, inline bool) {
	d := describeURL(url)
	text := label + ": " + d
	s.rep.Inert++
	if strings.HasPrefix(d, "script: ") {
		s.rep.ScriptRefs++
	}
	if len(s.rep.Refs) < MaxRefs {
		s.rep.Refs = append(s.rep.Refs, text)
	} else {
		s.rep.RefsOmitted++
	}
	if inline {
		s.out.WriteString(`<span class="ev-ref">[`)
		s.text(text)
		s.out.WriteString(`]</span>`)
	}
}

// describeURL returns a URL as text to show: data: URLs by type and size,
// javascript: ones marked as script, long ones cut with their length.
func describeURL(u string) string {
	u = strings.TrimSpace(u)
	// Browsers ignore tabs and newlines inside a scheme ("java\tscript:").
	squeezed := strings.ToLower(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, u))
	switch {
	case strings.HasPrefix(squeezed, "data:"):
		meta, _, _ := strings.Cut(u[5:], ",")
		return fmt.Sprintf("data: %s, %d bytes", cut(meta, 60), len(u))
	case strings.HasPrefix(squeezed, "javascript:") || strings.HasPrefix(squeezed, "vbscript:"):
		return "script: " + cut(u, maxRefText)
	}
	return cut(u, maxRefText)
}

// cut shortens s to n characters, saying how long it was.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return fmt.Sprintf("%s… (%d characters)", string(r[:n]), len(r))
}

// textOf returns the text under n, bounded to MaxPage bytes.
func textOf(n *html.Node) string {
	var b strings.Builder
	stack := []*html.Node{n}
	for len(stack) > 0 && b.Len() < MaxPage {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		for k := c.LastChild; k != nil; k = k.PrevSibling {
			stack = append(stack, k)
		}
	}
	return b.String()
}

// attr returns the value of n's attribute key and whether it has one.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}
