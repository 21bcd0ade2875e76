package reference

// Channel ids, in the order Channels lists them.
const (
	ChanEIO              = "eio"
	ChanEuropolEurojust  = "europol_eurojust"
	ChanJIT              = "jit"
	ChanEuropolPartner   = "europol_partner"
	ChanBudapestPreserve = "budapest_preservation"
	ChanBudapestMLA      = "budapest_mla"
	ChanBudapestP2       = "budapest_protocol2"
	ChanBilateralMLA     = "bilateral_mla"
	ChanUNTOC            = "untoc_art18"
	ChanVienna1988       = "vienna1988_art7"
	ChanLettersRogatory  = "letters_rogatory"
)

// Channel is one route for asking another country for evidence or help: a
// legal instrument and what it gives, with the note on dual criminality an
// investigator has to weigh when drafting the request.
type Channel struct {
	ID              string
	Rank            uint8 // order of preference: lower first
	Name            string
	LegalBasis      string
	Condition       string // when it applies, in words
	DualCriminality string
}

// Catalog is every channel Channels can name, in rank order.
func Catalog() []Channel {
	return []Channel{
		{ChanEIO, 1, "European Investigation Order",
			"Directive 2014/41/EU",
			"both countries are EU member states bound by the EIO Directive (all but DK and IE)",
			"Dual criminality cannot be invoked for the Annex D offence categories punishable by at least 3 years in the issuing state, which include illicit trafficking in narcotic drugs (Art. 11(1)(g)); other measures may be refused for lack of it."},
		{ChanEuropolEurojust, 2, "Europol and Eurojust",
			"Regulation (EU) 2016/794 (Europol); Regulation (EU) 2018/1727 (Eurojust)",
			"both countries are EU member states (DK takes part in Europol through an operational agreement)",
			"Police information exchange and judicial coordination; coercive measures still follow the requested state's law."},
		{ChanJIT, 3, "Joint investigation team",
			"Council Framework Decision 2002/465/JHA; Art. 13 EU MLA Convention 2000",
			"both countries are EU member states",
			"Set up by agreement for a specific case; measures inside the team follow the law of the state where they are taken."},
		{ChanEuropolPartner, 4, "Europol third-country cooperation",
			"Regulation (EU) 2016/794, Art. 25 agreements and working arrangements",
			"one country is a Europol member state and the other has an agreement or working arrangement with Europol",
			"Police information exchange only; evidence for court needs a judicial channel."},
		{ChanBudapestPreserve, 5, "24/7 network: expedited preservation",
			"Convention on Cybercrime (ETS 185) Art. 29, 35",
			"both countries are parties to the Budapest Convention",
			"Art. 29(3): dual criminality is not required for preservation (a party may reserve this for offences other than those of Art. 2-11)."},
		{ChanBudapestMLA, 6, "Budapest mutual assistance",
			"Convention on Cybercrime (ETS 185) Art. 25-27 (production and disclosure: Art. 30-31)",
			"both countries are parties to the Budapest Convention",
			"Art. 25(5): where dual criminality is required it is met if the conduct is an offence under both laws, whatever its name or category."},
		{ChanBudapestP2, 7, "Second Additional Protocol: direct disclosure",
			"Second Additional Protocol (CETS 224) Art. 6-7, 9-10",
			"both countries have ratified the Second Additional Protocol and it is in force for both",
			"Direct requests to providers for subscriber data; the Protocol's own conditions and reservations apply."},
		{ChanBilateralMLA, 8, "Bilateral mutual legal assistance treaty",
			"bilateral MLA treaty, if one exists (not in the reference data: ask the central authority)",
			"neither the EIO nor the Budapest Convention applies between the two countries",
			"Per the treaty; most MLA treaties allow refusal of coercive measures without dual criminality."},
		{ChanUNTOC, 9, "UNTOC mutual legal assistance",
			"UN Convention against Transnational Organized Crime Art. 18",
			"neither the EIO nor the Budapest Convention applies, and both countries are UNTOC parties",
			"Art. 18(9): assistance may be declined for absence of dual criminality."},
		{ChanVienna1988, 10, "1988 Drug Convention mutual legal assistance",
			"UN Convention against Illicit Traffic in Narcotic Drugs and Psychotropic Substances 1988 Art. 7",
			"neither the EIO nor the Budapest Convention applies; party list not in the reference data (near-universal, verify)",
			"Art. 3(1) trafficking offences are criminal in every party, so dual criminality is normally met for drug trafficking."},
		{ChanLettersRogatory, 11, "Letters rogatory",
			"international comity, through diplomatic channels",
			"neither the EIO nor the Budapest Convention applies",
			"Granted at the requested state's discretion under its domestic law, which usually requires dual criminality."},
	}
}

