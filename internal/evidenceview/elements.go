package evidenceview

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// noTextInside are the kept elements a browser would move inline text out
// of (foster parenting): references of their attributes go to Report.Refs
// only.
var noTextInside = map[string]bool{
	"table": true, "thead": true, "tbody": true, "tfoot": true, "tr": true, "colgroup": true, "col": true,
}

// element writes an element node (see visit for the results).
func (s *sanitizer) element(n *html.Node) (close string, opened, children bool) {
	name := n.Data
	if n.Namespace != "" {
		// SVG or MathML: markup of another language, with its own ways to
		// run script and load; dropped whole.
		s.rep.Removed[n.Namespace]++
		s.placeholder(n.Namespace, n)
		return "", false, false
	}
	switch {
	case name == "html" || name == "body":
		s.dropAttrs(n)
		return "", false, true
	case name == "head":
		s.head(n)
		return "", false, false
	case removed[name]:
		s.removed(n)
		return "", false, false
	case asText[name]:
		end, ok := s.open("pre", ` class="ev-control"`)
		s.text(textOf(n))
		s.out.WriteString(end)
		if ok {
			s.depth--
		}
		return "", false, false
	case name == "a":
		return s.link(n)
	case name == "img":
		s.image(n, "image")
		return "", false, false
	case name == "input":
		s.input(n)
		return "", false, false
	case name == "button":
		end, ok := s.open("span", ` class="ev-control"`)
		s.out.WriteString("[button: ")
		s.attrRefs(n, true)
		return "]" + end, ok, true
	case name == "select" || name == "datalist":
		return s.selectList(n)
	case name == "option" || name == "optgroup":
		return s.option(n)
	case kept[name]:
		return s.kept(n)
	default:
		// form, noscript, font, marquee, picture, custom elements: their
		// content is kept, the element is not.
		s.rep.Unwrapped[name]++
		s.attrRefs(n, true)
		s.dropAttrs(n)
		return "", false, true
	}
}

// kept writes an allowed element with its allowed attributes; the
// references among its other attributes become inert text inside it.
func (s *sanitizer) kept(n *html.Node) (string, bool, bool) {
	name := n.Data
	var attrs strings.Builder
	allowed := elementAttrs[name]
	for _, a := range n.Attr {
		key := attrKey(a)
		v := a.Val
		switch {
		case a.Namespace == "" && globalAttrs[key] && (key != "lang" || plain(v)):
			fmt.Fprintf(&attrs, ` %s="%s"`, key, html.EscapeString(cut(v, maxAttrText)))
		case a.Namespace == "" && key == "dir" && dirValues(v):
			fmt.Fprintf(&attrs, ` dir="%s"`, v)
		case a.Namespace == "" && allowed[key] != nil && allowed[key](v):
			fmt.Fprintf(&attrs, ` %s="%s"`, key, html.EscapeString(v))
		case urlAttrs[key] != "" || key == "style":
			// handled by attrRefs below
		default:
			s.rep.Attributes[key]++
		}
	}
	if void[name] {
		if s.depth < MaxDepth {
			s.out.WriteString("<" + name + attrs.String() + ">")
		} else {
			s.rep.Flattened++
		}
		s.attrRefs(n, !noTextInside[name])
		return "", false, false
	}
	end, ok := s.open(name, attrs.String())
	s.attrRefs(n, !noTextInside[name])
	return end, ok, true
}

func attrKey(a html.Attribute) string {
	if a.Namespace != "" {
		return a.Namespace + ":" + a.Key
	}
	return a.Key
}

// urlInCSS finds url(...) and @import "..." in CSS, quoted or not.
var urlInCSS = regexp.MustCompile(`(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')`)

// cssRefs records the URLs a piece of CSS would fetch.
func (s *sanitizer) cssRefs(css string, inline bool) {
	for _, m := range urlInCSS.FindAllStringSubmatch(css, -1) {
		for _, u := range m[1:] {
			if u != "" {
				s.ref("style url", u, inline)
				break
			}
		}
	}
}

