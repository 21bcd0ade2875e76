package fetch

import (
	"fmt"

	"github.com/counternet/counternet/internal/pagetext"
)

// Charset flags, kept in Page.CharsetFlag when a body's encoding was not
// what it said or was not said at all (see package pagetext, the one
// decoding path of the crawler and the saved-page tools).
const (
	CharsetGuessed  = pagetext.FlagGuessed
	CharsetUnknown  = pagetext.FlagUnknown
	CharsetInvalid  = pagetext.FlagInvalid
	CharsetMismatch = pagetext.FlagMismatch
)

// detectCharset names the encoding of body (pagetext.Detect).
func detectCharset(body []byte, contentType string) (name, flag string) {
	return pagetext.Detect(body, contentType)
}

// Text returns the body decoded to UTF-8 from Charset (pagetext.Decode).
// The result is at most three times the body's length.
func (p *Page) Text() ([]byte, error) {
	out, err := pagetext.Decode(p.Body, p.Charset)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w: %w", p.URL, ErrEncoding, err)
	}
	return out, nil
}
