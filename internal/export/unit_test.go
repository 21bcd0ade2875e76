package export

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/counternet/counternet/internal/reference"
)

func TestCheckPolicy(t *testing.T) {
	nca := reference.Partner{ID: "nca-gb", Agency: "NCA", MaxTLP: "amber", ExcludedFields: []string{"listing_obs.description", "contacts"}}
	strict := reference.Partner{ID: "x", Agency: "X", MaxTLP: "red", ExcludedFields: []string{"vendor_obs.handle"}}
	tests := []struct {
		name     string
		p        reference.Partner
		tlp      string
		minimize []string
		refused  string // "" when allowed
	}{
		{"allowed with minimization", nca, "amber", []string{"description", "contacts"}, ""},
		{"lower tlp", nca, "clear", []string{"listing_obs.description", "vendor_obs.contacts"}, ""},
		{"above tlp", nca, "amber+strict", []string{"description", "contacts"}, "TLP:AMBER+STRICT is above TLP:AMBER"},
		{"red above amber", nca, "RED", []string{"description", "contacts"}, "above"},
		{"excluded field held", nca, "green", []string{"contacts"}, "excludes listing_obs.description; leave it out with --minimize listing_obs.description"},
		{"excluded kind held", nca, "green", []string{"description"}, "vendor_obs.contacts"},
		{"unknown tlp", nca, "white", nil, `TLP "white"`},
		{"identifying field excluded", strict, "green", nil, "vendor_obs.handle, which identifies records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drop, err := minimizeSet(tt.minimize)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckPolicy(tt.p, strings.ToLower(tt.tlp), drop)
			switch {
			case tt.refused == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.refused != "" && (!errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.refused)):
				t.Errorf("err = %v, want ErrRefused saying %q", err, tt.refused)
			}
		})
	}
}

