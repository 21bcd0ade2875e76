package load

import (
	"github.com/counternet/counternet/internal/event"
)

// The loader stores only well-formed events: beyond what an event's own
// Validate checks, event.Check holds it to the subject it came on
// (intel.v1.<type>.<source> of its body), to its derived event id, to hex
// hashes of their length and to the values of closed sets (crypto chains,
// destination bases, capture and run outcomes). Anything else is
// dead-lettered with the reason.

// wellFormed reports why an event that decoded and validated must still
// not be stored, or nil. subject is the subject it was published on.
func wellFormed(subject string, d event.Decoded) error {
	return event.Check(subject, d)
}

// listingWellFormed is wellFormed for a listing the fast path decoded.
func listingWellFormed(subject string, l *event.Listing) error {
	return event.Check(subject, event.Decoded{Listing: l})
}
