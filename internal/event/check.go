package event

import (
	"fmt"
	"strings"
	"time"
)

// Chains lists the values of CryptoAddress.Chain.
var Chains = []string{"btc", "xmr", "eth", "ltc"}

// Enumerations of captures and runs.
var (
	CaptureOutcomes = []string{"ok", "truncated", "http_error", "blocked", "error", "refused"}
	CaptureClasses  = []string{"ok", "too_large", "queue", "captcha", "login", "ratelimit", "not_found", "refused", "error"}
	RunOutcomes     = []string{"ok", "partial", "failed"}
)

// Check holds a decoded message to what a loader stores: the subject it
// arrived on names the body's type and source (Subject of both), the
// event id is the one derived from the body (ID, 32 lowercase hex digits),
// every hash-like field is what it says (capture hashes 64 lowercase hex,
// PGP fingerprints 40 or 64 upper-case hex), and enumerated fields (crypto
// chains, capture and run outcomes, capture classes; bases, contact kinds
// and attribute types through Validate) hold known values. It
// assumes d came from Decode (so each event's Validate passed) and returns
// an error wrapping ErrInvalid that says every thing found wrong.
func Check(subject string, d Decoded) error {
	var (
		typ, source, id, what string
		key, content          string    // what the id derives from, with the
		at                    time.Time // type, the source and this time
		errs                  []string
	)
	switch {
	case d.Listing != nil:
		l := d.Listing
		typ, source, id, what = TypeListing, l.Source, l.EventID, "listing"
		key, at, content = l.ListingID, l.ObservedAt, l.CaptureSHA256
		errs = append(errs, provenanceErrors(&l.Provenance)...)
		errs = append(errs, cryptoErrors(l.Crypto)...)
		for _, p := range l.Prices {
			if p.Currency == "" {
				errs = append(errs, fmt.Sprintf("price %q without a currency", Cut(p.Raw, 80)))
				break
			}
		}
	case d.Vendor != nil:
		v := d.Vendor
		typ, source, id, what = TypeVendor, v.Source, v.EventID, "vendor"
		key, at, content = v.Handle, v.ObservedAt, v.CaptureSHA256
		errs = append(errs, provenanceErrors(&v.Provenance)...)
		errs = append(errs, cryptoErrors(v.Crypto)...)
		errs = append(errs, fingerprintErrors(v.PGPFingerprints)...)
		errs = append(errs, fingerprintErrors(v.PGPSubkeys)...)
		errs = append(errs, userIDErrors(v.PGPUserIDs, v.PGPSubkeys)...)
	case d.Post != nil:
		p := d.Post
		typ, source, id, what = TypePost, p.Source, p.EventID, "post"
		key, at, content = p.PostID, p.ObservedAt, p.CaptureSHA256
		errs = append(errs, provenanceErrors(&p.Provenance)...)
		errs = append(errs, cryptoErrors(p.Mentions.Crypto)...)
		errs = append(errs, fingerprintErrors(p.Mentions.PGP)...)
	case d.Thread != nil:
		t := d.Thread
		typ, source, id, what = TypeThread, t.Source, t.EventID, "thread"
		key, at, content = t.ThreadID, t.ObservedAt, t.CaptureSHA256
		errs = append(errs, provenanceErrors(&t.Provenance)...)
	case d.Capture != nil:
		c := d.Capture
		typ, source, id, what = TypeCapture, c.Source, c.EventID, "capture"
		key, at, content = c.URL, c.FetchedAt, c.SHA256
		if c.SHA256 != "" && !IsSHA256(c.SHA256) {
			errs = append(errs, fmt.Sprintf("sha256 %q is not 64 lowercase hex digits", Cut(c.SHA256, 80)))
		}
		if !oneOf(c.Outcome, CaptureOutcomes) {
			errs = append(errs, fmt.Sprintf("outcome %q, want one of %v", Cut(c.Outcome, 80), CaptureOutcomes))
		}
		if c.Class != "" && !oneOf(c.Class, CaptureClasses) {
			errs = append(errs, fmt.Sprintf("class %q, want one of %v", Cut(c.Class, 80), CaptureClasses))
		}
		if c.SHA256 == "" && c.Outcome != "error" {
			errs = append(errs, fmt.Sprintf("sha256 empty for a capture with outcome %q", Cut(c.Outcome, 80)))
		}
	case d.Run != nil:
		r := d.Run
		typ, source, id, what = TypeRun, r.Source, r.EventID, "run"
		key, at, content = r.RunID, r.StartedAt, r.Outcome
		if !oneOf(r.Outcome, RunOutcomes) {
			errs = append(errs, fmt.Sprintf("outcome %q, want one of %v", Cut(r.Outcome, 80), RunOutcomes))
		}
	case d.Image != nil || d.Escalation != nil:
		return fmt.Errorf("%w: a %s event is checked on its own subject (DecodeImage), not here", ErrInvalid, d.Type())
	default:
		return fmt.Errorf("%w: no event decoded", ErrInvalid)
	}
	if !IsSubject(subject, typ, source) {
		errs = append([]string{fmt.Sprintf("arrived on subject %q but its type and source make %q",
			Cut(subject, 200), Subject(typ, source))}, errs...)
	}
	// Every id is derived again in full: a forged or mismatched one is
	// refused, whatever else the event carries.
	if !IDMatches(id, typ, source, key, at, content) {
		errs = append(errs, fmt.Sprintf("event_id %q is not the id derived from the event (%s)", Cut(id, 80),
			ID(typ, source, key, at, content)))
	}
	return joinErrs(what, errs)
}

