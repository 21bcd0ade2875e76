package reference

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/configs"
)

// ErrBadData marks a reference file that does not parse or contradicts
// itself (unknown country code, missing column).
var ErrBadData = errors.New("bad reference data")

// Treaty and regime ids used in Membership.Treaty.
const (
	Budapest          = "budapest"           // Convention on Cybercrime, ETS 185
	BudapestProtocol2 = "budapest_protocol2" // Second Additional Protocol, CETS 224
	EU                = "eu"                 // EU member state
	Schengen          = "schengen"           // applies the Schengen acquis
	EIO               = "eio"                // bound by Directive 2014/41/EU
	EAW               = "eaw"                // operates the European Arrest Warrant
	Europol           = "europol"            // Europol relation (member or agreement)
	UNTOC             = "untoc"              // UN Convention against Transnational Organized Crime
	Vienna1988        = "vienna1988"         // UN Convention against Illicit Traffic in Narcotic Drugs 1988
	CoEMLA            = "coe_ets030"         // European Convention on Mutual Assistance in Criminal Matters 1959
	CoEMLAProtocol1   = "coe_ets099"         // its Additional Protocol (1978)
	CoEMLAProtocol2   = "coe_ets182"         // its Second Additional Protocol (2001)
	CoESea            = "coe_ets156"         // CoE Agreement on Illicit Traffic by Sea
)

// UNTOC statuses of a country. The reference file lists only the states
// that were not parties in 2017, so every other country is presumed a party.
const (
	UNTOCParty     = "party"
	UNTOCPresumed  = "presumed"
	UNTOCUncertain = "uncertain"
	UNTOCNonParty  = "nonparty"
)

// ViennaPresumed is the 1988 Drug Convention status of a country
// vienna1988_parties.csv does not list.
const ViennaPresumed = "presumed"

// Files are the reference files Load reads, relative to the root of its FS.
var Files = []string{
	"iso3166.csv", "regions.yaml", "budapest_convention.csv", "budapest_protocol2.csv",
	"eu_cooperation.csv", "untoc_nonparties.csv", "vienna1988_parties.csv", "coe_mla_1959.csv", "coe_sea_ets156.csv",
	"eu_uk_tca.csv",
}

// Country is one ISO 3166-1 entry with the regimes it takes part in.
type Country struct {
	ISO2, ISO3, Numeric string
	Name                string
	// Region, SubRegion and IntermediateRegion are the UN M49 groupings
	// (empty for TW and AQ).
	Region, SubRegion, IntermediateRegion string

	EUMember, Schengen, EIO, EAW bool
	// Europol is the relation with Europol: member, operational_agreement,
	// strategic_agreement, working_arrangement, eu_uk_tca, or "" for none.
	Europol string
	// Budapest is party, signatory or "" (ETS 185); BudapestInForce its
	// entry-into-force date (YYYY-MM-DD, "" when unknown). BudapestUncertain
	// is set when the file flags the row UNCERTAIN or it rests on recall only.
	Budapest          string
	BudapestInForce   string
	BudapestUncertain bool
	// BudapestP2 is party (ratified), signatory or "" (CETS 224);
	// BudapestP2InForce is "" while the Protocol is not in force.
	BudapestP2        string
	BudapestP2InForce string
	// UNTOC is one of the UNTOC* statuses.
	UNTOC string
	// Vienna1988 is party, nonparty, uncertain or presumed (1988 Drug
	// Convention). The file lists only non-parties and a few recent
	// accessions: every UN member state it does not list is a party, but
	// it does not model dependent territories, so an unlisted country is
	// presumed a party.
	Vienna1988 string
	// CoEMLA, CoEMLA99 and CoEMLA182 are the country's status under ETS
	// 030, 099 and 182 as coe_mla_1959.csv gives it: party, signatory,
	// not_party, UNCERTAIN, or "" when the file does not list it.
	CoEMLA, CoEMLA99, CoEMLA182 string
	// CoEMLABasis are the source tags of the country's coe_mla_1959.csv row.
	CoEMLABasis string
	// CoESea is set for parties to ETS 156 (illicit traffic by sea).
	CoESea bool
}

// Region is a shipping-region string group of regions.yaml: our own mapping
// of what vendors write ("EU", "Scandinavia") to alpha-2 codes.
type Region struct {
	Name    string
	Aliases []string
	Rule    string
	Codes   []string
	Extras  []string // common_usage_extras: codes vendors often mean, not certain
}

// Membership is one row of a treaty or regime file: a country's standing
// with its dates, how it was checked and whether it is uncertain.
type Membership struct {
	Treaty                    string
	ISO2                      string
	Status                    string
	Signed, Ratified, InForce string // YYYY-MM-DD or ""
	Basis                     string // how the row was checked (see SOURCES.md)
	Note                      string
	Uncertain                 bool
	File                      string // reference file the row came from
}

