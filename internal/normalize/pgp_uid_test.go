package normalize

import (
	"slices"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// pgp_ed25519_sameuid.asc was made with GnuPG 2.2.40 as another key of the
// vendor of pgp_ed25519.asc: a new primary key and subkey, the user id
// " snowman   <SNOWMAN@ProtonMail.example>" (written carelessly).
const (
	sameUIDFingerprint = "23DAA9600EBE4579855A4723E4E299E53AD95146"
	sameUIDSubkey      = "16A4AE7D2EBE4653794797E21FE469C53CACEE2E"
)

func TestNormalizeUserID(t *testing.T) {
	for _, tt := range []struct{ in, want, email string }{
		{"snowman <snowman@protonmail.example>", "snowman <snowman@protonmail.example>", "snowman@protonmail.example"},
		{"  snowman   <SNOWMAN@ProtonMail.example> ", "snowman <snowman@protonmail.example>", "snowman@protonmail.example"},
		{"Cartel Rx (vendor key) <Rx@Cartel.example>", "Cartel Rx (vendor key) <rx@cartel.example>", "rx@cartel.example"},
		{"RX@Cartel.example", "rx@cartel.example", "rx@cartel.example"},
		{"Cartel Rx", "Cartel Rx", ""},
		{"Broken <no end", "Broken <no end", ""},
	} {
		got := NormalizeUserID(tt.in)
		if got != tt.want || UserIDEmail(got) != tt.email {
			t.Errorf("NormalizeUserID(%q) = %q (e-mail %q), want %q (%q)", tt.in, got, UserIDEmail(got), tt.want, tt.email)
		}
	}
}

// TestVendorPGPUserIDs: a vendor event carries the normalized user ids and
// the subkeys of the armored keys its profile shows, so two profiles whose
// keys differ are seen to share a user id.
func TestVendorPGPUserIDs(t *testing.T) {
	ed, other := readKey(t, "pgp_ed25519.asc"), readKey(t, "pgp_ed25519_sameuid.asc")
	prov := event.Provenance{Source: "harbor", URL: "http://harbor.onion/v/snowman", ObservedAt: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name, pgp string
		fps       []string
		uids      []string
		subkeys   []string
	}{
		{"ed25519", ed, []string{edKey.Fingerprint},
			[]string{"snowman (vendor key) <snowman@dnmx.example>", "snowman <snowman@protonmail.example>"}, edKey.Subkeys},
		{"other key, same user id", other, []string{sameUIDFingerprint},
			[]string{"snowman <snowman@protonmail.example>"}, []string{sameUIDSubkey}},
		{"both keys", ed + "\n" + other, []string{edKey.Fingerprint, sameUIDFingerprint},
			[]string{"snowman (vendor key) <snowman@dnmx.example>", "snowman <snowman@protonmail.example>"},
			[]string{edKey.Subkeys[0], sameUIDSubkey}},
		{"rsa, no subkey", readKey(t, "pgp_rsa.asc"), []string{rsaKey.Fingerprint}, []string{"Cartel Rx <rx@cartel.example>"}, nil},
		{"no key", "my key is on dread", nil, nil, nil},
	}
	for _, tt := range tests {
		rec := pipeline.Record{Type: pipeline.RecordVendor, Fields: map[string]pipeline.Field{"handle": {Raw: "snowman"}, "pgp": {Raw: tt.pgp}}}
		v := Vendor(rec, prov)
		if !slices.Equal(v.PGPFingerprints, tt.fps) || !slices.Equal(v.PGPUserIDs, tt.uids) || !slices.Equal(v.PGPSubkeys, tt.subkeys) {
			t.Errorf("%s: fingerprints %v, user ids %q, subkeys %v; want %v, %q, %v", tt.name,
				v.PGPFingerprints, v.PGPUserIDs, v.PGPSubkeys, tt.fps, tt.uids, tt.subkeys)
		}
		if tt.fps == nil && !slices.Contains(v.Flags, "pgp") {
			t.Errorf("%s: flags %v, want pgp flagged", tt.name, v.Flags)
		}
		if err := v.Validate(); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	a := Vendor(pipeline.Record{Type: pipeline.RecordVendor, Fields: map[string]pipeline.Field{"handle": {Raw: "snowman"}, "pgp": {Raw: ed}}}, prov)
	b := Vendor(pipeline.Record{Type: pipeline.RecordVendor, Fields: map[string]pipeline.Field{"handle": {Raw: "sn0wman"}, "pgp": {Raw: other}}}, prov)
	if slices.ContainsFunc(a.PGPFingerprints, func(fp string) bool { return slices.Contains(b.PGPFingerprints, fp) }) {
		t.Fatalf("the two keys share a fingerprint: %v %v", a.PGPFingerprints, b.PGPFingerprints)
	}
	if !slices.Contains(a.PGPUserIDs, b.PGPUserIDs[0]) {
		t.Errorf("user ids %q and %q share nothing, want %q in both", a.PGPUserIDs, b.PGPUserIDs, b.PGPUserIDs[0])
	}
}
