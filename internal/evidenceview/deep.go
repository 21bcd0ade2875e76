package evidenceview

import (
	"golang.org/x/net/html"

	"github.com/counternet/counternet/internal/pagetext"
)

// parse parses a decoded page with scripting disabled (so <noscript> is
// read as markup); a page nested too deep for the parser is parsed again
// flattened (pagetext.Parse), and closed counts the elements closed early.
func parse(page []byte) (doc *html.Node, closed int, err error) {
	return pagetext.Parse(page, html.ParseOptionEnableScripting(false))
}
