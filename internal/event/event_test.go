package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func listing() Listing {
	l := Listing{
		Provenance: Provenance{Source: "nebula", URL: "http://x.onion/product/1",
			ObservedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600)), CaptureSHA256: "ab"},
		ListingID: "1", Title: "10g", ShipsFrom: "DE", ShipsTo: []string{"FR"},
	}
	l.Finalize()
	return l
}

func TestIDIsDeterministicAndContentBound(t *testing.T) {
	a, b := listing(), listing()
	if a.EventID != b.EventID || len(a.EventID) != 32 {
		t.Fatalf("ids %q %q: want equal, 32 hex chars", a.EventID, b.EventID)
	}
	if a.ObservedAt.Location() != time.UTC {
		t.Error("observed_at not normalized to UTC")
	}
	for name, mut := range map[string]func(*Listing){
		"source": func(l *Listing) { l.Source = "harbor" },
		"key":    func(l *Listing) { l.ListingID = "2" },
		"time":   func(l *Listing) { l.ObservedAt = l.ObservedAt.Add(time.Second) },
		"page":   func(l *Listing) { l.CaptureSHA256 = "cd" },
	} {
		c := listing()
		mut(&c)
		c.Finalize()
		if c.EventID == a.EventID {
			t.Errorf("changing %s kept the event id", name)
		}
	}
}

func TestSubjectCannotWidenSubscription(t *testing.T) {
	if got := Subject(TypeListing, "a.b*>c d"); got != "intel.v1.listing.a_b__c_d" {
		t.Errorf("Subject = %q", got)
	}
	if got := Subject(TypeVendor, ""); got != "intel.v1.vendor._" {
		t.Errorf("Subject(empty) = %q", got)
	}
}

func TestDecode(t *testing.T) {
	good := listing()
	data, _ := json.Marshal(good)
	var extra map[string]any
	_ = json.Unmarshal(data, &extra)
	extra["added_in_a_later_release"] = 42
	withExtra, _ := json.Marshal(extra)

	d, err := Decode(withExtra)
	if err != nil || d.Listing == nil || d.Listing.EventID != good.EventID {
		t.Fatalf("Decode(v1 with an unknown field) = %+v, %v; want the listing", d, err)
	}
	for _, tc := range []struct {
		name string
		in   string
		want error
		text string
	}{
		{"not json", "{", ErrInvalid, "decoding header"},
		{"unknown schema", `{"schema":"counternet.listing.v2"}`, ErrUnknownSchema, "v2"},
		{"wrong type", `{"schema":"counternet.listing.v1","title":7}`, ErrInvalid, "decoding"},
		{"missing fields", `{"schema":"counternet.listing.v1"}`, ErrInvalid, "listing_id empty"},
		{"bad country", strings.Replace(string(data), `"ships_from":"DE"`, `"ships_from":"Germany"`, 1), ErrInvalid, "alpha-2"},
		{"oversize", `{"schema":"counternet.listing.v1","description":"` + strings.Repeat("x", MaxMessage) + `"}`, ErrInvalid, "limit"},
	} {
		_, err := Decode([]byte(tc.in))
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: Decode = %v, want %v containing %q", tc.name, err, tc.want, tc.text)
		}
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes: not cut in half
		{"aé", 3, "aé"},
		{"€uro", 2, ""},
		{"x", 0, ""},
	} {
		if got := Cut(tc.in, tc.max); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
