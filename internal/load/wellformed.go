package load

import (
	"fmt"

	"github.com/counternet/counternet/internal/event"
)

// The loader stores only well-formed events: beyond what an event's own
// Validate checks, event.Check holds it to the subject it came on
// (intel.v1.<type>.<source> of its body), to its derived event id, to hex
// hashes of their length and to the values of closed sets; the outcomes of
// captures and runs are checked here. Anything else is dead-lettered with
// the reason.

// wellFormed reports why an event that decoded and validated must still
// not be stored, or nil. subject is the subject it was published on.
func wellFormed(subject string, d event.Decoded) error {
	if err := event.Check(subject, d); err != nil {
		return err
	}
	switch {
	case d.Capture != nil && !validOutcomes[d.Capture.Outcome]:
		return fmt.Errorf("%w: capture: outcome %q is not one of ok, truncated, http_error, blocked, error, refused",
			event.ErrInvalid, event.Cut(d.Capture.Outcome, 40))
	case d.Run != nil && !validRunEnds[d.Run.Outcome]:
		return fmt.Errorf("%w: run: outcome %q is not one of ok, partial, failed", event.ErrInvalid, event.Cut(d.Run.Outcome, 40))
	}
	return nil
}

// listingWellFormed is wellFormed for a listing the fast path decoded.
func listingWellFormed(subject string, l *event.Listing) error {
	return event.Check(subject, event.Decoded{Listing: l})
}

var (
	// Capture outcomes: fetch.Outcome*.
	validOutcomes = map[string]bool{"ok": true, "truncated": true, "http_error": true, "blocked": true, "error": true, "refused": true}
	// Run outcomes.
	validRunEnds = map[string]bool{"ok": true, "partial": true, "failed": true}
)
