package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func thread() Thread {
	n := int64(12)
	t := Thread{Provenance: Provenance{Source: "dread", URL: "http://x.onion/t/1",
		ObservedAt: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), CaptureSHA256: sha},
		ThreadID: "1", Title: "Vendor review", Board: "Market > Reviews", Replies: &n,
		StartedAt:  time.Date(2024, 2, 1, 10, 30, 0, 0, time.FixedZone("MSK", 3*3600)),
		Attributes: []Attr{{Key: "prefix", Type: AttrText, Value: "[Review]"}}}
	t.Finalize()
	return t
}

func TestThreadRoundTrip(t *testing.T) {
	th := thread()
	if th.Schema != SchemaThread || th.Forum != "dread" || th.StartedAt.Location() != time.UTC || th.StartedAt.Hour() != 7 {
		t.Fatalf("finalized thread %+v", th)
	}
	data, err := json.Marshal(th)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(data)
	if err != nil || d.Thread == nil || d.Thread.Board != th.Board || *d.Thread.Replies != 12 || d.Thread.Views != nil {
		t.Fatalf("Decode = %+v, %v", d.Thread, err)
	}
	if err := Check(Subject(TypeThread, "dread"), d); err != nil {
		t.Fatal(err)
	}
	bad := th
	bad.Attributes = []Attr{{Key: "Bad Key", Type: "text"}, {Key: "x", Type: "map"}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `attribute key "Bad Key"`) ||
		!strings.Contains(err.Error(), `attribute "x" has type "map"`) {
		t.Errorf("bad attributes: %v", err)
	}
}

// TestCheck: the loader's check names what is wrong with a message that
// decodes: a body from another source than its subject, a forged hash, a
// forged id, unknown enumerations.
func TestCheck(t *testing.T) {
	good := listing()
	good.CaptureSHA256 = sha
	good.Finalize()
	subj := Subject(TypeListing, "nebula")
	if err := Check(subj, Decoded{Listing: &good}); err != nil {
		t.Fatalf("good listing: %v", err)
	}
	for name, tc := range map[string]struct {
		subject string
		mut     func(*Listing)
		want    string
	}{
		"other source":   {Subject(TypeListing, "harbor"), nil, `arrived on subject "intel.v1.listing.harbor"`},
		"other type":     {Subject(TypeVendor, "nebula"), nil, "arrived on subject"},
		"body source":    {subj, func(l *Listing) { l.Source = "harbor"; l.Finalize() }, "arrived on subject"},
		"path as hash":   {subj, func(l *Listing) { l.CaptureSHA256 = "../../etc/passwd"; l.Finalize() }, `capture_sha256 "../../etc/passwd"`},
		"upper hash":     {subj, func(l *Listing) { l.CaptureSHA256 = strings.ToUpper(sha); l.Finalize() }, "capture_sha256"},
		"forged id":      {subj, func(l *Listing) { l.EventID = strings.Repeat("0", 32) }, "is not the id derived"},
		"chain":          {subj, func(l *Listing) { l.Crypto = []CryptoAddress{{Chain: "doge", Address: "D1"}} }, `crypto chain "doge"`},
		"price currency": {subj, func(l *Listing) { l.Prices = []Money{{Amount: 1, Raw: "1"}} }, "without a currency"},
		"url":            {subj, func(l *Listing) { l.URL = "file:///etc/passwd"; l.Finalize() }, "not an http(s) URL"},
	} {
		l := good
		if tc.mut != nil {
			tc.mut(&l)
		}
		err := Check(tc.subject, Decoded{Listing: &l})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check = %v, want %q", name, err, tc.want)
		}
	}
	v := Vendor{Provenance: good.Provenance, Handle: "h", PGPFingerprints: []string{"abc"}}
	v.Finalize()
	if err := Check(Subject(TypeVendor, "nebula"), Decoded{Vendor: &v}); err == nil || !strings.Contains(err.Error(), "pgp fingerprint") {
		t.Errorf("vendor fingerprint: %v", err)
	}
	for _, bad := range []Vendor{
		{PGPSubkeys: []string{"16a4ae7d"}},
		{PGPUserIDs: []string{strings.Repeat("x", MaxText+1)}},
		{PGPUserIDs: make([]string, MaxOptions+1)},
	} {
		bad.Provenance, bad.Handle = good.Provenance, "h"
		bad.Finalize()
		if err := Check(Subject(TypeVendor, "nebula"), Decoded{Vendor: &bad}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "pgp") {
			t.Errorf("vendor %d user ids, %d subkeys: %v, want a pgp error", len(bad.PGPUserIDs), len(bad.PGPSubkeys), err)
		}
	}
	c := Capture{Source: "nebula", URL: "http://x.onion/", FetchedAt: good.ObservedAt, Outcome: "ok", SHA256: "ab"}
	c.Finalize()
	if err := Check(Subject(TypeCapture, "nebula"), Decoded{Capture: &c}); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("capture hash: %v", err)
	}
}

