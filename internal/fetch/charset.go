package fetch

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// Charset flags, kept in Page.CharsetFlag when a body's encoding was not
// what it said or was not said at all.
const (
	// CharsetGuessed: no charset was declared and the body is not UTF-8; it
	// is decoded as windows-1252, the WHATWG default.
	CharsetGuessed = "guessed"
	// CharsetUnknown: the declared charset is not one this build knows; the
	// body is decoded as detected instead.
	CharsetUnknown = "unknown"
	// CharsetInvalid: the body claims UTF-8 but is not valid UTF-8; invalid
	// bytes decode to U+FFFD.
	CharsetInvalid = "invalid"
)

// metaCharset finds a charset declaration in the first KiB of markup.
var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset`)

// detectCharset names the encoding of body, as the Content-Type header, a
// byte-order mark or a <meta> declaration says, or as sniffed; flag is ""
// when it was declared and matches.
func detectCharset(body []byte, contentType string) (name, flag string) {
	if len(body) == 0 {
		return "utf-8", ""
	}
	_, name, certain := charset.DetermineEncoding(body, contentType)
	declared := certain
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if label, ok := params["charset"]; ok {
			if e, _ := charset.Lookup(label); e == nil {
				flag = CharsetUnknown
			}
			declared = true
		}
	}
	if !declared && metaCharset.Match(body[:min(len(body), 1024)]) {
		declared = true
	}
	switch {
	case flag != "":
	case name == "utf-8" && !utf8.Valid(body):
		flag = CharsetInvalid
	case !declared && name != "utf-8":
		flag = CharsetGuessed
	}
	return name, flag
}

// Text returns the body decoded to UTF-8 from Charset. A UTF-8 body is
// returned as is when valid, with invalid bytes replaced by U+FFFD
// otherwise. The result is at most three times the body's length.
func (p *Page) Text() ([]byte, error) {
	name := p.Charset
	if name == "" || strings.EqualFold(name, "utf-8") {
		if utf8.Valid(p.Body) {
			return p.Body, nil
		}
		return bytes.ToValidUTF8(p.Body, []byte("\uFFFD")), nil
	}
	e, _ := charset.Lookup(name)
	if e == nil {
		return nil, fmt.Errorf("decoding %s: %w: charset %q", p.URL, ErrEncoding, name)
	}
	out, _, err := transform.Bytes(e.NewDecoder(), p.Body)
	if err != nil {
		return nil, fmt.Errorf("decoding %s from %s: %w: %w", p.URL, name, ErrEncoding, err)
	}
	return out, nil
}
