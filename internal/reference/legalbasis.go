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
	BasisBilateral   = "bilateral_treaty"
	BasisUNTOC       = "untoc_art18"
	BasisLettersRog  = "letters_rogatory"
	BasisCoordinate  = "coordination"
	annexAForm       = "Annex A form of the Directive"
	art7Unverified   = "the article number of Art. 7 (mutual legal assistance) rests on recall in the reference data (SOURCES.md): check it against the Convention's text"
	ets182Unverified = "the article numbers of the Second Additional Protocol (Art. 4 channels, Art. 18 controlled delivery, Art. 20 joint investigation teams) rest on recall in the reference data"
)

// The texts of a basis are built with these in place of the two states'
// names, so that one text serves every pair (see CooperationTable).
const (
	RequestingName = "{requesting}"
	RequestedName  = "{requested}"
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

// Uncertain reports whether the basis rests on facts the reference data
// does not verify, or is a gap to fill.
func (b Basis) Uncertain() bool { return b.Gap || len(b.Unverified) > 0 }

// rule is a Basis as the rules give it, its texts naming the two states
// RequestingName and RequestedName.
type rule struct {
	Basis
	// dataHeld is set for a basis that applies only where the requested
	// state holds the data sought (expedited preservation).
	dataHeld bool
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
//     investigation teams under the Second Additional Protocol); where one
//     party's status is uncertain, the Convention flagged as such, beside
//     the bases that apply without it;
//   - the 1988 UN Drug Convention Art. 7 wherever both are parties;
//   - expedited preservation under the Budapest Convention (Art. 29, 35)
//     only when holdsData says the requested state can hold the data
//     sought, and both are parties;
//   - a bilateral treaty, as a gap to fill, where no European instrument
//     applies; UNTOC Art. 18 then too, and letters rogatory where no
//     treaty applies at all;
//   - the police and judicial coordination open between the two.
//
// It returns nil for the same country twice or an unknown code. Channels
// and the warehouse's cooperation view give the same bases (see
// CooperationTable).
func (d *Data) LegalBases(requesting, requested string, holdsData bool) []Basis {
	a, b, ok := d.pair(requesting, requested)
	if !ok {
		return nil
	}
	fill := namer(a, b)
	var out []Basis
	for _, r := range d.rules(a, b) {
		if r.dataHeld && !holdsData {
			continue
		}
		out = append(out, fill(r.Basis))
	}
	return out
}

// pair looks up two distinct countries.
func (d *Data) pair(requesting, requested string) (a, b Country, ok bool) {
	a, okA := d.Country(requesting)
	b, okB := d.Country(requested)
	return a, b, okA && okB && a.ISO2 != b.ISO2
}

// namer puts the two states' names in a rule's texts.
func namer(a, b Country) func(Basis) Basis {
	r := strings.NewReplacer(RequestingName, CommonName(a), RequestedName, CommonName(b))
	return func(bs Basis) Basis {
		bs.Instrument, bs.Provisions, bs.Use = r.Replace(bs.Instrument), r.Replace(bs.Provisions), r.Replace(bs.Use)
		bs.Why, bs.Sources = r.Replace(bs.Why), r.Replace(bs.Sources)
		if bs.Unverified != nil {
			u := make([]string, len(bs.Unverified))
			for i, s := range bs.Unverified {
				u[i] = r.Replace(s)
			}
			bs.Unverified = u
		}
		return bs
	}
}

// side is a state of the pair with the placeholder of its name.
type side struct {
	Country
	name string
}

// rules are the legal bases between a and b, in LegalBases order, with
// the names left as placeholders.
func (d *Data) rules(a, b Country) []rule {
	const both = RequestingName + " and " + RequestedName
	sides := []side{{a, RequestingName}, {b, RequestedName}}
	eio := a.EIO && b.EIO
	tca := (a.ISO2 == "GB" && b.EUMember) || (b.ISO2 == "GB" && a.EUMember)
	coe := a.CoEMLA == "party" && b.CoEMLA == "party"
	coeDoubt := !coe && coeMaybe(a) && coeMaybe(b)
	vienna := a.Vienna1988 != "nonparty" && b.Vienna1988 != "nonparty"
	untoc := a.UNTOC != UNTOCNonParty && b.UNTOC != UNTOCNonParty
	european := eio || tca || coe
	var out []rule
	add := func(bs Basis, dataHeld bool) { out = append(out, rule{bs, dataHeld}) }
	if eio {
		add(Basis{ID: BasisEIO, Primary: true,
			Instrument: "Directive 2014/41/EU of the European Parliament and of the Council of 3 April 2014 regarding the European Investigation Order in criminal matters",
			Provisions: "Art. 1, 5 and 6 (issuing), Art. 11(1)(g) with Annex D (no dual-criminality check for illicit trafficking in narcotic drugs punishable by at least 3 years), Art. 32 (provisional measures: preservation); " + annexAForm,
			Use:        "the instrument of this request: an EIO issued or validated by a judicial authority on the Annex A form; between the two states it replaces the corresponding provisions of the 1959 Council of Europe Convention and its Protocols",
			Why:        both + " are both bound by the Directive (Denmark and Ireland do not take part in it)",
			Sources:    "eu_cooperation.csv (Directive 2014/41/EU; EJN implementation table)"}, false)
	}
	if tca {
		add(d.tcaBasis(sides, both, !eio), false)
	}
	if (coe || coeDoubt) && !eio {
		add(coeBasis(sides, both, tca, coeDoubt), false)
	}
	if vienna {
		add(viennaBasis(sides, both, !european), false)
	}
	if a.Budapest == "party" && b.Budapest == "party" {
		bs := Basis{ID: BasisBudapest,
			Instrument: "Council of Europe Convention on Cybercrime (Budapest, ETS No. 185)",
			Provisions: "Art. 29 (expedited preservation of stored computer data), Art. 35 (24/7 network)",
			Use:        "immediate preservation, through the 24/7 contact point, of the data held in " + RequestedName + " named in the request, pending its execution",
			Why:        both + " are both parties to the Convention, and the data sought is held in " + RequestedName,
			Sources:    "budapest_convention.csv (Council of Europe Treaty Office chart 185)"}
		for _, s := range sides {
			if s.BudapestUncertain {
				bs.Unverified = append(bs.Unverified, s.name+"'s party status is not verified")
			}
		}
		add(bs, true)
	}
	if !european {
		for _, bs := range gapBases(sides, both, vienna, untoc) {
			add(bs, false)
		}
	}
	add(coordination(a, b, both, tca), false)
	return out
}

// coeMaybe reports whether c may be a party to the 1959 Convention: a
// party, or a state the reference data flags UNCERTAIN.
func coeMaybe(c Country) bool { return c.CoEMLA == "party" || c.CoEMLA == "UNCERTAIN" }

func (d *Data) tcaBasis(sides []side, both string, primary bool) Basis {
	r, _ := d.TCARule("tca_mla")
	bs := Basis{ID: BasisTCA, Primary: primary,
		Instrument: "EU-UK Trade and Cooperation Agreement, Part Three, Title VIII (Mutual assistance), supplementing the 1959 Council of Europe Convention and its Protocols",
		Provisions: r.Provision,
		Use:        "the instrument of this request between the United Kingdom and an EU member state (the EIO no longer applies to the United Kingdom): a request on the TCA standard form",
		Why:        both + ": one is the United Kingdom, the other an EU member state; the TCA has applied since " + dmy(r.AppliesFrom),
		Sources:    "eu_uk_tca.csv rule tca_mla (" + r.Basis + ")"}
	for _, s := range sides {
		if s.ISO2 == "DK" || s.ISO2 == "IE" {
			bs.Unverified = append(bs.Unverified, "whether "+s.name+" takes part in each title of TCA Part Three is not verified in the reference data")
		}
	}
	if r.Unverified {
		bs.Unverified = append(bs.Unverified, "the TCA rule row rests on recall")
	}
	return bs
}

// coeBasis is the 1959 Convention with the Protocols both states are
// parties to. doubt is set when a state's party status is UNCERTAIN: the
// Convention is then named, flagged, and not the instrument of the request.
func coeBasis(sides []side, both string, tca, doubt bool) Basis {
	a, b := sides[0], sides[1]
	bs := Basis{ID: BasisCoEMLA, Primary: !tca && !doubt,
		Instrument: "European Convention on Mutual Assistance in Criminal Matters (Strasbourg, 1959, ETS No. 030)",
		Provisions: "Art. 1 (obligation to assist), Art. 3 (letters rogatory for evidence), Art. 14 (content of requests)",
		Use:        "the instrument of this request",
		Why:        both + " are both parties to the Convention",
		Sources:    "coe_mla_1959.csv (" + a.CoEMLABasis + "; " + b.CoEMLABasis + ")"}
	switch {
	case tca:
		bs.Use = "the convention the TCA's mutual-assistance title supplements: cite it with the TCA"
	case doubt:
		bs.Use = "the instrument of this request if both states are still parties: confirm with the central authority; otherwise the bases below"
		bs.Why = both + " are both listed for the Convention, one of them with a status the reference data does not verify"
	}
	for _, s := range sides {
		if s.CoEMLA == "UNCERTAIN" {
			bs.Unverified = append(bs.Unverified, s.name+"'s party status under the 1959 Convention is not verified (coe_mla_1959.csv: UNCERTAIN)")
		}
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
		return bs
	}
	for _, s := range sides {
		switch s.CoEMLA182 {
		case "not_party", "signatory":
			bs.Unverified = append(bs.Unverified, s.name+" was not a party to the Second Additional Protocol (ETS No. 182) in its party list of about 2022 (coe_mla_1959.csv) and may have joined since: its direct transmission and joint investigation teams are not named")
		case "UNCERTAIN":
			bs.Unverified = append(bs.Unverified, s.name+"'s status under the Second Additional Protocol (ETS No. 182) is not verified")
		}
	}
	return bs
}

// viennaBasis is the 1988 Drug Convention Art. 7.
func viennaBasis(sides []side, both string, primary bool) Basis {
	bs := Basis{ID: BasisVienna1988, Primary: primary,
		Instrument: "United Nations Convention against Illicit Traffic in Narcotic Drugs and Psychotropic Substances (Vienna, 20 December 1988)",
		Provisions: "Art. 7 (mutual legal assistance) for the offences of Art. 3(1)",
		Use:        "treaty basis for assistance in drug-trafficking cases, cited beside the instrument of the request",
		Why:        both + " are both parties to the Convention",
		Sources:    "vienna1988_parties.csv (UN Treaty Collection chapter VI.19; INCB)",
		Unverified: []string{art7Unverified}}
	var presumed []string
	for _, s := range sides {
		switch s.Vienna1988 {
		case "uncertain":
			bs.Unverified = append(bs.Unverified, s.name+"'s party status is not verified")
		case "presumed":
			presumed = append(presumed, s.name)
		}
	}
	if len(presumed) > 0 {
		bs.Unverified = append(bs.Unverified, "the party status of "+strings.Join(presumed, " and ")+
			" is inferred: vienna1988_parties.csv lists only non-parties, so every UN member state it does not list is a party; dependent territories are not modelled")
	}
	return bs
}

// gapBases are the bases where no European instrument applies: a
// bilateral treaty to name, UNTOC Art. 18, and letters rogatory where no
// treaty applies at all.
func gapBases(sides []side, both string, vienna, untoc bool) []Basis {
	out := []Basis{{ID: BasisBilateral, Gap: true, Primary: !vienna,
		Instrument: "Bilateral mutual legal assistance treaty between " + both,
		Provisions: "[to complete: title, date and articles of the treaty, or confirmation from the central authority that none exists]",
		Use:        "the usual instrument of a request where no European instrument applies",
		Why:        "no European Investigation Order, EU-UK TCA or 1959 Council of Europe Convention between " + both,
		Sources:    "not in the reference data"}}
	if untoc {
		bs := Basis{ID: BasisUNTOC,
			Instrument: "United Nations Convention against Transnational Organized Crime (Palermo, 2000)",
			Provisions: "Art. 18 (mutual legal assistance), where the trafficking involves an organized criminal group",
			Use:        "additional treaty basis for an organized trafficking network",
			Why:        both + " are parties to the Convention",
			Sources:    "untoc_nonparties.csv (UN Treaty Collection chapter XVIII-12)"}
		var presumed []string
		for _, s := range sides {
			switch s.UNTOC {
			case UNTOCUncertain:
				bs.Unverified = append(bs.Unverified, s.name+"'s party status is not verified")
			case UNTOCPresumed:
				presumed = append(presumed, s.name)
			}
		}
		if len(presumed) > 0 {
			bs.Unverified = append(bs.Unverified, "the party status of "+strings.Join(presumed, " and ")+
				" is inferred: untoc_nonparties.csv lists only the UN member states that were not parties in 2017; states outside the UN and dependent territories are not modelled")
		}
		out = append(out, bs)
	}
	if !vienna && !untoc {
		out = append(out, Basis{ID: BasisLettersRog,
			Instrument: "Letters rogatory (international comity, through diplomatic channels)",
			Provisions: "the requested state's domestic law",
			Use:        "the fallback where no treaty applies",
			Why:        "no treaty basis between " + both + " in the reference data",
			Sources:    "none"})
	}
	return out
}

// coordination names the police and judicial coordination open between
// the two states.
func coordination(a, b Country, both string, tca bool) Basis {
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
	return bs
}
