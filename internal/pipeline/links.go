package pipeline

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// pageBase is the parsed URL of the page being extracted and its origin,
// "scheme://host", which a plain root-relative path is appended to ("" when
// the URL has user info or is opaque: every reference is then parsed).
type pageBase struct {
	*url.URL
	origin string
}

type linkMatch struct {
	node *html.Node
	rule *LinkRule
}

// links resolves the matches of link rules (in document order, one per
// element) and returns their same-host, de-duplicated URLs in document
// order (the first match wins for a URL found twice).
func links(base *pageBase, matches []linkMatch) []Link {
	out := make([]Link, 0, len(matches))
	seen := make(map[string]struct{}, len(matches))
	for _, m := range matches {
		raw, ok := attr(m.node, m.rule.Attr)
		if !ok {
			continue
		}
		u, ok := resolve(base, raw)
		if !ok {
			continue
		}
		k := urlKey(base, u)
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, Link{URL: u, Page: m.rule.Page})
	}
	return out
}

// urlKey is u without the page's origin when it starts with it and a path
// or query follows, so the de-duplication of links hashes a short key. The
// keys of two URLs are equal only when the URLs are: a key without the
// origin starts with '/' or '?' (or is empty), any other with "http".
func urlKey(base *pageBase, u string) string {
	if base.origin != "" && strings.HasPrefix(u, base.origin) {
		if k := u[len(base.origin):]; k == "" || k[0] == '/' || k[0] == '?' {
			return k
		}
	}
	return u
}

// resolve makes raw absolute against base and keeps it only when it is an
// http(s) URL on base's host. The fragment and any user info are dropped.
func resolve(base *pageBase, raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.HasPrefix(raw, "#") {
		return "", false
	}
	if base.origin != "" && plainPath(raw) {
		// The common case, a root-relative path of plain characters,
		// resolves to the same string url.ResolveReference would give.
		return base.origin + raw, true
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	u := base.ResolveReference(ref)
	if (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, base.Host) {
		return "", false
	}
	u.Fragment, u.RawFragment, u.User = "", "", nil
	return u.String(), true
}

// plainPath reports whether raw is a root-relative path (with an optional
// query) of characters that URL parsing and printing leave unchanged and
// without dot segments.
func plainPath(raw string) bool {
	if len(raw) < 1 || raw[0] != '/' || (len(raw) > 1 && raw[1] == '/') {
		return false
	}
	inPath := true
	for i := 1; i < len(raw); i++ {
		switch plainByte[raw[i]] {
		case plainOK:
		case plainNo:
			return false
		case plainQuery:
			inPath = false
		case plainDot:
			if inPath && raw[i-1] == '/' {
				return false // a dot segment, or a name starting with a dot
			}
		}
	}
	return true
}

// Classes of bytes in plainByte.
const (
	plainNo = iota
	plainOK
	plainQuery // '?'
	plainDot   // '.'
)

// plainByte are the bytes plainPath accepts.
var plainByte = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("/-_~=&+,;:@!$*", byte(c)) >= 0 {
			t[c] = plainOK
		}
	}
	t['?'], t['.'] = plainQuery, plainDot
	return t
}()
