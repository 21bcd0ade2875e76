package reference_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/reference"
)

func load(t *testing.T) *reference.Data {
	t.Helper()
	d, err := reference.Default()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoad(t *testing.T) {
	d := load(t)
	if len(d.Countries) != 249 {
		t.Errorf("%d countries, want 249", len(d.Countries))
	}
	count := func(treaty, status string) int {
		n := 0
		for _, m := range d.Memberships {
			if m.Treaty == treaty && (status == "" || m.Status == status) {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		treaty, status string
		want           int
	}{
		{reference.Budapest, "party", 78}, {reference.Budapest, "signatory", 2},
		{reference.BudapestProtocol2, "party", 3}, {reference.BudapestProtocol2, "", 52},
		{reference.EU, "", 27}, {reference.EIO, "", 25}, {reference.Schengen, "", 29},
		{reference.UNTOC, "", 9},
		{reference.Vienna1988, "nonparty", 7}, {reference.Vienna1988, "", 10},
		{reference.CoEMLA, "party", 49}, {reference.CoEMLA, "", 50},
		{reference.CoEMLAProtocol2, "party", 41}, {reference.CoESea, "party", 16},
	} {
		if got := count(tc.treaty, tc.status); got != tc.want {
			t.Errorf("%s %s: %d rows, want %d", tc.treaty, tc.status, got, tc.want)
		}
	}
	for _, tc := range []struct {
		iso  string
		want func(reference.Country) bool
		desc string
	}{
		{"DE", func(c reference.Country) bool {
			return c.EUMember && c.EIO && c.Europol == "member" && c.Budapest == "party"
		}, "EU, EIO, Europol member, Budapest party"},
		{"DK", func(c reference.Country) bool { return c.EUMember && !c.EIO && c.Europol == "operational_agreement" }, "EU without EIO"},
		{"IE", func(c reference.Country) bool { return c.EUMember && !c.EIO && c.Budapest == "signatory" }, "EU without EIO, Budapest signatory"},
		{"EC", func(c reference.Country) bool { return c.Budapest == "party" && c.BudapestUncertain }, "Budapest party flagged UNCERTAIN"},
		{"BT", func(c reference.Country) bool { return c.UNTOC == reference.UNTOCParty }, "UNTOC party since 2023"},
		{"IR", func(c reference.Country) bool { return c.UNTOC == reference.UNTOCUncertain }, "UNTOC uncertain"},
		{"FR", func(c reference.Country) bool { return c.UNTOC == reference.UNTOCPresumed }, "UNTOC presumed"},
		{"RS", func(c reference.Country) bool { return c.BudapestP2 == "party" && c.BudapestP2InForce == "" }, "Protocol 2 ratified, not in force"},
		{"NA", func(c reference.Country) bool { return c.Name == "Namibia" }, "NA is Namibia"},
		{"NZ", func(c reference.Country) bool { return c.Budapest == "party" && c.BudapestInForce == "2025-12-01" }, "Budapest party since 2025"},
		{"GB", func(c reference.Country) bool {
			return c.Budapest == "party" && !c.BudapestUncertain && c.CoEMLA == "party" && c.CoEMLA182 == "party" && c.Vienna1988 == reference.ViennaPresumed && !c.CoESea
		}, "Budapest party (verified), ETS 030 and 182 party, 1988 party (unlisted: presumed), not ETS 156"},
		{"PW", func(c reference.Country) bool { return c.Vienna1988 == "party" }, "1988 Convention party since 2019"},
		{"NL", func(c reference.Country) bool { return c.Budapest == "party" && !c.BudapestUncertain && c.CoESea }, "Budapest party (verified), ETS 156 party"},
		{"KI", func(c reference.Country) bool { return c.Vienna1988 == "nonparty" }, "not a 1988 Convention party"},
		{"SS", func(c reference.Country) bool { return c.Vienna1988 == "uncertain" }, "1988 Convention status uncertain"},
		{"ME", func(c reference.Country) bool { return c.CoEMLA == "party" && c.CoEMLA182 == "not_party" }, "ETS 030 without ETS 182"},
	} {
		c, ok := d.Country(tc.iso)
		if !ok || !tc.want(c) {
			t.Errorf("%s: %+v, want %s", tc.iso, c, tc.desc)
		}
	}
	var eu reference.Region
	for _, r := range d.Regions {
		if r.Name == "eu" {
			eu = r
		}
	}
	if len(eu.Codes) != 27 {
		t.Errorf("region eu has %d codes, want 27", len(eu.Codes))
	}
	if len(d.SHA256) != 64 {
		t.Errorf("SHA256 %q", d.SHA256)
	}
}

// TestChannels: Channels gives the bases LegalBases gives, in its order,
// those that need the data held in the partner state marked so.
func TestChannels(t *testing.T) {
	d := load(t)
	ids := func(a, b string) []string {
		var out []string
		for _, r := range d.Channels(a, b) {
			if r.Reason == "" || r.Instrument == "" {
				t.Errorf("%s-%s %s: no reason or instrument", a, b, r.Channel)
			}
			s := r.Channel
			if r.Primary {
				s += " primary"
			}
			if r.Uncertain {
				s += " uncertain"
			}
			if r.DataHeldOnly {
				s += " held"
			}
			out = append(out, s)
		}
		return out
	}
	for _, tc := range []struct {
		name, a, b string
		want       []string
	}{
		{"EIO states", "NL", "ES", []string{"eio primary", "vienna1988_art7 uncertain", "budapest_preservation held", "coordination"}},
		{"EU and UK", "DE", "GB", []string{"eu_uk_tca primary", "coe_mla_1959 uncertain", "vienna1988_art7 uncertain", "budapest_preservation held", "coordination uncertain"}},
		{"UK and EU", "GB", "NL", []string{"eu_uk_tca primary", "coe_mla_1959 uncertain", "vienna1988_art7 uncertain", "budapest_preservation held", "coordination uncertain"}},
		{"EU and US: no 1959 Convention", "FR", "US", []string{"vienna1988_art7 primary uncertain", "budapest_preservation held", "bilateral_treaty uncertain", "untoc_art18 uncertain", "coordination"}},
		{"UK and US", "GB", "US", []string{"vienna1988_art7 primary uncertain", "budapest_preservation held", "bilateral_treaty uncertain", "untoc_art18 uncertain", "coordination"}},
		{"1959 Convention without EIO", "DE", "DK", []string{"coe_mla_1959 primary uncertain", "vienna1988_art7 uncertain", "budapest_preservation held", "coordination"}},
		{"1959 Convention, no Second Protocol", "DE", "ME", []string{"coe_mla_1959 primary uncertain", "vienna1988_art7 uncertain", "budapest_preservation held", "coordination"}},
		{"1959 party status uncertain", "RU", "DE", []string{"coe_mla_1959 uncertain", "vienna1988_art7 primary uncertain", "bilateral_treaty uncertain", "untoc_art18 uncertain", "coordination"}},
		{"1988 Convention and UNTOC only", "IR", "US", []string{"vienna1988_art7 primary uncertain", "bilateral_treaty uncertain", "untoc_art18 uncertain", "coordination"}},
		{"not a 1988 party", "DE", "KI", []string{"budapest_preservation held", "bilateral_treaty primary uncertain", "untoc_art18 uncertain", "coordination"}},
		{"same country", "DE", "DE", nil},
		{"unknown code", "DE", "ZZ", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tc.a, tc.b); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Channels(%s, %s) =\n\t%v\nwant\n\t%v", tc.a, tc.b, got, tc.want)
			}
		})
	}
	// Every basis named is in the catalog, in rank order, and Channels is
	// LegalBases: all of it when the data is held there, without the
	// DataHeldOnly bases otherwise.
	for _, a := range d.Countries {
		for _, b := range []string{"US", "GB", "DE", "KI", "TW", "AQ"} {
			last := uint8(0)
			var held, notHeld []reference.Basis
			for _, r := range d.Channels(a.ISO2, b) {
				if r.Rank <= last || r.Channel != r.ID || r.Uncertain != r.Basis.Uncertain() {
					t.Fatalf("%s-%s: channel %s (rank %d) out of the catalog or out of order", a.ISO2, b, r.Channel, r.Rank)
				}
				last = r.Rank
				held = append(held, r.Basis)
				if !r.DataHeldOnly {
					notHeld = append(notHeld, r.Basis)
				}
			}
			if !reflect.DeepEqual(held, d.LegalBases(a.ISO2, b, true)) || !reflect.DeepEqual(notHeld, d.LegalBases(a.ISO2, b, false)) {
				t.Fatalf("%s-%s: Channels is not LegalBases", a.ISO2, b)
			}
		}
	}
}