func TestListingValidatesNewFields(t *testing.T) {
	l := listing()
	neg := int64(-1)
	l.ShipsTo, l.ShipsToBasis = []string{"DE", "FR"}, []string{DestExplicit}
	l.PriceUSDBasis, l.ProductClass, l.Stock = "guess", "herbal", &neg
	err := l.Validate()
	for _, want := range []string{"ships_to_basis has 1 entries for 2", `price_usd_basis "guess"`, `product_class "herbal"`, "stock -1 is negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
}

func TestCheckEnums(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := Capture{Source: "nebula", URL: "http://x.onion/", FetchedAt: at, Outcome: "fine", Class: "weird", SHA256: sha}
	c.Finalize()
	err := Check(Subject(TypeCapture, "nebula"), Decoded{Capture: &c})
	if err == nil || !strings.Contains(err.Error(), `outcome "fine"`) || !strings.Contains(err.Error(), `class "weird"`) {
		t.Errorf("capture enums: %v", err)
	}
	c = Capture{Source: "nebula", URL: "http://x.onion/", FetchedAt: at, Outcome: "error", Class: "error"}
	c.Finalize()
	if err := Check(Subject(TypeCapture, "nebula"), Decoded{Capture: &c}); err != nil {
		t.Errorf("a failed fetch without evidence: %v", err)
	}
	r := Run{RunID: "r", Source: "nebula", StartedAt: at, Outcome: "meh"}
	r.Finalize()
	if err := Check(Subject(TypeRun, "nebula"), Decoded{Run: &r}); err == nil || !strings.Contains(err.Error(), `outcome "meh"`) {
		t.Errorf("run outcome: %v", err)
	}
}

// TestIDMatches: the id the loader checks every event against is the id
// derived as it always was (sha256 of the fields, each followed by a zero
// byte, first 16 bytes in hex), and IDMatches accepts it alone, without
// an allocation, however long the key.
func TestIDMatches(t *testing.T) {
	at := time.Date(2026, 10, 5, 8, 0, 0, 123, time.FixedZone("X", 3600))
	old := func(typ, source, key string, observed time.Time, content string) string {
		h := sha256.New()
		for _, s := range []string{typ, source, key, observed.UTC().Format(time.RFC3339Nano), content} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		return hex.EncodeToString(h.Sum(nil)[:16])
	}
	for _, key := range []string{"", "1", strings.Repeat("k", 600)} {
		id := ID(TypeListing, "alpha", key, at, sha)
		if want := old(TypeListing, "alpha", key, at, sha); id != want {
			t.Fatalf("ID = %s, derived as before %s", id, want)
		}
		if !IDMatches(id, TypeListing, "alpha", key, at, sha) {
			t.Errorf("IDMatches refuses the derived id (key of %d bytes)", len(key))
		}
		for name, bad := range map[string]string{
			"one digit changed": id[:31] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", id[31])+1)%16]),
			"upper case":        strings.ToUpper(id),
			"cut short":         id[:31],
			"longer":            id + "0",
			"empty":             "",
		} {
			if bad != id && IDMatches(bad, TypeListing, "alpha", key, at, sha) {
				t.Errorf("IDMatches accepts %s: %q", name, bad)
			}
		}
		for name, match := range map[string]bool{
			"other type":   IDMatches(id, TypeVendor, "alpha", key, at, sha),
			"other source": IDMatches(id, TypeListing, "alphb", key, at, sha),
			"other key":    IDMatches(id, TypeListing, "alpha", key+"x", at, sha),
			"other time":   IDMatches(id, TypeListing, "alpha", key, at.Add(time.Nanosecond), sha),
			"other hash":   IDMatches(id, TypeListing, "alpha", key, at, strings.Repeat("0", 64)),
		} {
			if match {
				t.Errorf("IDMatches accepts the id of an event with %s", name)
			}
		}
	}
	id := ID(TypeListing, "alpha", "1", at, sha)
	if n := testing.AllocsPerRun(100, func() { IDMatches(id, TypeListing, "alpha", "1", at, sha) }); n != 0 {
		t.Errorf("IDMatches allocates %.0f times", n)
	}
}

// TestIsSubject: IsSubject agrees with Subject on plain and odd sources.
func TestIsSubject(t *testing.T) {
	sources := []string{"alpha", "", "a.b", "a*b", "a>b", "a b", "ä", "\xff", "a\x7f", "_", "alpha_"}
	for _, src := range sources {
		for _, other := range sources {
			for _, typ := range []string{TypeListing, TypeVendor} {
				subject := Subject(typ, other)
				if got, want := IsSubject(subject, typ, src), subject == Subject(typ, src); got != want {
					t.Errorf("IsSubject(%q, %q, %q) = %v, want %v", subject, typ, src, got, want)
				}
			}
		}
	}
	for _, s := range []string{"intel.v1.listing", "intel.v1.listingalpha", "intel.v2.listing.alpha", "intel.v1.listing.alpha.x"} {
		if IsSubject(s, TypeListing, "alpha") {
			t.Errorf("IsSubject(%q, listing, alpha)", s)
		}
	}
}

// TestCheckDoesNotAllocate: checking a good listing, as the loader does
// for every event, allocates nothing.
func TestCheckDoesNotAllocate(t *testing.T) {
	l := listing()
	l.CaptureSHA256 = sha
	l.Finalize()
	subj := Subject(TypeListing, l.Source)
	d := Decoded{Listing: &l}
	if err := Check(subj, d); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Check(subj, d) }); n != 0 {
		t.Errorf("Check allocates %.0f times for a good listing", n)
	}
}