// Data is the parsed reference data.
type Data struct {
	Countries   []Country // in ISO file order
	Regions     []Region  // by name
	Memberships []Membership
	Catalog     []Channel // the cooperation channel catalog (see Catalog)
	// TCA are the rule rows of eu_uk_tca.csv: the legal bases between the
	// United Kingdom and the EU member states.
	TCA []TCARule
	// Partners is the partner directory; Load leaves it empty (see
	// LoadPartners).
	Partners []Partner
	// SHA256 is the hash of every file read, so a loader can tell whether
	// the data changed since it last wrote it.
	SHA256 string

	byISO map[string]int
}

// Country returns the country with alpha-2 code iso2.
func (d *Data) Country(iso2 string) (Country, bool) {
	i, ok := d.byISO[strings.ToUpper(iso2)]
	if !ok {
		return Country{}, false
	}
	return d.Countries[i], true
}

// Default loads the reference data embedded from configs/reference.
func Default() (*Data, error) {
	sub, err := fs.Sub(configs.Reference, "reference")
	if err != nil {
		return nil, fmt.Errorf("loading reference data: %w", err)
	}
	return Load(sub)
}

// Load reads the Files at the root of fsys and joins them into Data.
func Load(fsys fs.FS) (*Data, error) {
	h := sha256.New()
	raw := map[string][]byte{}
	for _, name := range Files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("loading reference data: %w", err)
		}
		raw[name] = b
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	d := &Data{byISO: map[string]int{}, Catalog: Catalog()}
	if err := d.parseISO(raw["iso3166.csv"]); err != nil {
		return nil, err
	}
	if err := d.parseRegions(raw["regions.yaml"]); err != nil {
		return nil, err
	}
	steps := []struct {
		name  string
		parse func([]string, map[string]int) (Membership, error)
	}{
		{"budapest_convention.csv", d.budapestRow},
		{"budapest_protocol2.csv", d.protocol2Row},
		{"untoc_nonparties.csv", d.untocRow},
	}
	for _, s := range steps {
		if err := d.parseTreaty(s.name, raw[s.name], s.parse); err != nil {
			return nil, err
		}
	}
	if err := d.parseEU(raw["eu_cooperation.csv"]); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name  string
		parse func([]string, map[string]int) (Membership, error)
	}{
		{"vienna1988_parties.csv", d.viennaRow},
		{"coe_mla_1959.csv", d.coeMLARow},
		{"coe_sea_ets156.csv", d.seaRow},
	} {
		if err := d.parseTreaty(s.name, raw[s.name], s.parse); err != nil {
			return nil, err
		}
	}
	if err := d.parseTCA(raw["eu_uk_tca.csv"]); err != nil {
		return nil, err
	}
	for i := range d.Countries {
		if d.Countries[i].UNTOC == "" {
			d.Countries[i].UNTOC = UNTOCPresumed
		}
		if d.Countries[i].Vienna1988 == "" {
			d.Countries[i].Vienna1988 = ViennaPresumed
		}
	}
	d.SHA256 = hex.EncodeToString(h.Sum(nil))
	return d, nil
}

// readCSV reads a reference CSV: '#' lines are comments, the first record
// is the header, every record has its width. It returns the rows and the
// column index by name, checking that want are present.
func readCSV(name string, b []byte, want ...string) ([][]string, map[string]int, error) {
	r := csv.NewReader(strings.NewReader(string(b)))
	r.Comment = '#'
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w: %w", name, ErrBadData, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, w := range want {
		if _, ok := col[w]; !ok {
			return nil, nil, fmt.Errorf("reading %s: %w: no column %q", name, ErrBadData, w)
		}
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w: %w", name, ErrBadData, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		rows = append(rows, rec)
	}
	return rows, col, nil
}

func (d *Data) parseISO(b []byte) error {
	rows, c, err := readCSV("iso3166.csv", b, "name", "alpha-2", "alpha-3", "country-code", "region", "sub-region", "intermediate-region")
	if err != nil {
		return err
	}
	for i, r := range rows {
		code := r[c["alpha-2"]]
		if len(code) != 2 {
			return fmt.Errorf("reading iso3166.csv: %w: row %d: alpha-2 %q", ErrBadData, i+2, code)
		}
		d.byISO[code] = len(d.Countries)
		d.Countries = append(d.Countries, Country{
			ISO2: code, ISO3: r[c["alpha-3"]], Numeric: r[c["country-code"]], Name: r[c["name"]],
			Region: r[c["region"]], SubRegion: r[c["sub-region"]], IntermediateRegion: r[c["intermediate-region"]],
		})
	}
	return nil
}