// TestFactsFlagged: what the reference data does not settle is flagged,
// with the reason, never asserted.
func TestFactsFlagged(t *testing.T) {
	d := load(t)
	find := func(a, b, id string) reference.Basis {
		for _, bs := range d.LegalBases(a, b, true) {
			if bs.ID == id {
				return bs
			}
		}
		t.Fatalf("%s-%s: no %s", a, b, id)
		return reference.Basis{}
	}
	for _, tc := range []struct {
		a, b, id, want string
	}{
		{"TW", "US", "untoc_art18", "the party status of Taiwan and the United States is inferred"},
		{"AQ", "US", "vienna1988_art7", "the party status of Antarctica and the United States is inferred"},
		{"RU", "DE", "coe_mla_1959", "Russia's party status under the 1959 Convention is not verified"},
		{"DE", "ME", "coe_mla_1959", "Montenegro was not a party to the Second Additional Protocol"},
		{"SS", "DE", "vienna1988_art7", "South Sudan's party status is not verified"},
		{"DE", "GB", "coe_mla_1959", "Additional Protocol (ETS No. 099) is not verified"},
	} {
		bs := find(tc.a, tc.b, tc.id)
		if !strings.Contains(strings.Join(bs.Unverified, "; "), tc.want) {
			t.Errorf("%s-%s %s: unverified %q, want %q", tc.a, tc.b, tc.id, bs.Unverified, tc.want)
		}
	}
	if bs := find("RU", "DE", "coe_mla_1959"); bs.Primary {
		t.Error("RU-DE: the 1959 Convention is the instrument of the request while Russia's status is not verified")
	}
	// Taiwan is not a 1988 party: no Art. 7 with it; a treaty to name and
	// UNTOC (inferred) instead.
	for _, bs := range d.LegalBases("TW", "US", true) {
		if bs.ID == "vienna1988_art7" {
			t.Error("TW-US: 1988 Convention named, but vienna1988_parties.csv lists Taiwan as a non-party")
		}
	}
}

