package load

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestLoaderRefusesMalformedEvents: an event that decodes and passes its
// own validation is still not stored when the subject it came on names
// another source or type, when a hash-like field is not what it says, or
// when a closed-set value is outside its set; the error says why. The same
// events on the right subject, well formed, are stored.
func TestLoaderRefusesMalformedEvents(t *testing.T) {
	l := sampleListing()
	l.Source = "harbor"
	l.Finalize()
	listing := string(mustJSON(t, &l))
	prov := l.Provenance
	v := event.Vendor{Provenance: prov, Handle: "v1", PGPFingerprints: []string{strings.Repeat("AB", 20)}}
	v.Finalize()
	vendor := string(mustJSON(t, &v))
	p := event.Post{Provenance: prov, ThreadID: "t1", PostID: "p1", Body: "see alpha"}
	p.Finalize()
	post := string(mustJSON(t, &p))
	c := event.Capture{Source: "harbor", URL: "http://x.onion/", FetchedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Status: 200, Outcome: "ok", SHA256: strings.Repeat("0f", 32), RunID: "r1"}
	c.Finalize()
	capture := string(mustJSON(t, &c))
	failed := c
	failed.Outcome, failed.SHA256, failed.Status = "error", "", 0
	failed.Finalize()
	r := event.Run{RunID: "r1", Source: "harbor", Pipeline: "harbor@1", StartedAt: c.FetchedAt, FinishedAt: c.FetchedAt, Outcome: "ok"}
	r.Finalize()
	run := string(mustJSON(t, &r))
	r.Outcome = "great"
	r.Finalize()
	greatRun := string(mustJSON(t, &r))

	sub := func(typ string) string { return event.Subject(typ, "harbor") }
	good := []struct{ name, subject, data string }{
		{"listing", sub(event.TypeListing), listing},
		{"vendor", sub(event.TypeVendor), vendor},
		{"post", sub(event.TypePost), post},
		{"capture", sub(event.TypeCapture), capture},
		{"failed fetch without a hash", sub(event.TypeCapture), string(mustJSON(t, &failed))},
		{"run", sub(event.TypeRun), run},
	}
	for _, g := range good {
		var b warehouse.Batch
		if err := decodeInto(&b, g.subject, []byte(g.data)); err != nil || b.Len() != 1 {
			t.Errorf("%s: %v (%d stored), want it stored", g.name, err, b.Len())
		}
	}

	sha := l.CaptureSHA256
	bad := []struct{ name, subject, data, reason string }{
		{"listing on another source's subject", "intel.v1.listing.nebula", listing,
			`arrived on subject "intel.v1.listing.nebula" but its type and source make "intel.v1.listing.harbor"`},
		{"listing on the vendor subject", sub(event.TypeVendor), listing, `make "intel.v1.listing.harbor"`},
		{"vendor on a wildcard-looking subject", "intel.v1.vendor.harbo_", vendor, "arrived on subject"},
		{"post on another forum's subject", "intel.v1.post.dread", post, "arrived on subject"},
		{"capture on another source's subject", "intel.v1.capture.nebula", capture, "arrived on subject"},
		{"run on another source's subject", "intel.v1.run.nebula", run, "arrived on subject"},
		{"capture hash a path", sub(event.TypeListing), strings.Replace(listing, sha, "../../etc/passwd", 1),
			`capture_sha256 "../../etc/passwd" is not 64 lowercase hex digits`},
		{"capture hash upper case", sub(event.TypeListing), strings.Replace(listing, sha, strings.ToUpper(sha), 1), "capture_sha256"},
		{"capture hash missing", sub(event.TypeListing), strings.Replace(listing, `"capture_sha256":"`+sha+`"`, `"capture_sha256":""`, 1), "capture_sha256"},
		{"event id not hex", sub(event.TypeListing), strings.Replace(listing, l.EventID, "not-an-id", 1), "is not the id derived from the event"},
		{"crypto chain unknown", sub(event.TypeListing), strings.Replace(listing, `"chain":"btc"`, `"chain":"doge"`, 1), `crypto chain "doge", want one of`},
		{"excluded country not a code", sub(event.TypeListing), strings.Replace(listing, `"ships_to_raw"`, `"ships_to_excluded":["Australia"],"ships_to_raw"`, 1), "ships_to_excluded"},
		{"vendor fingerprint not hex", sub(event.TypeVendor), strings.Replace(vendor, strings.Repeat("AB", 20), strings.Repeat("ZZ", 20), 1), "pgp fingerprint"},
		{"post capture hash a path", sub(event.TypePost), strings.Replace(post, sha, "../../etc/passwd", 1), "capture_sha256"},
		{"capture hash short", sub(event.TypeCapture), strings.Replace(capture, strings.Repeat("0f", 32), "0f0f", 1), "sha256"},
		{"capture outcome unknown", sub(event.TypeCapture), strings.Replace(capture, `"outcome":"ok"`, `"outcome":"fine"`, 1), `outcome "fine", want one of`},
		{"run outcome unknown", sub(event.TypeRun), greatRun, `outcome "great", want one of`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var b warehouse.Batch
			err := decodeInto(&b, tt.subject, []byte(tt.data))
			if err == nil || b.Len() != 0 {
				t.Fatalf("stored (%d rows, err %v); want it refused", b.Len(), err)
			}
			if !errors.Is(err, event.ErrInvalid) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error %q, want one wrapping event.ErrInvalid that says %q", err, tt.reason)
			}
		})
	}
}
