package reference

import (
	"strings"
	"sync"
)

// Channel is one kind of legal basis LegalBases can name, as the catalog
// describes it: its name, the instrument, when it applies, and what it
// says on dual criminality.
type Channel struct {
	ID         string // a Basis* id
	Rank       uint8  // the order LegalBases lists it in, from 1
	Name       string
	LegalBasis string
	Condition  string // when it applies, in words (the rules of LegalBases)
	// DualCriminality is what the instrument says on dual criminality.
	// The reference data does not cover it: every note says so.
	DualCriminality string
}

// recallNote starts a catalog text the reference data does not verify.
const recallNote = "[recall, not in the reference data: verify] "

// Catalog is every kind of legal basis LegalBases names, in its order.
func Catalog() []Channel {
	return []Channel{
		{BasisEIO, 1, "European Investigation Order", "Directive 2014/41/EU",
			"both states are bound by the Directive (EU member states but DK and IE)",
			"Art. 11(1)(g) with Annex D: no dual-criminality check for illicit trafficking in narcotic drugs punishable by at least 3 years in the issuing state; other grounds of refusal remain."},
		{BasisTCA, 2, "EU-UK Trade and Cooperation Agreement: mutual assistance", "TCA Part Three, Title VIII (Arts 633-642), supplementing the 1959 Council of Europe Convention",
			"one state is the United Kingdom, the other an EU member state",
			recallNote + "the grounds of refusal of the 1959 Convention and the TCA apply; illicit drug trafficking is an offence in both."},
		{BasisCoEMLA, 3, "1959 Council of Europe mutual assistance", "European Convention on Mutual Assistance in Criminal Matters (ETS 030) and its Protocols (ETS 099, ETS 182) where both are parties",
			"both states are parties to ETS 030 and no EIO applies between them (flagged, and not the instrument of the request, where a party's status is UNCERTAIN)",
			recallNote + "the Convention does not require dual criminality for ordinary requests; a party may reserve it for search and seizure (Art. 5)."},
		{BasisVienna1988, 4, "1988 UN Drug Convention mutual legal assistance", "UN Convention against Illicit Traffic in Narcotic Drugs and Psychotropic Substances 1988, Art. 7 [article number recall]",
			"neither state is a non-party in vienna1988_parties.csv; the instrument of the request where no European instrument applies and both are parties",
			recallNote + "the trafficking offences of Art. 3(1) are to be criminal in every party, so dual criminality is normally met for drug trafficking."},
		{BasisBudapest, 5, "Budapest Convention: expedited preservation", "Convention on Cybercrime (ETS 185) Art. 29, 35",
			"both states are parties to the Budapest Convention, and only where the requested state holds the data sought (data_held_only)",
			recallNote + "Art. 29(3): dual criminality is not required for preservation (a party may reserve this for offences other than those of Art. 2-11)."},
		{BasisBilateral, 6, "Bilateral mutual legal assistance treaty", "bilateral MLA treaty, if one exists (not in the reference data: ask the central authority)",
			"no EIO, EU-UK TCA or 1959 Council of Europe Convention applies between the two states (a gap for the person completing the request)",
			"Per the treaty, which the reference data does not hold."},
		{BasisUNTOC, 7, "UNTOC mutual legal assistance", "UN Convention against Transnational Organized Crime Art. 18",
			"no European instrument applies, and neither state is a UNTOC non-party (untoc_nonparties.csv)",
			recallNote + "Art. 18(9): assistance may be declined for absence of dual criminality."},
		{BasisLettersRog, 8, "Letters rogatory", "international comity, through diplomatic channels",
			"no European instrument, no 1988 Convention and no UNTOC applies between the two states",
			recallNote + "granted at the requested state's discretion under its domestic law, which usually requires dual criminality."},
		{BasisCoordinate, 9, "Police and judicial coordination", "Europol and Eurojust; the EU-UK TCA; Europol agreements; INTERPOL",
			"always: the coordination open between the two states (Europol and Eurojust between EU member states, the TCA between the UK and one, a Europol agreement, else INTERPOL)",
			"Coordination, not a request for evidence: coercive measures follow a request on one of the bases above."},
	}
}

