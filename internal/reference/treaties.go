package reference

import (
	"fmt"
	"strings"
)

// TCARule is one rule row of eu_uk_tca.csv: which instrument and
// provisions to cite between the United Kingdom and the EU member states
// for a topic.
type TCARule struct {
	ID, AppliesBetween, Topic, Instrument, Provision, AppliesFrom, Basis, Note string
	// Unverified is set when the row rests on recall.
	Unverified bool
}

// TCARule returns the rule with id ("tca_mla", "budapest_preservation").
func (d *Data) TCARule(id string) (TCARule, bool) {
	for _, r := range d.TCA {
		if r.ID == id {
			return r, true
		}
	}
	return TCARule{}, false
}

func (d *Data) viennaRow(r []string, c map[string]int) (Membership, error) {
	m := Membership{Treaty: Vienna1988, ISO2: field(r, c, "iso2"), Basis: field(r, c, "basis"), Note: field(r, c, "note")}
	switch s := field(r, c, "current_status"); s {
	case "party":
		m.Status = "party"
	case "nonparty":
		m.Status = "nonparty"
	case "UNCERTAIN":
		m.Status, m.Uncertain = "uncertain", true
	default:
		return m, fmt.Errorf("%w: current_status %q", ErrBadData, s)
	}
	m.Uncertain = m.Uncertain || m.Basis == "recall"
	if i, ok := d.byISO[m.ISO2]; ok {
		d.Countries[i].Vienna1988 = m.Status
	}
	return m, nil
}

var coeStatuses = []string{"party", "signatory", "not_party", "UNCERTAIN"}

func (d *Data) coeMLARow(r []string, c map[string]int) (Membership, error) {
	iso := field(r, c, "iso2")
	m := Membership{Treaty: CoEMLA, ISO2: iso, Status: field(r, c, "ets030"), Ratified: field(r, c, "ets030_ratified"),
		Basis: field(r, c, "basis"), Note: field(r, c, "note")}
	st99, st182 := field(r, c, "ets099"), field(r, c, "ets182")
	for _, s := range []string{m.Status, st99, st182} {
		if !containsStr(coeStatuses, s) {
			return m, fmt.Errorf("%w: status %q, want one of %s", ErrBadData, s, strings.Join(coeStatuses, ", "))
		}
	}
	m.Uncertain = m.Status == "UNCERTAIN"
	if i, ok := d.byISO[iso]; ok {
		ct := &d.Countries[i]
		ct.CoEMLA, ct.CoEMLA99, ct.CoEMLA182, ct.CoEMLABasis = m.Status, st99, st182, m.Basis
		// The protocols are memberships of their own.
		d.Memberships = append(d.Memberships,
			Membership{Treaty: CoEMLAProtocol1, ISO2: iso, Status: st99, Ratified: field(r, c, "ets099_ratified"), Basis: m.Basis,
				Uncertain: st99 == "UNCERTAIN", File: "coe_mla_1959.csv"},
			Membership{Treaty: CoEMLAProtocol2, ISO2: iso, Status: st182, Signed: field(r, c, "ets182_signed"),
				Ratified: field(r, c, "ets182_ratified"), InForce: field(r, c, "ets182_in_force"), Basis: m.Basis,
				Uncertain: st182 == "UNCERTAIN", File: "coe_mla_1959.csv"})
	}
	return m, nil
}

func (d *Data) seaRow(r []string, c map[string]int) (Membership, error) {
	m := Membership{Treaty: CoESea, ISO2: field(r, c, "iso2"), Status: "party", InForce: field(r, c, "in_force"),
		Basis: field(r, c, "basis"), Note: field(r, c, "note")}
	if i, ok := d.byISO[m.ISO2]; ok {
		d.Countries[i].CoESea = true
	}
	return m, nil
}

func (d *Data) parseTCA(b []byte) error {
	const name = "eu_uk_tca.csv"
	rows, c, err := readCSV(name, b, "rule_id", "applies_between", "topic", "instrument", "provision", "applies_from", "basis", "note")
	if err != nil {
		return err
	}
	for _, r := range rows {
		t := TCARule{ID: field(r, c, "rule_id"), AppliesBetween: field(r, c, "applies_between"), Topic: field(r, c, "topic"),
			Instrument: field(r, c, "instrument"), Provision: field(r, c, "provision"), AppliesFrom: field(r, c, "applies_from"),
			Basis: field(r, c, "basis"), Note: field(r, c, "note")}
		t.Unverified = t.Basis == "recall" || strings.Contains(t.Instrument, "[recall") || strings.Contains(t.Provision, "[recall")
		d.TCA = append(d.TCA, t)
	}
	for _, want := range []string{"tca_mla", "vienna1988_mla", "budapest_preservation"} {
		if _, ok := d.TCARule(want); !ok {
			return fmt.Errorf("reading %s: %w: no rule %s", name, ErrBadData, want)
		}
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