// attrRefs shows the reference attributes of n (src, href, srcset,
// background, CSS url() in style, ...) as inert text, or only records them
// when inline is false (Report.Inert counts them; a style attribute is
// also counted as dropped).
func (s *sanitizer) attrRefs(n *html.Node, inline bool) {
	for _, a := range n.Attr {
		key := attrKey(a)
		if key == "style" {
			s.rep.Attributes["style"]++
			s.cssRefs(a.Val, inline)
			continue
		}
		label := urlAttrs[key]
		if label == "" {
			continue
		}
		if key == "src" && (n.Data == "img" || n.Data == "input") {
			label = "image source"
		}
		if strings.TrimSpace(a.Val) == "" {
			continue
		}
		if key == "srcset" {
			for _, c := range strings.Split(a.Val, ",") {
				if f := strings.Fields(c); len(f) > 0 {
					s.ref(label, f[0], inline)
				}
			}
			continue
		}
		s.ref(label, a.Val, inline)
	}
}

// dropAttrs counts n's attributes other than references as dropped.
func (s *sanitizer) dropAttrs(n *html.Node) {
	for _, a := range n.Attr {
		key := attrKey(a)
		if urlAttrs[key] == "" && key != "style" {
			s.rep.Attributes[key]++
		}
	}
}

// head records the title and counts what the head held; none of it is
// written.
func (s *sanitizer) head(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.ElementNode && c.Data == "title" && c.Namespace == "":
			if s.rep.Title == "" {
				s.rep.Title = cut(strings.Join(strings.Fields(textOf(c)), " "), maxTitleText)
			}
		case c.Type == html.ElementNode:
			s.removed(c)
		case c.Type == html.CommentNode:
			s.rep.Removed["#comment"]++
		}
	}
}

// removed counts an element dropped with its content and records what it
// referred to; frames and embeds leave a placeholder.
func (s *sanitizer) removed(n *html.Node) {
	name := n.Data
	if name == "meta" {
		if v, _ := attr(n, "http-equiv"); strings.EqualFold(strings.TrimSpace(v), "refresh") {
			name = "meta refresh"
			if c, _ := attr(n, "content"); c != "" {
				s.ref("refresh", c, false)
			}
		}
	}
	s.rep.Removed[name]++
	if name == "style" {
		s.cssRefs(textOf(n), false)
	}
	for _, a := range n.Attr {
		key := attrKey(a)
		if strings.HasPrefix(key, "on") {
			s.rep.Attributes[key]++
		}
	}
	if placeholder[name] {
		s.placeholder(name, n)
		return
	}
	s.attrRefs(n, false)
}

// placeholder writes "[iframe removed: <what it loaded>]" as inert text.
func (s *sanitizer) placeholder(what string, n *html.Node) {
	s.out.WriteString(`<span class="ev-ref">[`)
	s.text(what + " removed")
	s.out.WriteString(`]</span>`)
	if v, ok := attr(n, "srcdoc"); ok {
		s.ref("srcdoc", fmt.Sprintf("inline document of %d bytes", len(v)), true)
	}
	s.attrRefs(n, true)
}

// link writes an a element as its content in a span followed by its target
// as inert text.
func (s *sanitizer) link(n *html.Node) (string, bool, bool) {
	for _, a := range n.Attr {
		if k := attrKey(a); urlAttrs[k] == "" && k != "style" && k != "title" {
			s.rep.Attributes[k]++
		}
	}
	attrs := ` class="ev-link"`
	if t, ok := attr(n, "title"); ok {
		attrs += ` title="` + html.EscapeString(cut(t, maxAttrText)) + `"`
	}
	end, ok := s.open("span", attrs)
	// The target follows the link text: written by the close step.
	saved := s.out
	s.out = new(bytes.Buffer)
	s.attrRefs(n, true)
	after := s.out.String()
	s.out = saved
	return end + after, ok, true
}