func TestParsePartners(t *testing.T) {
	ps, err := reference.LoadPartners("../../configs/partners.yaml", load(t))
	if err != nil {
		t.Fatalf("configs/partners.yaml: %v", err)
	}
	if len(ps) != 4 {
		t.Errorf("%d partners, want 4", len(ps))
	}
	for _, p := range ps {
		if _, err := p.PublicKey(); err != nil {
			t.Error(err)
		}
		if reference.TLPRank(p.MaxTLP) < 0 {
			t.Errorf("%s: TLP %q", p.ID, p.MaxTLP)
		}
	}

	_, err = reference.LoadPartners("testdata/partners.bad.yaml", load(t))
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *config.Error", err)
	}
	want := []string{
		`testdata/partners.bad.yaml:2: partners[0].id: "Bad_ID": use lower-case letters, digits and '-'`,
		`testdata/partners.bad.yaml:4: partners[0].country: "XX" is not an ISO 3166-1 alpha-2 code`,
		`testdata/partners.bad.yaml:6: partners[0].signing_key: not an ed25519 public key (base64 of 32 bytes)`,
		`testdata/partners.bad.yaml:7: partners[0].encryption_key: not an age X25519 recipient (age1...)`,
		`testdata/partners.bad.yaml:8: partners[0].max_tlp: "orange": want one of clear, green, amber, amber+strict, red`,
		`testdata/partners.bad.yaml:9: partners[0].excluded_fields[1]: want a field name like listing_obs.description or contacts, got "Bad Field"`,
		`testdata/partners.bad.yaml:16: partners[1].colour: unknown key; a partner has: id, agency, country, contact, signing_key, encryption_key, max_tlp, excluded_fields`,
		`testdata/partners.bad.yaml:17: partners[2].agency: missing`,
		`testdata/partners.bad.yaml:17: partners[2].contact: missing`,
		`testdata/partners.bad.yaml:17: partners[2].id: id "dup" already used at line 10`,
		`testdata/partners.bad.yaml:18: partners[2].country: "de" is not an ISO 3166-1 alpha-2 code`,
	}
	got := strings.Split(err.Error(), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParsePartners(f *testing.F) {
	f.Add([]byte("partners:\n  - id: a\n    agency: b\n"))
	f.Add([]byte("partners: [1, {id: [x]}]\n"))
	f.Add([]byte("x: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := reference.ParsePartners("f.yaml", b, nil)
		if err == nil {
			for _, p := range ps {
				if p.ID == "" || reference.TLPRank(p.MaxTLP) < 0 {
					t.Fatalf("accepted an invalid partner %+v", p)
				}
			}
		}
	})
}

// TestParsePartnersKeys checks the checks ParsePartners adds to decoding:
// an encryption key is one age can encrypt to, and a second partners list
// is an error rather than a replacement of the first.
func TestParsePartnersKeys(t *testing.T) {
	const (
		recipient = "age1rrsuqkpk95275mltkrnaqtherpnv7wh4tfm7kqt24w8rpcer4u9sc0vlje"
		entry     = "  - id: %s\n    agency: A\n    country: DE\n    contact: c\n" +
			"    signing_key: \"+dBXY+oP5J/h+bmnU1Vz90p/ExidO2RJ3/2b+4HMjnk=\"\n    max_tlp: red\n"
	)
	for _, tc := range []struct {
		name, key string
		ok        bool
	}{
		{"valid", recipient, true},
		{"checksum", recipient[:len(recipient)-1] + "q", false},
		{"upper case", strings.ToUpper(recipient), false},
		{"too short", recipient[:len(recipient)-8], false},
		{"not bech32", "age1notarecipient", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "partners:\n" + fmt.Sprintf(entry, "p1") + "    encryption_key: " + tc.key + "\n"
			ps, err := reference.ParsePartners("p.yaml", []byte(doc), nil)
			if tc.ok {
				if err != nil || len(ps) != 1 || ps[0].EncryptionKey != tc.key {
					t.Fatalf("ParsePartners = %+v, %v; want the partner with its key", ps, err)
				}
				return
			}
			want := "p.yaml:8: partners[0].encryption_key: not an age X25519 recipient (age1...)"
			if err == nil || err.Error() != want {
				t.Errorf("err = %v, want %s", err, want)
			}
		})
	}

	doc := "partners:\n" + fmt.Sprintf(entry, "first") + "partners:\n" + fmt.Sprintf(entry, "second")
	ps, err := reference.ParsePartners("p.yaml", []byte(doc), nil)
	if want := "p.yaml:8: partners: key already set at line 1"; err == nil || err.Error() != want {
		t.Errorf("two partners lists: %+v, %v; want the error %s", ps, err, want)
	}
}