func TestMinimizeSet(t *testing.T) {
	for _, tt := range []struct {
		in      []string
		want    []string
		wantErr string
	}{
		{[]string{"contacts"}, []string{"vendor_obs.contacts"}, ""},
		{[]string{"crypto_addresses"}, []string{"listing_obs.crypto_addresses", "vendor_obs.crypto_addresses"}, ""},
		{[]string{"listing_obs.title", " "}, []string{"listing_obs.title"}, ""},
		{[]string{"body"}, nil, "no such field"},
		{[]string{"handle"}, nil, "identifies records"},
	} {
		got, err := minimizeSet(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("minimize %v: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got.sorted(), ",") != strings.Join(tt.want, ",") {
			t.Errorf("minimize %v = %v, %v; want %v", tt.in, got.sorted(), err, tt.want)
		}
	}
}

func TestParseRoute(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Route
		ok   bool
	}{
		{"NL:DE", Route{"NL", "DE"}, true},
		{" nl:de ", Route{"NL", "DE"}, true},
		{"NL:", Route{From: "NL"}, true},
		{":US", Route{To: "US"}, true},
		{":", Route{}, false},
		{"NLD:DE", Route{}, false},
		{"NL-DE", Route{}, false},
		{"N1:DE", Route{}, false},
	} {
		got, err := ParseRoute(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRoute(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestWhereBindsValues checks that no selected value reaches the SQL text:
// every value is a bound parameter.
func TestWhereBindsValues(t *testing.T) {
	evil := "x'; DROP TABLE listing_obs; --"
	sel := Selection{
		Vendors: []string{"alpha:" + evil, evil}, Markets: []string{"alpha"}, Routes: []Route{{"NL", "DE"}, {To: "US"}},
		Jurisdictions: []string{"GB"}, Since: time.Unix(1000, 0), Until: time.Unix(2000, 0),
	}
	where, args := sel.where()
	for _, v := range []string{evil, "alpha", "NL", "DE", "US", "GB", "1000"} {
		if strings.Contains(where, v) {
			t.Errorf("SQL text holds the value %q: %s", v, where)
		}
	}
	if n := strings.Count(where, "?"); n != len(args) {
		t.Errorf("%d placeholders, %d arguments: %s", n, len(args), where)
	}
	if w, a := (Selection{}).where(); w != "" || a != nil {
		t.Errorf("empty selection: %q %v", w, a)
	}
}

// TestVendorCond checks the vendor condition of each filter shape: one
// bound argument per placeholder, in order, on the named column.
func TestVendorCond(t *testing.T) {
	keys, bare := []string{"alpha:a"}, []string{"b"}
	for _, tt := range []struct {
		keys, bare []string
		want       string
		args       []any
	}{
		{keys, bare, "(has(?, concat(source, ':', handle)) OR has(?, handle))", []any{keys, bare}},
		{keys, nil, "has(?, concat(source, ':', handle))", []any{keys}},
		{nil, bare, "has(?, handle)", []any{bare}},
	} {
		c, a := vendorCond("handle", tt.keys, tt.bare)
		if c != tt.want || !reflect.DeepEqual(a, tt.args) {
			t.Errorf("vendorCond(%v, %v) = %q %v, want %q %v", tt.keys, tt.bare, c, a, tt.want, tt.args)
		}
	}
}

func TestSelectionNormalize(t *testing.T) {
	s := Selection{Vendors: []string{" a:b ", "a:b", "h"}, Jurisdictions: []string{"de", "DE"}, Routes: []Route{{"nl", "de"}}}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Vendors, ",") != "a:b,h" || strings.Join(s.Jurisdictions, ",") != "DE" || s.Routes[0] != (Route{"NL", "DE"}) {
		t.Errorf("normalized to %+v", s)
	}
	bad := Selection{Markets: []string{"bad market"}, Jurisdictions: []string{"Germany"}, Vendors: []string{":x"},
		Since: time.Unix(2000, 0), Until: time.Unix(1000, 0)}
	err := bad.Normalize()
	for _, want := range []string{"bad market", "GERMANY", ":x", "until is before since"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %q", err, want)
		}
	}
}

func TestCellDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "-2": "'-2", "@SUM": "'@SUM",
		"plain": "plain", "": "", "12.5": "12.5"} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGenerateKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	ks, err := GenerateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{SigningKeyFile: 0o600, AgeIdentityFile: 0o600, SigningPubFile: 0o644, AgeRecipientFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	priv, err := LoadSigningKey(filepath.Join(dir, SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(filepath.Join(dir, SigningPubFile))
	if err != nil || !pub.Equal(priv.Public()) || FormatPublicKey(pub) != ks.SigningPub {
		t.Errorf("public key %v (%v) does not match the private key", pub, err)
	}
	p := reference.Partner{ID: "p", SigningKey: ks.SigningPub}
	if k, err := p.PublicKey(); err != nil || !k.Equal(pub) {
		t.Errorf("partners.yaml form of the key does not decode: %v", err)
	}
	ids, err := LoadIdentities(filepath.Join(dir, AgeIdentityFile))
	if err != nil || len(ids) != 1 || ids[0].(*age.X25519Identity).Recipient().String() != ks.AgeRecipient {
		t.Errorf("age identity: %v", err)
	}
	if _, err := GenerateKeys(dir); err == nil {
		t.Error("GenerateKeys overwrote existing keys")
	}
	if err := os.Chmod(filepath.Join(dir, SigningKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigningKey(filepath.Join(dir, SigningKeyFile)); !errors.Is(err, ErrBadKey) {
		t.Errorf("a signing key readable by others: err = %v, want ErrBadKey", err)
	}
}

// TestSealVerify seals a small package without the warehouse and checks it
// round trips, and that a change to any byte of its files is named.
func TestSealVerify(t *testing.T) {
	stage := t.TempDir()
	files := map[string]string{"bundle.json": `{"type":"bundle"}`, "listings.csv": "a,b\n1,2\n", "request/request.md": "# DRAFT\n",
		"evidence/" + strings.Repeat("ab", 32) + ".warc.gz": "\x1f\x8bwarc"}
	for name, data := range files {
		p := filepath.Join(stage, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	id, _ := age.GenerateX25519Identity()
	entries, err := listFiles(stage)
	if err != nil {
		t.Fatal(err)
	}
	if entries[0].Path != "bundle.json" {
		t.Errorf("first file %s, want bundle.json", entries[0].Path)
	}
	m := &Manifest{Format: Format, PackageID: "p1", Created: time.Unix(1_800_000_000, 0).UTC(),
		Creator: Creator{SigningKey: FormatPublicKey(pub)}, Files: entries, Counts: map[string]uint64{}}
	for _, enc := range []bool{false, true} {
		var buf bytes.Buffer
		var rcpt age.Recipient
		var ids []age.Identity
		if enc {
			rcpt, ids = id.Recipient(), []age.Identity{id}
		}
		if err := seal(&buf, stage, m, priv, rcpt); err != nil {
			t.Fatal(err)
		}
		res, err := Verify(bytes.NewReader(buf.Bytes()), VerifyOptions{Key: pub, Identities: ids})
		if err != nil || res.Files != len(files) || res.Encrypted != enc {
			t.Fatalf("encrypted=%v: %v, %+v", enc, err, res)
		}
		out := filepath.Join(t.TempDir(), "open")
		if _, err := Verify(bytes.NewReader(buf.Bytes()), VerifyOptions{Key: pub, Identities: ids, Dir: out}); err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
			if err != nil || string(b) != data {
				t.Errorf("unpacked %s = %q, %v", name, b, err)
			}
		}
		var got Manifest
		b, _ := os.ReadFile(filepath.Join(out, ManifestFile))
		if err := json.Unmarshal(b, &got); err != nil || got.PackageID != "p1" {
			t.Errorf("unpacked manifest: %v", err)
		}
		if enc {
			continue
		}
		raw := buf.Bytes()
		offsets, _ := entryOffsets(t, raw)
		for name, off := range offsets {
			for _, pos := range []int64{0, off[1] - 1} {
				bad := append([]byte(nil), raw...)
				bad[off[0]+pos] ^= 0x20
				_, err := Verify(bytes.NewReader(bad), VerifyOptions{Key: pub})
				if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), name) {
					t.Errorf("byte %d of %s changed: %v", pos, name, err)
				}
			}
		}
	}
}

// TestTLPMarkingsAreOfficial compares the built-in marking-definitions with
// the OASIS TLP 2.0 objects in shared/stix2-schemas/tlp-2.0.
func TestTLPMarkingsAreOfficial(t *testing.T) {
	dir := stixSchemaDir(t)
	for label := range tlpMarkings {
		b, err := os.ReadFile(filepath.Join(dir, "tlp-2.0", "tlp-"+strings.ReplaceAll(label, "+", "-")+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var want, got any
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(tlpMarking(label))
		_ = json.Unmarshal(js, &got)
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		if !bytes.Equal(wj, gj) {
			t.Errorf("%s:\n got %s\nwant %s", label, gj, wj)
		}
	}
}
