package reference

import (
	"fmt"
	"strings"
)

// Legal basis ids, in the order LegalBases lists them.
const (
	BasisEIO         = "eio"
	BasisTCA         = "eu_uk_tca"
	BasisCoEMLA      = "coe_mla_1959"
	BasisVienna1988  = "vienna1988_art7"
	BasisBudapest    = "budapest_preservation"
	BasisUNTOC       = "untoc_art18"
	BasisBilateral   = "bilateral_treaty"
	BasisCoordinate  = "coordination"
	BasisLettersRog  = "letters_rogatory"
	annexAForm       = "Annex A form of the Directive"
	art7Unverified   = "the article number of Art. 7 (mutual legal assistance) rests on recall in the reference data (SOURCES.md): check it against the Convention's text"
	ets182Unverified = "the article numbers of the Second Additional Protocol (Art. 4 channels, Art. 18 controlled delivery, Art. 20 joint investigation teams) rest on recall in the reference data"
)

// Basis is one legal basis of a drug-trafficking request from a
// requesting to a requested state: the instrument and provisions to cite,
// what it serves in the request, why it applies between the two, the
// reference facts it rests on and which of them are not verified.
type Basis struct {
	ID         string   `json:"id"`
	Instrument string   `json:"instrument"`
	Provisions string   `json:"provisions"`
	Use        string   `json:"use"`
	Why        string   `json:"why"`
	Sources    string   `json:"sources"`
	Unverified []string `json:"unverified,omitempty"`
	// Gap marks a basis the reference data cannot name: the person
	// completing the request fills it in.
	Gap bool `json:"gap,omitempty"`
	// Primary marks the instrument the request is made under.
	Primary bool `json:"primary,omitempty"`
}

