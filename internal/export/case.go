package export

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// Case is what an investigator knows of the case an export serves: it
// fills the draft request (offences, law, urgency) and may carry a default
// selection. It is read from a YAML file with LoadCase.
type Case struct {
	ID      string `yaml:"id" json:"id"`
	Title   string `yaml:"title" json:"title,omitempty"`
	Summary string `yaml:"summary" json:"summary,omitempty"` // facts the investigator adds to the generated summary
	// Offences and Law are the offences investigated and the provisions
	// of the requesting country's law that make them punishable.
	Offences []string `yaml:"offences" json:"offences,omitempty"`
	Law      []string `yaml:"law" json:"law,omitempty"`
	// Urgency says why and how fast; PreservationDays how long data
	// should be preserved (default 90).
	Urgency          string        `yaml:"urgency" json:"urgency,omitempty"`
	PreservationDays int           `yaml:"preservation_days" json:"preservation_days,omitempty"`
	Selection        CaseSelection `yaml:"selection" json:"-"`
	// MaxPenalty is the maximum penalty the requesting state's law sets
	// for the offences ("up to 15 years' imprisonment").
	MaxPenalty string `yaml:"max_penalty" json:"max_penalty,omitempty"`
	// IssuingAuthority is the prosecutor or judge who issues the request.
	IssuingAuthority JudicialAuthority `yaml:"issuing_authority" json:"issuing_authority,omitempty"`
}

// JudicialAuthority is the prosecutor or judge who issues (or validates)
// a request.
type JudicialAuthority struct {
	Kind    string `yaml:"kind" json:"kind"` // public prosecutor, investigating judge, court
	Name    string `yaml:"name" json:"name"` // office, e.g. Staatsanwaltschaft Frankfurt am Main
	Officer string `yaml:"officer" json:"officer"`
	Address string `yaml:"address" json:"address"`
	Contact string `yaml:"contact" json:"contact"` // phone, e-mail
}

// CaseSelection is the selection a case file names.
type CaseSelection struct {
	Vendors       []string `yaml:"vendors"`
	Markets       []string `yaml:"markets"`
	Routes        []string `yaml:"routes"` // FROM:TO
	Jurisdictions []string `yaml:"jurisdictions"`
	Since         string   `yaml:"since"` // YYYY-MM-DD or RFC 3339
	Until         string   `yaml:"until"`
}

// maxCaseFile bounds a case file.
const maxCaseFile = 1 << 20

// LoadCase reads a case file (unknown keys are errors).
func LoadCase(path string) (*Case, error) {
	b, err := readKeyFileLimit(path, maxCaseFile)
	if err != nil {
		return nil, fmt.Errorf("loading case: %w", err)
	}
	var c Case
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("loading case %s: %w", path, err)
	}
	if c.ID == "" {
		return nil, fmt.Errorf("loading case %s: id: missing", path)
	}
	return &c, nil
}

func readKeyFileLimit(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b, nil
}

// Apply adds the case's selection to sel (values of a kind sel already
// has are added to it).
func (c *Case) Apply(sel *Selection) error {
	if c == nil {
		return nil
	}
	cs := c.Selection
	sel.Vendors = append(sel.Vendors, cs.Vendors...)
	sel.Markets = append(sel.Markets, cs.Markets...)
	sel.Jurisdictions = append(sel.Jurisdictions, cs.Jurisdictions...)
	for _, r := range cs.Routes {
		rt, err := ParseRoute(r)
		if err != nil {
			return fmt.Errorf("case %s: %w", c.ID, err)
		}
		sel.Routes = append(sel.Routes, rt)
	}
	var err error
	if sel.Since.IsZero() && cs.Since != "" {
		if sel.Since, err = ParseTime(cs.Since); err != nil {
			return fmt.Errorf("case %s: since: %w", c.ID, err)
		}
	}
	if sel.Until.IsZero() && cs.Until != "" {
		if sel.Until, err = ParseTime(cs.Until); err != nil {
			return fmt.Errorf("case %s: until: %w", c.ID, err)
		}
		if len(cs.Until) == len("2006-01-02") {
			sel.Until = sel.Until.Add(24*time.Hour - time.Second)
		}
	}
	return nil
}

// ParseTime reads YYYY-MM-DD (midnight UTC) or RFC 3339.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or RFC 3339", s)
	}
	return t.UTC(), nil
}