// Route is one legal basis between a requesting and a partner country as
// Channels gives it: the Basis LegalBases gives, with its rank and whether
// it applies only where the partner holds the data sought.
type Route struct {
	Basis
	Channel string // the Basis ID
	Rank    uint8  // its rank in the Catalog
	Reason  string // the Basis Why
	// Uncertain is Basis.Uncertain: it rests on facts the reference data
	// does not verify, or is a gap to fill.
	Uncertain bool
	// DataHeldOnly is set for a basis that applies only where the partner
	// holds the data sought: LegalBases names it only when told so.
	DataHeldOnly bool
}

// Channels names the legal bases between a requesting and a partner
// country (alpha-2 codes) under the rules of LegalBases, in its order:
// every basis LegalBases gives when the partner holds the data sought,
// those it gives only then marked DataHeldOnly. It returns nil for the
// same country twice or an unknown code. The warehouse's cooperation view
// holds the same rows (CooperationTable).
func (d *Data) Channels(requesting, partner string) []Route {
	a, b, ok := d.pair(requesting, partner)
	if !ok {
		return nil
	}
	fill := namer(a, b)
	rules := d.rules(a, b)
	out := make([]Route, 0, len(rules))
	for _, r := range rules {
		bs := fill(r.Basis)
		out = append(out, Route{Basis: bs, Channel: bs.ID, Rank: rankOf(bs.ID), Reason: bs.Why,
			Uncertain: bs.Uncertain(), DataHeldOnly: r.dataHeld})
	}
	return out
}

var ranks = func() map[string]uint8 {
	m := map[string]uint8{}
	for _, c := range Catalog() {
		m[c.ID] = c.Rank
	}
	return m
}()

func rankOf(id string) uint8 { return ranks[id] }

// PairBasis is one row of the cooperation table: a legal basis between an
// ordered pair of countries, its texts kept once in a BasisText.
type PairBasis struct {
	Requesting, Partner string
	Channel             string
	Rank                uint8
	Primary, Gap        bool
	Uncertain           bool
	DataHeldOnly        bool
	Text                uint32 // BasisText.ID
}

// BasisText is the text of a legal basis shared by many pairs: the Basis
// texts with RequestingName and RequestedName where the two states' names
// go.
type BasisText struct {
	ID                                       uint32
	Instrument, Provisions, Use, Why, Source string
	Unverified                               []string
}

// CooperationTable is Channels for every ordered pair of distinct
// countries, as the warehouse stores it: one row per pair and basis, in
// country order then rank, and each distinct text once (numbered from 1 in
// order of first use). The warehouse's cooperation view joins them and
// puts each pair's CommonName in place of RequestingName and RequestedName,
// so that it gives what Channels gives. It is computed once per Data;
// callers must not change what it returns.
func (d *Data) CooperationTable() ([]PairBasis, []BasisText) {
	if d.SHA256 == "" { // data not read from files: nothing to key a cache by
		return d.cooperationTable()
	}
	v, _ := coopCache.LoadOrStore(d.SHA256, &coopEntry{})
	e := v.(*coopEntry)
	e.once.Do(func() { e.pairs, e.texts = d.cooperationTable() })
	return e.pairs, e.texts
}

// coopCache holds CooperationTable by the SHA-256 of the files the data was
// read from: about a second to compute, asked for at every load into a new
// database, and the same for the same files.
var coopCache sync.Map

type coopEntry struct {
	once  sync.Once
	pairs []PairBasis
	texts []BasisText
}

// cooperationTable computes CooperationTable.
func (d *Data) cooperationTable() ([]PairBasis, []BasisText) {
	var (
		pairs []PairBasis
		texts []BasisText
		ids   = map[string]uint32{}
	)
	for _, a := range d.Countries {
		for _, b := range d.Countries {
			if a.ISO2 == b.ISO2 {
				continue
			}
			for _, r := range d.rules(a, b) {
				key := strings.Join(append([]string{r.Instrument, r.Provisions, r.Use, r.Why, r.Sources}, r.Unverified...), "\x00")
				id, ok := ids[key]
				if !ok {
					id = uint32(len(texts) + 1)
					ids[key] = id
					texts = append(texts, BasisText{ID: id, Instrument: r.Instrument, Provisions: r.Provisions, Use: r.Use,
						Why: r.Why, Source: r.Sources, Unverified: r.Unverified})
				}
				pairs = append(pairs, PairBasis{Requesting: a.ISO2, Partner: b.ISO2, Channel: r.ID, Rank: rankOf(r.ID),
					Primary: r.Primary, Gap: r.Gap, Uncertain: r.Uncertain(), DataHeldOnly: r.dataHeld, Text: id})
			}
		}
	}
	return pairs, texts
}