// IsSHA256 reports whether s is a SHA-256 digest in 64 lowercase hex digits.
func IsSHA256(s string) bool { return isHexOf(s, 64, false) }

func isHexOf(s string, n int, upper bool) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= '0' && c <= '9'
		if upper {
			ok = ok || c >= 'A' && c <= 'F'
		} else {
			ok = ok || c >= 'a' && c <= 'f'
		}
		if !ok {
			return false
		}
	}
	return true
}

func provenanceErrors(p *Provenance) []string {
	var errs []string
	if !IsSHA256(p.CaptureSHA256) {
		errs = append(errs, fmt.Sprintf("capture_sha256 %q is not 64 lowercase hex digits", Cut(p.CaptureSHA256, 80)))
	}
	if p.ObservedAt.Year() < 1990 || p.ObservedAt.After(time.Now().Add(24*time.Hour)) {
		errs = append(errs, fmt.Sprintf("observed_at %s is not a plausible capture time", p.ObservedAt.Format(time.RFC3339)))
	}
	if !strings.HasPrefix(p.URL, "http://") && !strings.HasPrefix(p.URL, "https://") {
		errs = append(errs, fmt.Sprintf("url %q is not an http(s) URL", Cut(p.URL, 80)))
	}
	return errs
}

func cryptoErrors(as []CryptoAddress) []string {
	for _, a := range as {
		if !oneOf(a.Chain, Chains) {
			return []string{fmt.Sprintf("crypto chain %q, want one of %v", Cut(a.Chain, 80), Chains)}
		}
		if a.Address == "" || len(a.Address) > 128 {
			return []string{fmt.Sprintf("%s address empty or too long", a.Chain)}
		}
	}
	return nil
}

// userIDErrors bounds a vendor's key user ids (each MaxText bytes) and
// the number of user ids and of subkeys (MaxOptions each).
func userIDErrors(uids, subkeys []string) []string {
	if len(uids) > MaxOptions || len(subkeys) > MaxOptions {
		return []string{fmt.Sprintf("%d pgp user ids and %d subkeys, over %d", len(uids), len(subkeys), MaxOptions)}
	}
	for _, u := range uids {
		if len(u) > MaxText || u == "" {
			return []string{fmt.Sprintf("pgp user id of %d bytes, want 1 to %d", len(u), MaxText)}
		}
	}
	return nil
}

func fingerprintErrors(fps []string) []string {
	for _, fp := range fps {
		if !isHexOf(fp, 40, true) && !isHexOf(fp, 64, true) {
			return []string{fmt.Sprintf("pgp fingerprint %q is not 40 or 64 upper-case hex digits", Cut(fp, 80))}
		}
	}
	return nil
}