func (d *Data) parseRegions(b []byte) error {
	var f struct {
		Regions map[string]struct {
			Aliases []string `yaml:"aliases"`
			Rule    string   `yaml:"rule"`
			Codes   []string `yaml:"codes"`
			Extras  []string `yaml:"common_usage_extras"`
		} `yaml:"regions"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("reading regions.yaml: %w: %w", ErrBadData, err)
	}
	for name, r := range f.Regions {
		d.Regions = append(d.Regions, Region{Name: name, Aliases: r.Aliases, Rule: r.Rule, Codes: r.Codes, Extras: r.Extras})
	}
	sort.Slice(d.Regions, func(i, j int) bool { return d.Regions[i].Name < d.Regions[j].Name })
	return nil
}

// uncertain reports whether a row's basis or note flags it as unverified.
func uncertain(basis, note string) bool {
	return strings.Contains(note, "UNCERTAIN") || strings.Contains(note, "[recall") ||
		basis == "recall" || basis == ""
}

func (d *Data) parseTreaty(name string, b []byte, row func([]string, map[string]int) (Membership, error)) error {
	rows, c, err := readCSV(name, b, "iso2")
	if err != nil {
		return err
	}
	for i, r := range rows {
		m, err := row(r, c)
		if err != nil {
			return fmt.Errorf("reading %s: row %d: %w", name, i+1, err)
		}
		if _, ok := d.byISO[m.ISO2]; !ok {
			return fmt.Errorf("reading %s: row %d: %w: unknown country %q", name, i+1, ErrBadData, m.ISO2)
		}
		m.File = name
		d.Memberships = append(d.Memberships, m)
	}
	return nil
}

func field(r []string, c map[string]int, name string) string {
	i, ok := c[name]
	if !ok || i >= len(r) {
		return ""
	}
	return r[i]
}

func (d *Data) budapestRow(r []string, c map[string]int) (Membership, error) {
	m := Membership{Treaty: Budapest, ISO2: field(r, c, "iso2"), Status: field(r, c, "status"),
		Signed: field(r, c, "signed"), Ratified: field(r, c, "ratified"), InForce: field(r, c, "in_force"),
		Basis: field(r, c, "basis"), Note: field(r, c, "note")}
	if m.Status != "party" && m.Status != "signatory" {
		return m, fmt.Errorf("%w: status %q, want party or signatory", ErrBadData, m.Status)
	}
	m.Uncertain = uncertain(m.Basis, m.Note)
	if i, ok := d.byISO[m.ISO2]; ok {
		ct := &d.Countries[i]
		ct.Budapest, ct.BudapestInForce, ct.BudapestUncertain = m.Status, m.InForce, m.Uncertain
	}
	return m, nil
}

func (d *Data) protocol2Row(r []string, c map[string]int) (Membership, error) {
	m := Membership{Treaty: BudapestProtocol2, ISO2: field(r, c, "iso2"), Status: "signatory",
		Signed: field(r, c, "signed"), Ratified: field(r, c, "ratified"), InForce: field(r, c, "in_force"),
		Basis: field(r, c, "basis"), Note: field(r, c, "note")}
	if m.Ratified != "" {
		m.Status = "party"
	}
	m.Uncertain = uncertain(m.Basis, m.Note)
	if i, ok := d.byISO[m.ISO2]; ok {
		d.Countries[i].BudapestP2, d.Countries[i].BudapestP2InForce = m.Status, m.InForce
	}
	return m, nil
}

func (d *Data) untocRow(r []string, c map[string]int) (Membership, error) {
	m := Membership{Treaty: UNTOC, ISO2: field(r, c, "iso2"), Basis: field(r, c, "basis"), Note: field(r, c, "note")}
	switch s := field(r, c, "current_status"); s {
	case "party":
		m.Status = UNTOCParty
	case "UNCERTAIN":
		m.Status, m.Uncertain = UNTOCUncertain, true
	case "nonparty", "no":
		m.Status = UNTOCNonParty
	default:
		return m, fmt.Errorf("%w: current_status %q", ErrBadData, s)
	}
	m.Uncertain = m.Uncertain || uncertain(m.Basis, m.Note)
	if i, ok := d.byISO[m.ISO2]; ok {
		d.Countries[i].UNTOC = m.Status
	}
	return m, nil
}

func (d *Data) parseEU(b []byte) error {
	const name = "eu_cooperation.csv"
	rows, c, err := readCSV(name, b, "iso2", "eu_member", "schengen", "eio", "eaw", "europol", "note")
	if err != nil {
		return err
	}
	for i, r := range rows {
		iso := field(r, c, "iso2")
		idx, ok := d.byISO[iso]
		if !ok {
			return fmt.Errorf("reading %s: row %d: %w: unknown country %q", name, i+1, ErrBadData, iso)
		}
		ct := &d.Countries[idx]
		note := field(r, c, "note")
		unc := uncertain("eu_cooperation", note)
		add := func(treaty, status string) {
			d.Memberships = append(d.Memberships, Membership{Treaty: treaty, ISO2: iso, Status: status,
				Basis: "eu_cooperation", Note: note, Uncertain: unc, File: name})
		}
		if ct.EUMember = field(r, c, "eu_member") == "yes"; ct.EUMember {
			add(EU, "member")
		}
		if ct.Schengen = field(r, c, "schengen") == "full"; ct.Schengen {
			add(Schengen, "full")
		}
		if ct.EIO = field(r, c, "eio") == "yes"; ct.EIO {
			add(EIO, "bound")
		}
		if ct.EAW = field(r, c, "eaw") == "yes"; ct.EAW {
			add(EAW, "bound")
		}
		if e := field(r, c, "europol"); e != "" && e != "none" {
			ct.Europol = e
			add(Europol, e)
		}
	}
	return nil
}