// image writes an img as inert text: its alt text and what it would load.
func (s *sanitizer) image(n *html.Node, label string) {
	s.rep.Removed["img"]++
	for _, a := range n.Attr {
		if k := attrKey(a); urlAttrs[k] == "" && k != "style" && k != "alt" && k != "title" {
			s.rep.Attributes[k]++
		}
	}
	alt, _ := attr(n, "alt")
	s.out.WriteString(`<span class="ev-ref">[`)
	s.text(label)
	if alt = strings.TrimSpace(alt); alt != "" {
		s.text(": " + cut(alt, maxAttrText))
	}
	s.out.WriteString(`]</span>`)
	s.attrRefs(n, true)
}

// input writes a form field as text: its type, name, value and state.
func (s *sanitizer) input(n *html.Node) {
	typ, _ := attr(n, "type")
	typ = strings.ToLower(strings.TrimSpace(typ))
	if typ == "image" {
		s.image(n, "image button")
		return
	}
	if typ == "" {
		typ = "text"
	}
	desc := "input " + typ
	for _, k := range []string{"name", "value", "placeholder"} {
		if v, ok := attr(n, k); ok {
			desc += fmt.Sprintf(" %s=%q", k, cut(v, maxAttrText))
		}
	}
	for _, k := range []string{"checked", "disabled", "readonly"} {
		if _, ok := attr(n, k); ok {
			desc += " " + k
		}
	}
	for _, a := range n.Attr {
		switch k := attrKey(a); k {
		case "type", "name", "value", "placeholder", "checked", "disabled", "readonly":
		default:
			if urlAttrs[k] == "" && k != "style" {
				s.rep.Attributes[k]++
			}
		}
	}
	s.rep.Removed["input"]++
	s.out.WriteString(`<span class="ev-control">[`)
	s.text(desc)
	s.out.WriteString(`]</span>`)
	s.attrRefs(n, true)
}

// selectList writes a select (or datalist) as its name and a list of its
// options: the choices a market offers (shipping, quantities) are
// evidence.
func (s *sanitizer) selectList(n *html.Node) (string, bool, bool) {
	s.rep.Removed[n.Data]++
	s.dropAttrs(n)
	name, _ := attr(n, "name")
	s.out.WriteString(`<span class="ev-control">[`)
	s.text(strings.TrimSpace(n.Data + " " + cut(name, maxAttrText)))
	s.out.WriteString(`]</span>`)
	end, ok := s.open("ul", ` class="ev-options"`)
	return end, ok, true
}

// option writes an option as a list item (marked when selected), an
// optgroup as an item holding its label and a list of its options. Outside
// a select they are written the same way, inside a list of their own.
func (s *sanitizer) option(n *html.Node) (string, bool, bool) {
	inList := n.Parent != nil && (n.Parent.Data == "select" || n.Parent.Data == "datalist" || n.Parent.Data == "optgroup") && n.Parent.Namespace == ""
	for _, a := range n.Attr {
		switch k := attrKey(a); k {
		case "value", "selected", "label":
		default:
			if urlAttrs[k] == "" && k != "style" {
				s.rep.Attributes[k]++
			}
		}
	}
	outer := ""
	if !inList {
		e, ok := s.open("ul", ` class="ev-options"`)
		if ok {
			s.depth-- // closed by this element's close text
		}
		outer = e
	}
	end, ok := s.open("li", "")
	if n.Data == "optgroup" {
		label, _ := attr(n, "label")
		s.text(cut(label, maxAttrText))
		inner, ok2 := s.open("ul", ` class="ev-options"`)
		if ok2 {
			s.depth--
		}
		end = inner + end
	} else {
		if _, sel := attr(n, "selected"); sel {
			s.text("(selected) ")
		}
		if v, has := attr(n, "value"); has && strings.TrimSpace(v) != strings.TrimSpace(textOf(n)) {
			s.text("[value " + fmt.Sprintf("%q", cut(v, maxAttrText)) + "] ")
		}
	}
	return end + outer, ok, true
}
