package crawl

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
)

// pack sends a page's events as envelopes: one for a page, parts for a
// page past event.EnvelopeTarget, every event inside once with its own id;
// a lone event goes as itself on its own subject.
func TestPackPage(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	page := func(n, pad int) []any {
		at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		evs := []any{&event.Capture{Source: "nebula", URL: "http://x.onion/", FetchedAt: at, Outcome: "ok", SHA256: sha}}
		for i := range n {
			evs = append(evs, &event.Listing{Provenance: event.Provenance{Source: "nebula", URL: "http://x.onion/",
				ObservedAt: at, CaptureSHA256: sha, Pipeline: "nebula@2"}, ListingID: fmt.Sprint(i),
				Title: "t", Description: strings.Repeat("d", pad)})
		}
		return append(evs, nil) // a record of no event type
	}
	for _, tt := range []struct {
		name          string
		listings, pad int
		split         bool
	}{
		{"one page", 50, 500, false},
		{"a page of 2000 large listings", 2000, 4000, true},
	} {
		msgs, ids, err := pack(page(tt.listings, tt.pad))
		if err != nil {
			t.Fatal(err)
		}
		if (len(msgs) > 1) != tt.split || len(ids) != len(msgs) {
			t.Fatalf("%s: %d messages (split: %v)", tt.name, len(msgs), tt.split)
		}
		seen := map[string]bool{}
		for i, m := range msgs {
			if m.Subject != "intel.v1.envelope.nebula" || len(m.Data) > event.EnvelopeTarget {
				t.Fatalf("%s: message %d on %s, %d bytes", tt.name, i, m.Subject, len(m.Data))
			}
			ds, err := event.DecodeMessage(m.Subject, m.Data)
			if err != nil || len(ds) != len(ids[i]) {
				t.Fatalf("%s: envelope %d: %d events, %v; ids say %d", tt.name, i, len(ds), err, len(ids[i]))
			}
			h, _, _ := event.OpenEnvelope(m.Subject, m.Data)
			if m.ID != h.EnvelopeID || h.CaptureSHA256 != sha || h.Pipeline != "nebula@2" || h.Parts != len(msgs) || h.Part != i+1 {
				t.Errorf("%s: envelope %d header %+v, message id %s", tt.name, i, h, m.ID)
			}
			for j, d := range ds {
				id := ids[i][j]
				if (d.Listing == nil || d.Listing.EventID != id) && (d.Capture == nil || d.Capture.EventID != id) {
					t.Fatalf("%s: event %d of envelope %d is not %s", tt.name, j, i, id)
				}
				if seen[id] {
					t.Fatalf("%s: event %s twice", tt.name, id)
				}
				seen[id] = true
				if err := event.Check(event.Subject(d.Type(), "nebula"), d); err != nil {
					t.Error(err)
				}
			}
		}
		if len(seen) != tt.listings+1 {
			t.Errorf("%s: %d events packed, want %d", tt.name, len(seen), tt.listings+1)
		}
	}
	msgs, ids, err := pack([]any{&event.Run{Source: "nebula", RunID: "r", StartedAt: time.Now(), Outcome: "ok"}})
	if err != nil || len(msgs) != 1 || msgs[0].Subject != "intel.v1.run.nebula" || ids[0][0] != msgs[0].ID {
		t.Fatalf("a lone run: %+v %v %v", msgs, ids, err)
	}
}
