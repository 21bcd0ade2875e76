// Package pagetext decodes a fetched page's bytes to UTF-8 text. It is the
// one decoding path of counternet: the crawler, `pipeline extract` and
// `pipeline test` all call it, so an operator checking a saved page sees the
// text the crawler extracts from.
//
// The rule: a byte-order mark decides; a body that is valid UTF-8 and holds
// non-ASCII bytes is UTF-8 whatever its declaration says (a declaration of
// ISO-8859-1 on a UTF-8 page is a common server default, and windows-1252
// would garble every umlaut, emoji and "฿"); otherwise the declared charset
// (Content-Type header, then a <meta> in the first KiB) is used; with no
// declaration an undecodable body is read as windows-1252, the WHATWG
// default, and flagged as guessed. Nothing is decided from the first KiB
// alone: a page whose first KiB is ASCII is still read whole.
package pagetext

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// Flags, kept beside the charset when a body's encoding was not what it
// said or was not said at all.
const (
	// FlagGuessed: no charset was declared and the body is not UTF-8; it is
	// decoded as windows-1252.
	FlagGuessed = "guessed"
	// FlagUnknown: the declared charset is not one this build knows.
	FlagUnknown = "unknown"
	// FlagInvalid: the body claims UTF-8 (or nothing else fits) but is not
	// valid UTF-8; invalid bytes decode to U+FFFD.
	FlagInvalid = "invalid"
	// FlagMismatch: the body declares another charset but is valid UTF-8
	// with non-ASCII text; it is decoded as UTF-8.
	FlagMismatch = "mismatch"
)

// ErrEncoding marks a body that could not be decoded.
var ErrEncoding = errors.New("cannot decode page text")

// Detect names the encoding of body given the Content-Type it came with
// (empty when unknown), and a flag ("" when the declaration, if any, holds).
func Detect(body []byte, contentType string) (name, flag string) {
	if len(body) == 0 {
		return "utf-8", ""
	}
	if e := bomEncoding(body); e != "" {
		return e, ""
	}
	declared, known := declaredCharset(body, contentType)
	switch {
	case utf8.Valid(body):
		if declared != "" && known == "" {
			return "utf-8", FlagUnknown
		}
		if !hasNonASCII(body) {
			if declared != "" && known != "" && isASCIICompatible(known) {
				return known, ""
			}
			return "utf-8", ""
		}
		if declared != "" && known != "utf-8" {
			return "utf-8", FlagMismatch
		}
		return "utf-8", ""
	case declared != "" && known == "":
		return "windows-1252", FlagUnknown
	case known == "utf-8":
		return "utf-8", FlagInvalid
	case known != "":
		return known, ""
	}
	return "windows-1252", FlagGuessed
}

// Decode returns body as UTF-8 text read as charset name (as Detect gave
// it). A UTF-8 body is returned as is when valid, with invalid bytes
// replaced by U+FFFD otherwise. The result is at most three times the
// body's length.
func Decode(body []byte, name string) ([]byte, error) {
	if name == "" || strings.EqualFold(name, "utf-8") {
		if utf8.Valid(body) {
			return body, nil
		}
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), nil
	}
	e, _ := charset.Lookup(name)
	if e == nil {
		return nil, fmt.Errorf("%w: charset %q", ErrEncoding, name)
	}
	out, _, err := transform.Bytes(e.NewDecoder(), body)
	if err != nil {
		return nil, fmt.Errorf("%w from %s: %w", ErrEncoding, name, err)
	}
	return out, nil
}

// Text detects and decodes in one step: what the crawler and the saved-page
// tools use.
func Text(body []byte, contentType string) (text []byte, name, flag string, err error) {
	name, flag = Detect(body, contentType)
	text, err = Decode(body, name)
	return text, name, flag, err
}

// metaCharset finds <meta charset="x"> and <meta http-equiv=Content-Type
// content="text/html; charset=x">.
var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)`)

// declaredCharset returns the label a header or <meta> declares (raw) and
// the canonical name this build knows it by ("" when unknown).
func declaredCharset(body []byte, contentType string) (raw, known string) {
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if label, ok := params["charset"]; ok && strings.TrimSpace(label) != "" {
			_, name := charset.Lookup(label)
			return label, name
		}
	}
	// A <meta> declaration in the first KiB, where a browser's prescan
	// looks for it.
	m := metaCharset.FindSubmatch(body[:min(len(body), 1024)])
	if m == nil {
		return "", ""
	}
	label := string(m[1])
	_, name := charset.Lookup(label)
	return label, name
}

func bomEncoding(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return "utf-8"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "utf-16be"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "utf-16le"
	}
	return ""
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// isASCIICompatible reports whether ASCII bytes mean the same in the named
// charset (not so for UTF-16 and a few legacy encodings).
func isASCIICompatible(name string) bool {
	return !strings.HasPrefix(name, "utf-16") && name != "iso-2022-jp" && name != "replacement"
}
