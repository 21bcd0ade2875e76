package load

import (
	"fmt"
	"strings"

	"github.com/counternet/counternet/internal/event"
)

// The loader stores only well-formed events: beyond what an event's own
// Validate checks, the subject it came on must be the one its body names
// (intel.v1.<type>.<source>), every hash-like field must be what it says
// (a capture hash 64 lower-case hex, an event id 32), and the values of
// closed sets (crypto chains, capture and run outcomes) one of the set.
// Anything else is dead-lettered with the reason.

// wellFormed reports why an event that decoded and validated must still
// not be stored, or nil. subject is the subject it was published on.
func wellFormed(subject string, d event.Decoded) error {
	switch {
	case d.Listing != nil:
		return listingWellFormed(subject, d.Listing)
	case d.Vendor != nil:
		return vendorWellFormed(subject, d.Vendor)
	case d.Post != nil:
		return postWellFormed(subject, d.Post)
	case d.Capture != nil:
		return captureWellFormed(subject, d.Capture)
	case d.Run != nil:
		return runWellFormed(subject, d.Run)
	}
	return nil
}

// problems collects what is wrong with one event.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", event.ErrInvalid, what, strings.Join(p, "; "))
}

// subject checks that the subject names the event's type and source.
func (p *problems) subject(subject, typ, source string) {
	if !subjectIs(subject, typ, source) {
		p.add("published on %q but its body says %q", event.Cut(subject, 200), event.Subject(typ, source))
	}
}

// observation checks what listings, vendors and posts share.
func (p *problems) observation(subject, typ, eventID string, prov *event.Provenance, crypto []event.CryptoAddress) {
	p.subject(subject, typ, prov.Source)
	p.hex("event_id", eventID, eventIDLen, false)
	p.hex("capture_sha256", prov.CaptureSHA256, sha256Len, false)
	for _, c := range crypto {
		if !validChains[c.Chain] {
			p.add("crypto chain %q is not one of btc, ltc, xmr, eth", event.Cut(c.Chain, 40))
		}
		if c.Address == "" {
			p.add("crypto address empty")
		}
	}
}

// hex checks that v is n lower-case hex digits (or empty, when allowed).
func (p *problems) hex(name, v string, n int, emptyOK bool) {
	if v == "" && emptyOK {
		return
	}
	if !isLowerHex(v, n) {
		p.add("%s %q is not %d lower-case hex digits", name, event.Cut(v, 80), n)
	}
}

const (
	eventIDLen = 32 // event.ID: 16 bytes of SHA-256 in hex
	sha256Len  = 64
)

var (
	validChains   = map[string]bool{"btc": true, "ltc": true, "xmr": true, "eth": true}
	validOutcomes = map[string]bool{"ok": true, "truncated": true, "http_error": true, "blocked": true, "error": true, "refused": true}
	validRunEnds  = map[string]bool{"ok": true, "partial": true, "failed": true}
)

func listingWellFormed(subject string, l *event.Listing) error {
	var p problems
	p.observation(subject, event.TypeListing, l.EventID, &l.Provenance, l.Crypto)
	p.countries("ships_to_excluded", l.ShipsToExcluded)
	return p.err("listing")
}

func vendorWellFormed(subject string, v *event.Vendor) error {
	var p problems
	p.observation(subject, event.TypeVendor, v.EventID, &v.Provenance, v.Crypto)
	for _, fp := range v.PGPFingerprints {
		p.fingerprint(fp)
	}
	return p.err("vendor")
}

func postWellFormed(subject string, po *event.Post) error {
	var p problems
	p.observation(subject, event.TypePost, po.EventID, &po.Provenance, po.Mentions.Crypto)
	for _, fp := range po.Mentions.PGP {
		p.fingerprint(fp)
	}
	return p.err("post")
}

func captureWellFormed(subject string, c *event.Capture) error {
	var p problems
	p.subject(subject, event.TypeCapture, c.Source)
	p.hex("event_id", c.EventID, eventIDLen, false)
	// A fetch that failed kept no body, so it has no hash.
	p.hex("sha256", c.SHA256, sha256Len, true)
	if !validOutcomes[c.Outcome] {
		p.add("outcome %q is not one of ok, truncated, http_error, blocked, error, refused", event.Cut(c.Outcome, 40))
	}
	return p.err("capture")
}

func runWellFormed(subject string, r *event.Run) error {
	var p problems
	p.subject(subject, event.TypeRun, r.Source)
	p.hex("event_id", r.EventID, eventIDLen, false)
	if !validRunEnds[r.Outcome] {
		p.add("outcome %q is not one of ok, partial, failed", event.Cut(r.Outcome, 40))
	}
	return p.err("run")
}

// fingerprint checks a PGP fingerprint: 40 (v4) or 64 (v5, v6) upper-case
// hex digits.
func (p *problems) fingerprint(fp string) {
	if !isUpperHex(fp, 40) && !isUpperHex(fp, 64) {
		p.add("PGP fingerprint %q is not 40 or 64 upper-case hex digits", event.Cut(fp, 80))
	}
}

func (p *problems) countries(name string, cs []string) {
	for _, c := range cs {
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			p.add("%s %q is not an alpha-2 code", name, event.Cut(c, 40))
		}
	}
}

// subjectIs reports whether subject is event.Subject(typ, source), without
// building it.
func subjectIs(subject, typ, source string) bool {
	rest, ok := strings.CutPrefix(subject, event.SubjectPrefix+".")
	if !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, typ+"."); !ok {
		return false
	}
	if source == "" {
		return rest == "_"
	}
	if len(rest) != len(source) {
		return false
	}
	for i := 0; i < len(source); i++ {
		c := source[i]
		switch {
		case c == '.', c == '*', c == '>', c <= ' ', c == 0x7f:
			// event.Subject replaces these by '_'; they are all ASCII, and
			// any other byte (of a multi-byte character too) stays.
			if rest[i] != '_' {
				return false
			}
		case rest[i] != c:
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isUpperHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
