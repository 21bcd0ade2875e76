package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func listingsEncoded(t *testing.T, n, pad int) []Encoded {
	t.Helper()
	out := make([]Encoded, n)
	for i := range out {
		l := Listing{Provenance: Provenance{Source: "nebula", URL: "http://x.onion/l/" + fmt.Sprint(i),
			ObservedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), CaptureSHA256: sha, Pipeline: "nebula@3"},
			ListingID: fmt.Sprint(i), Title: "t", Description: strings.Repeat("d", pad)}
		l.Finalize()
		data, err := json.Marshal(&l)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = Encoded{ID: l.EventID, Data: data}
	}
	return out
}

// A page's events pack into one envelope with a deterministic id, and
// DecodeMessage reads every event back with its own event id.
func TestPackRoundTrip(t *testing.T) {
	evs := listingsEncoded(t, 50, 100)
	envs, err := Pack("nebula", sha, "nebula@3", evs)
	if err != nil || len(envs) != 1 {
		t.Fatalf("Pack = %d envelopes, %v", len(envs), err)
	}
	e := envs[0]
	if e.Subject != "intel.v1.envelope.nebula" || e.Header.Part != 1 || e.Header.Parts != 1 || e.Header.Events != 50 {
		t.Fatalf("envelope %s %+v", e.Subject, e.Header)
	}
	again, _ := Pack("nebula", sha, "nebula@3", evs)
	if again[0].Header.EnvelopeID != e.Header.EnvelopeID {
		t.Error("the same events packed twice got two envelope ids")
	}
	other, _ := Pack("nebula", sha, "nebula@3", evs[1:])
	if other[0].Header.EnvelopeID == e.Header.EnvelopeID {
		t.Error("other events got the same envelope id")
	}
	ds, err := DecodeMessage(e.Subject, e.Data)
	if err != nil || len(ds) != 50 {
		t.Fatalf("DecodeMessage = %d, %v", len(ds), err)
	}
	for i, d := range ds {
		if d.Listing == nil || d.Listing.EventID != evs[i].ID {
			t.Fatalf("event %d = %+v", i, d)
		}
		if err := Check(Subject(d.Type(), e.Header.Source), d); err != nil {
			t.Error(err)
		}
	}
}

// A page of many events is split into parts, each under EnvelopeTarget, in
// order, none lost.
func TestPackSplitsLargePages(t *testing.T) {
	evs := listingsEncoded(t, 3000, 400)
	envs, err := Pack("nebula", sha, "nebula@3", evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(envs) < 3 {
		t.Fatalf("%d envelopes for 3000 events of ~1 KB", len(envs))
	}
	var got []string
	ids := map[string]bool{}
	for i, e := range envs {
		if len(e.Data) > EnvelopeTarget {
			t.Errorf("part %d is %d bytes, over %d", i+1, len(e.Data), EnvelopeTarget)
		}
		if e.Header.Part != i+1 || e.Header.Parts != len(envs) {
			t.Errorf("part %d says %d of %d", i+1, e.Header.Part, e.Header.Parts)
		}
		ids[e.Header.EnvelopeID] = true
		ds, err := DecodeMessage(e.Subject, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			got = append(got, d.Listing.EventID)
		}
	}
	if len(ids) != len(envs) {
		t.Error("parts share an envelope id")
	}
	if len(got) != len(evs) {
		t.Fatalf("%d events unpacked, want %d", len(got), len(evs))
	}
	for i := range evs {
		if got[i] != evs[i].ID {
			t.Fatalf("event %d out of order", i)
		}
	}
}

// OpenEnvelope refuses what is not a whole envelope of the subject's source.
func TestOpenEnvelopeRefuses(t *testing.T) {
	envs, err := Pack("nebula", sha, "nebula@3", listingsEncoded(t, 3, 10))
	if err != nil {
		t.Fatal(err)
	}
	good := envs[0].Data
	head, rest, _ := strings.Cut(string(good), "\n")
	for _, tt := range []struct {
		name, subject, data, want string
	}{
		{"other source", "intel.v1.envelope.harbor", string(good), "its source makes"},
		{"cut short", "intel.v1.envelope.nebula", string(good[:len(good)-40]), "3 events announced but 2"},
		{"no header", "intel.v1.envelope.nebula", "{}", "header line"},
		{"unknown schema", "intel.v1.envelope.nebula", strings.Replace(head, "envelope.v1", "envelope.v9", 1) + "\n" + rest, "unknown schema"},
		{"too large", "intel.v1.envelope.nebula", head + "\n" + strings.Repeat("x", MaxEnvelope), "over the"},
	} {
		_, _, err := OpenEnvelope(tt.subject, []byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
		if tt.name != "unknown schema" && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v is not ErrInvalid", tt.name, err)
		}
	}
	if _, err := Pack("nebula", sha, "", []Encoded{{ID: "a", Data: []byte("{\n}")}}); err == nil {
		t.Error("an event of two lines was packed")
	}
}