// Route is one channel that applies between a requesting and a partner
// country, and why.
type Route struct {
	Channel   string // a Chan* id
	Reason    string
	Uncertain bool // rests on reference facts flagged UNCERTAIN or unverified
}

// Channels names the cooperation channels between a requesting and a
// partner country (alpha-2 codes), in rank order, and why each applies:
//   - both EU member states: Europol/Eurojust and a joint investigation
//     team; the European Investigation Order when both are bound by it;
//   - one a Europol member state, the other with a Europol agreement:
//     Europol third-country cooperation;
//   - both Budapest parties: expedited preservation through the 24/7
//     network (Art. 29, 35) and mutual assistance (Art. 25-27); the Second
//     Protocol when in force for both;
//   - when neither the EIO nor Budapest applies: a bilateral MLA treaty,
//     UNTOC Art. 18 when both are parties, the 1988 Convention Art. 7 and
//     letters rogatory.
//
// It returns nil for the same country twice or an unknown code. The
// warehouse's cooperation view applies the same rules.
func (d *Data) Channels(requesting, partner string) []Route {
	a, okA := d.Country(requesting)
	b, okB := d.Country(partner)
	if !okA || !okB || a.ISO2 == b.ISO2 {
		return nil
	}
	both := a.Name + " and " + b.Name
	var rs []Route
	add := func(id, reason string, unc bool) { rs = append(rs, Route{Channel: id, Reason: reason, Uncertain: unc}) }
	eio := a.EIO && b.EIO
	if eio {
		add(ChanEIO, both+" are both bound by the EIO Directive", false)
	}
	if a.EUMember && b.EUMember {
		add(ChanEuropolEurojust, both+" are both EU member states", false)
		add(ChanJIT, both+" are both EU member states", false)
	}
	if p, other, ok := europolPair(a, b); ok {
		add(ChanEuropolPartner, p.Name+" is a Europol member state; "+other.Name+" has a Europol "+other.Europol, other.Europol == "working_arrangement")
	}
	bud := a.Budapest == "party" && b.Budapest == "party"
	if bud {
		unc := a.BudapestUncertain || b.BudapestUncertain
		add(ChanBudapestPreserve, both+" are both parties to the Budapest Convention", unc)
		add(ChanBudapestMLA, both+" are both parties to the Budapest Convention", unc)
		if a.BudapestP2 == "party" && b.BudapestP2 == "party" && a.BudapestP2InForce != "" && b.BudapestP2InForce != "" {
			add(ChanBudapestP2, both+" have both ratified the Second Additional Protocol, in force for both", false)
		}
	}
	if eio || bud {
		return rs
	}
	add(ChanBilateralMLA, "no EIO or Budapest channel between "+both+": check for a bilateral MLA treaty", true)
	if untocParty(a) && untocParty(b) {
		add(ChanUNTOC, both+" are both UNTOC parties"+presumedNote(a, b), a.UNTOC == UNTOCUncertain || b.UNTOC == UNTOCUncertain)
	}
	add(ChanVienna1988, "no EIO or Budapest channel between "+both+"; 1988 Convention parties not in the reference data (near-universal, verify)", true)
	add(ChanLettersRogatory, "no EIO or Budapest channel between "+both, false)
	return rs
}

// europolPair finds the Europol member state of a pair whose other country
// has an agreement or working arrangement with Europol.
func europolPair(a, b Country) (member, other Country, ok bool) {
	partner := func(c Country) bool { return c.Europol != "" && c.Europol != "member" }
	switch {
	case a.Europol == "member" && partner(b) && !(a.EUMember && b.EUMember):
		return a, b, true
	case b.Europol == "member" && partner(a) && !(a.EUMember && b.EUMember):
		return b, a, true
	}
	return Country{}, Country{}, false
}

func untocParty(c Country) bool { return c.UNTOC != UNTOCNonParty }

func presumedNote(a, b Country) string {
	if a.UNTOC == UNTOCPresumed || b.UNTOC == UNTOCPresumed {
		return " (presumed: not among the 2017 non-parties)"
	}
	return ""
}