// TestMisspelledExcludedFieldFails: an exclusion that names no field would
// exclude nothing; it is an error at its line.
func TestMisspelledExcludedFieldFails(t *testing.T) {
	doc := "partners:\n  - id: nca-gb\n    agency: NCA\n    country: GB\n    contact: desk\n" +
		"    signing_key: \"DtR2V72xctsxfNs2XgSmrxB0QUdLWmSCZtaqOKYfctM=\"\n    max_tlp: amber\n" +
		"    excluded_fields:\n      - listing_obs.description\n      - listing_obs.descripton\n      - contact\n      - post_obs.body\n"
	_, err := reference.ParsePartners("p.yaml", []byte(doc), nil)
	if err == nil {
		t.Fatal("a misspelled excluded field was accepted")
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != 2 || !strings.HasPrefix(got[0], `p.yaml:10: partners[0].excluded_fields[1]: "listing_obs.descripton" is no field of a package`) ||
		!strings.HasPrefix(got[1], `p.yaml:11: partners[0].excluded_fields[2]: "contact" is no field`) {
		t.Errorf("errors:\n%s", err)
	}
}

// TestLegalBases: the legal basis follows the two states for a
// drug-trafficking request.
func TestLegalBases(t *testing.T) {
	d := load(t)
	ids := func(a, b string, holds bool) (out []string, primary string) {
		for _, bs := range d.LegalBases(a, b, holds) {
			out = append(out, bs.ID)
			if bs.Primary && primary == "" {
				primary = bs.ID
			}
			if bs.Why == "" || bs.Instrument == "" {
				t.Errorf("%s-%s %s: no reason or instrument", a, b, bs.ID)
			}
		}
		return out, primary
	}
	for _, tc := range []struct {
		name, a, b string
		holds      bool
		want       []string
		primary    string
	}{
		{"EIO states", "NL", "ES", true, []string{"eio", "vienna1988_art7", "budapest_preservation", "coordination"}, "eio"},
		{"EU and UK", "DE", "GB", true, []string{"eu_uk_tca", "coe_mla_1959", "vienna1988_art7", "budapest_preservation", "coordination"}, "eu_uk_tca"},
		{"UK and EU", "GB", "NL", false, []string{"eu_uk_tca", "coe_mla_1959", "vienna1988_art7", "coordination"}, "eu_uk_tca"},
		{"EU and Denmark", "DE", "DK", true, []string{"coe_mla_1959", "vienna1988_art7", "budapest_preservation", "coordination"}, "coe_mla_1959"},
		{"Ireland, no Budapest", "DE", "IE", true, []string{"coe_mla_1959", "vienna1988_art7", "coordination"}, "coe_mla_1959"},
		{"no data held there", "NL", "ES", false, []string{"eio", "vienna1988_art7", "coordination"}, "eio"},
		{"bilateral gap", "DE", "US", true, []string{"vienna1988_art7", "budapest_preservation", "bilateral_treaty", "untoc_art18", "coordination"}, "vienna1988_art7"},
		{"not a 1988 party", "DE", "KI", false, []string{"bilateral_treaty", "untoc_art18", "coordination"}, "bilateral_treaty"},
	} {
		got, primary := ids(tc.a, tc.b, tc.holds)
		if !reflect.DeepEqual(got, tc.want) || primary != tc.primary {
			t.Errorf("%s: LegalBases(%s, %s) = %v (primary %s), want %v (primary %s)", tc.name, tc.a, tc.b, got, primary, tc.want, tc.primary)
		}
	}
	// Party status of GB and NL under Budapest is verified: no doubt shown.
	for _, bs := range d.LegalBases("NL", "GB", true) {
		if bs.ID == "budapest_preservation" && len(bs.Unverified) > 0 {
			t.Errorf("Budapest NL-GB flagged unverified: %v", bs.Unverified)
		}
		if strings.Contains(bs.Why, "Kingdom of") || strings.Contains(bs.Why, "Netherlands,") {
			t.Errorf("ISO names in prose: %q", bs.Why)
		}
	}
	if n := d.CountryName("NL"); n != "the Netherlands" {
		t.Errorf("CountryName(NL) = %q", n)
	}
}