// LegalBases names the legal bases of a request for evidence in a
// drug-trafficking case from requesting to requested (alpha-2 codes), the
// instrument the request is made under first:
//   - the European Investigation Order between two states bound by the
//     Directive (all EU member states but Denmark and Ireland), on its
//     Annex A form;
//   - between the United Kingdom and an EU member state, the EU-UK Trade
//     and Cooperation Agreement's mutual-assistance title, supplementing
//     the 1959 Council of Europe Convention;
//   - otherwise the 1959 Council of Europe MLA Convention and its
//     Protocols where both are parties (direct transmission and joint
//     investigation teams under the Second Additional Protocol);
//   - the 1988 UN Drug Convention Art. 7 wherever both are parties;
//   - expedited preservation under the Budapest Convention (Art. 29, 35)
//     only when holdsData says the requested state can hold the data
//     sought, and both are parties;
//   - a bilateral treaty, as a gap to fill, where no European instrument
//     applies; UNTOC Art. 18 and letters rogatory after it.
//
// It returns nil for the same country twice or an unknown code.
func (d *Data) LegalBases(requesting, requested string, holdsData bool) []Basis {
	a, okA := d.Country(requesting)
	b, okB := d.Country(requested)
	if !okA || !okB || a.ISO2 == b.ISO2 {
		return nil
	}
	an, bn := CommonName(a), CommonName(b)
	both := an + " and " + bn
	var out []Basis
	eio := a.EIO && b.EIO
	tca := (a.ISO2 == "GB" && b.EUMember) || (b.ISO2 == "GB" && a.EUMember)
	coe := a.CoEMLA == "party" && b.CoEMLA == "party"
	if eio {
		out = append(out, Basis{ID: BasisEIO, Primary: true,
			Instrument: "Directive 2014/41/EU of the European Parliament and of the Council of 3 April 2014 regarding the European Investigation Order in criminal matters",
			Provisions: "Art. 1, 5 and 6 (issuing), Art. 11(1)(g) with Annex D (no dual-criminality check for illicit trafficking in narcotic drugs punishable by at least 3 years), Art. 32 (provisional measures: preservation); " + annexAForm,
			Use:        "the instrument of this request: an EIO issued or validated by a judicial authority on the Annex A form; between the two states it replaces the corresponding provisions of the 1959 Council of Europe Convention and its Protocols",
			Why:        both + " are both bound by the Directive (Denmark and Ireland do not take part in it)",
			Sources:    "eu_cooperation.csv (Directive 2014/41/EU; EJN implementation table)"})
	}
	if tca {
		rule, _ := d.TCARule("tca_mla")
		bs := Basis{ID: BasisTCA, Primary: !eio,
			Instrument: "EU-UK Trade and Cooperation Agreement, Part Three, Title VIII (Mutual assistance), supplementing the 1959 Council of Europe Convention and its Protocols",
			Provisions: rule.Provision,
			Use:        "the instrument of this request between the United Kingdom and an EU member state (the EIO no longer applies to the United Kingdom): a request on the TCA standard form",
			Why:        both + ": one is the United Kingdom, the other an EU member state; the TCA has applied since " + dmy(rule.AppliesFrom),
			Sources:    "eu_uk_tca.csv rule tca_mla (" + rule.Basis + ")"}
		for _, c := range []Country{a, b} {
			if c.ISO2 == "DK" || c.ISO2 == "IE" {
				bs.Unverified = append(bs.Unverified, "whether "+CommonName(c)+" takes part in each title of TCA Part Three is not verified in the reference data")
			}
		}
		if rule.Unverified {
			bs.Unverified = append(bs.Unverified, "the TCA rule row rests on recall")
		}
		out = append(out, bs)
	}
	if coe && !eio {
		out = append(out, coeBasis(a, b, both, tca))
	}
	if a.Vienna1988 != "nonparty" && b.Vienna1988 != "nonparty" {
		bs := Basis{ID: BasisVienna1988, Primary: !eio && !tca && !coe,
			Instrument: "United Nations Convention against Illicit Traffic in Narcotic Drugs and Psychotropic Substances (Vienna, 20 December 1988)",
			Provisions: "Art. 7 (mutual legal assistance) for the offences of Art. 3(1)",
			Use:        "treaty basis for assistance in drug-trafficking cases, cited beside the instrument of the request",
			Why:        both + " are both parties to the Convention",
			Sources:    "vienna1988_parties.csv (UN Treaty Collection chapter VI.19; INCB)",
			Unverified: []string{art7Unverified}}
		for _, c := range []Country{a, b} {
			if c.Vienna1988 == "uncertain" {
				bs.Unverified = append(bs.Unverified, CommonName(c)+"'s party status is not verified")
			}
		}
		out = append(out, bs)
	}
	if holdsData && a.Budapest == "party" && b.Budapest == "party" {
		bs := Basis{ID: BasisBudapest,
			Instrument: "Council of Europe Convention on Cybercrime (Budapest, ETS No. 185)",
			Provisions: "Art. 29 (expedited preservation of stored computer data), Art. 35 (24/7 network)",
			Use:        "immediate preservation, through the 24/7 contact point, of the data held in " + bn + " named in the request, pending its execution",
			Why:        both + " are both parties to the Convention, and the data sought is held in " + bn,
			Sources:    "budapest_convention.csv (Council of Europe Treaty Office chart 185)"}
		for _, c := range []Country{a, b} {
			if c.BudapestUncertain {
				bs.Unverified = append(bs.Unverified, CommonName(c)+"'s party status is not verified")
			}
		}
		out = append(out, bs)
	}
	if !eio && !tca && !coe {
		out = append(out, Basis{ID: BasisBilateral, Gap: true, Primary: a.Vienna1988 == "nonparty" || b.Vienna1988 == "nonparty",
			Instrument: "Bilateral mutual legal assistance treaty between " + both,
			Provisions: "[to complete: title, date and articles of the treaty, or confirmation from the central authority that none exists]",
			Use:        "the usual instrument of a request where no European instrument applies",
			Why:        "no European Investigation Order, EU-UK TCA or 1959 Council of Europe Convention between " + both,
			Sources:    "not in the reference data"})
		if a.UNTOC != UNTOCNonParty && b.UNTOC != UNTOCNonParty {
			bs := Basis{ID: BasisUNTOC,
				Instrument: "United Nations Convention against Transnational Organized Crime (Palermo, 2000)",
				Provisions: "Art. 18 (mutual legal assistance), where the trafficking involves an organized criminal group",
				Use:        "additional treaty basis for an organized trafficking network",
				Why:        both + " are parties to the Convention",
				Sources:    "untoc_nonparties.csv (UN Treaty Collection chapter XVIII-12)"}
			for _, c := range []Country{a, b} {
				if c.UNTOC == UNTOCUncertain {
					bs.Unverified = append(bs.Unverified, CommonName(c)+"'s party status is not verified")
				}
			}
			out = append(out, bs)
		}
	}
	if len(out) == 0 || (len(out) == 1 && out[0].Gap) {
		out = append(out, Basis{ID: BasisLettersRog,
			Instrument: "Letters rogatory (international comity, through diplomatic channels)",
			Provisions: "the requested state's domestic law",
			Use:        "the fallback where no treaty applies",
			Why:        "no treaty basis between " + both + " in the reference data",
			Sources:    "none"})
	}
	out = append(out, coordination(a, b, both, eio, tca))
	return out
}

