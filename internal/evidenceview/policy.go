package evidenceview

import "strings"

// What Sanitize keeps, drops and turns into text. Element and attribute
// names are lowercase, as the HTML parser gives them.

// kept are the elements written as they are (with only the attributes
// allowed below): text, structure and tables, nothing that loads, runs or
// submits.
var kept = map[string]bool{
	"abbr": true, "address": true, "article": true, "aside": true, "b": true, "bdi": true, "bdo": true,
	"big": true, "blockquote": true, "br": true, "caption": true, "center": true, "cite": true, "code": true,
	"col": true, "colgroup": true, "data": true, "dd": true, "del": true, "details": true, "dfn": true,
	"div": true, "dl": true, "dt": true, "em": true, "figcaption": true, "figure": true, "footer": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "header": true, "hgroup": true,
	"hr": true, "i": true, "ins": true, "kbd": true, "label": true, "legend": true, "fieldset": true,
	"li": true, "main": true, "mark": true, "nav": true, "ol": true, "p": true, "pre": true, "q": true,
	"rp": true, "rt": true, "ruby": true, "s": true, "samp": true, "section": true, "small": true,
	"span": true, "strike": true, "strong": true, "sub": true, "summary": true, "sup": true,
	"table": true, "tbody": true, "td": true, "tfoot": true, "th": true, "thead": true, "time": true,
	"tr": true, "tt": true, "u": true, "ul": true, "var": true, "wbr": true,
}

// void are the kept elements with no end tag.
var void = map[string]bool{"br": true, "col": true, "hr": true, "wbr": true}

// removed are the elements dropped with everything inside them: they run,
// load, embed another document, or hold markup of another language. Those
// in placeholder leave a line of inert text saying what was there.
var removed = map[string]bool{
	"script": true, "style": true, "template": true, "iframe": true, "frame": true, "frameset": true,
	"object": true, "embed": true, "applet": true, "noembed": true, "noframes": true, "svg": true,
	"math": true, "link": true, "meta": true, "base": true, "audio": true, "video": true, "source": true,
	"track": true, "canvas": true, "param": true, "portal": true, "map": true, "area": true,
	"head": true, "title": true, "slot": true, "fencedframe": true, "bgsound": true, "image": true,
}

var placeholder = map[string]bool{
	"iframe": true, "frame": true, "object": true, "embed": true, "applet": true, "audio": true,
	"video": true, "canvas": true, "svg": true, "math": true, "portal": true, "fencedframe": true,
}

// asText are raw-text elements whose content is shown as preformatted
// text: the text is evidence, the element is not written.
var asText = map[string]bool{"textarea": true, "xmp": true, "plaintext": true, "listing": true}

// globalAttrs may appear on any kept element; their values are text.
var globalAttrs = map[string]bool{"title": true, "lang": true}

// elementAttrs are the other attributes kept, by element, each checked by
// its validator.
var elementAttrs = map[string]map[string]func(string) bool{
	"td":       {"colspan": span, "rowspan": span},
	"th":       {"colspan": span, "rowspan": span, "scope": oneOf("row", "col", "rowgroup", "colgroup")},
	"col":      {"span": span},
	"colgroup": {"span": span},
	"ol":       {"start": integer, "reversed": empty, "type": oneOf("1", "a", "A", "i", "I")},
	"li":       {"value": integer},
	"time":     {"datetime": plain},
	"del":      {"datetime": plain},
	"ins":      {"datetime": plain},
	"data":     {"value": plain},
	"details":  {"open": empty},
	"abbr":     {},
}

// dirValues are the values of dir kept on any element.
var dirValues = oneOf("ltr", "rtl", "auto")

// urlAttrs are attributes that make a browser fetch or navigate; on an
// element that is written their value is shown as inert text instead.
var urlAttrs = map[string]string{
	"src": "source", "href": "link", "srcset": "image set", "background": "background",
	"poster": "poster", "cite": "cited", "action": "form action", "formaction": "form action",
	"data": "data", "longdesc": "description", "lowsrc": "image", "dynsrc": "video",
	"ping": "ping", "codebase": "code base", "archive": "archive", "manifest": "manifest",
	"xlink:href": "link", "usemap": "image map", "profile": "profile", "icon": "icon",
}

// span accepts a column or row span: 1 to 4 digits.
func span(v string) bool {
	if len(v) == 0 || len(v) > 4 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// integer accepts a decimal integer of at most 9 digits.
func integer(v string) bool {
	v = strings.TrimPrefix(v, "-")
	if len(v) == 0 || len(v) > 9 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// empty accepts a boolean attribute's value (its name, or nothing).
func empty(v string) bool { return v == "" || len(v) < 16 && plain(v) }

// plain accepts short values of letters, digits and date punctuation.
func plain(v string) bool {
	if len(v) > 64 {
		return false
	}
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '-' || c == ':' || c == '.' || c == '+' || c == ' ' || c == 'T' || c == 'Z':
		default:
			return false
		}
	}
	return true
}

func oneOf(vals ...string) func(string) bool {
	return func(v string) bool {
		for _, w := range vals {
			if v == w {
				return true
			}
		}
		return false
	}
}