// coeBasis is the 1959 Convention with the Protocols both states are
// parties to.
func coeBasis(a, b Country, both string, tca bool) Basis {
	bs := Basis{ID: BasisCoEMLA, Primary: !tca,
		Instrument: "European Convention on Mutual Assistance in Criminal Matters (Strasbourg, 1959, ETS No. 030)",
		Provisions: "Art. 1 (obligation to assist), Art. 3 (letters rogatory for evidence), Art. 14 (content of requests)",
		Use:        "the instrument of this request",
		Why:        both + " are both parties to the Convention",
		Sources:    "coe_mla_1959.csv (" + a.CoEMLABasis + "; " + b.CoEMLABasis + ")"}
	if tca {
		bs.Use = "the convention the TCA's mutual-assistance title supplements: cite it with the TCA"
	}
	switch {
	case a.CoEMLA99 == "party" && b.CoEMLA99 == "party":
		bs.Instrument += "; its Additional Protocol (1978, ETS No. 099)"
	case a.CoEMLA99 == "UNCERTAIN" || b.CoEMLA99 == "UNCERTAIN":
		bs.Unverified = append(bs.Unverified, "whether both states are parties to the Additional Protocol (ETS No. 099) is not verified; it is not needed for this request")
	}
	if a.CoEMLA182 == "party" && b.CoEMLA182 == "party" {
		bs.Instrument += "; its Second Additional Protocol (2001, ETS No. 182)"
		bs.Provisions += "; Second Additional Protocol Art. 4 (direct transmission between judicial authorities), Art. 18 (controlled deliveries), Art. 20 (joint investigation teams)"
		bs.Unverified = append(bs.Unverified, ets182Unverified)
	}
	return bs
}

// coordination names the police and judicial coordination open between
// the two states.
func coordination(a, b Country, both string, eio, tca bool) Basis {
	bs := Basis{ID: BasisCoordinate, Use: "coordination beside the request: police information exchange, judicial coordination, a joint investigation team"}
	switch {
	case a.EUMember && b.EUMember:
		bs.Instrument = "Europol (Regulation (EU) 2016/794) and Eurojust (Regulation (EU) 2018/1727); joint investigation teams (Framework Decision 2002/465/JHA)"
		bs.Provisions = "-"
		bs.Why = both + " are both EU member states"
		bs.Sources = "eu_cooperation.csv"
	case tca:
		bs.Instrument = "EU-UK TCA Part Three: cooperation with Europol and with Eurojust; joint investigation teams under the Second Additional Protocol to the 1959 Convention where both are parties"
		bs.Provisions = "TCA Title VI (Eurojust); Europol provisions of Part Three"
		bs.Why = both + ": the United Kingdom and an EU member state"
		bs.Sources = "eu_uk_tca.csv rules tca_europol, tca_eurojust"
		bs.Unverified = []string{"the title number of the TCA's Europol provisions rests on recall"}
	case a.Europol != "" || b.Europol != "":
		bs.Instrument = "Europol cooperation (Regulation (EU) 2016/794, agreements with third states)"
		bs.Provisions = "-"
		bs.Why = fmt.Sprintf("%s: Europol relation %s / %s", both, orNone(a.Europol), orNone(b.Europol))
		bs.Sources = "eu_cooperation.csv"
	default:
		bs.Instrument = "INTERPOL channels and liaison officers"
		bs.Provisions = "-"
		bs.Why = "no EU or Europol relation between " + both + " in the reference data"
		bs.Sources = "none"
	}
	_ = eio
	return bs
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return strings.ReplaceAll(s, "_", " ")
}

// dmy renders YYYY-MM-DD as 1 January 2021.
func dmy(iso string) string {
	var y, m, d int
	if _, err := fmt.Sscanf(iso, "%d-%d-%d", &y, &m, &d); err != nil || m < 1 || m > 12 {
		return iso
	}
	months := []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	return fmt.Sprintf("%d %s %d", d, months[m-1], y)
}

// commonNames are countries whose ISO name is not how people write them
// in a sentence.
var commonNames = map[string]string{
	"NL": "the Netherlands", "GB": "the United Kingdom", "US": "the United States", "CZ": "Czechia",
	"KR": "South Korea", "KP": "North Korea", "RU": "Russia", "IR": "Iran", "SY": "Syria", "VE": "Venezuela",
	"BO": "Bolivia", "TZ": "Tanzania", "MD": "Moldova", "TW": "Taiwan", "VN": "Vietnam", "LA": "Laos",
	"BN": "Brunei", "CD": "the Democratic Republic of the Congo", "CG": "the Republic of the Congo",
	"PH": "the Philippines", "AE": "the United Arab Emirates", "DO": "the Dominican Republic", "BS": "the Bahamas",
	"GM": "the Gambia", "CF": "the Central African Republic", "TR": "Türkiye", "PS": "Palestine",
	"VA": "the Holy See", "FM": "Micronesia", "MK": "North Macedonia", "CI": "Côte d'Ivoire", "KM": "the Comoros",
	"MH": "the Marshall Islands", "SB": "the Solomon Islands", "MV": "the Maldives", "SC": "Seychelles",
}

// CommonName is the country's name as people write it in a sentence
// ("the Netherlands", not "Netherlands, Kingdom of the").
func CommonName(c Country) string {
	if n, ok := commonNames[c.ISO2]; ok {
		return n
	}
	n := c.Name
	if i := strings.Index(n, " ("); i > 0 {
		n = n[:i]
	}
	if i := strings.Index(n, ", "); i > 0 {
		n = n[:i]
	}
	return n
}

// CountryName is CommonName of the country with the alpha-2 code, or the
// code itself when unknown.
func (d *Data) CountryName(iso2 string) string {
	if c, ok := d.Country(iso2); ok {
		return CommonName(c)
	}
	return iso2
}
