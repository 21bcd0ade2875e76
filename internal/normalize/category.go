package normalize

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/configs"
)

// Category codes of the controlled vocabulary in
// configs/reference/taxonomy.yaml (UNODC/EMCDDA drug groups).
const (
	CategoryOpioid          = "opioid"
	CategorySyntheticOpioid = "synthetic_opioid"
	CategoryCocaine         = "cocaine"
	CategoryATS             = "ats"
	CategoryCannabis        = "cannabis"
	CategoryPsychedelic     = "psychedelic"
	CategorySedative        = "sedative"
	CategoryRx              = "rx"
	CategoryNPS             = "nps"
	CategoryPrecursor       = "precursor"
	CategoryNonDrug         = "non_drug"
)

// Taxonomy maps category breadcrumbs and titles to codes by ordered rules;
// see configs/reference/taxonomy.yaml for the file format. It is safe for
// concurrent use.
type Taxonomy struct {
	codes  map[string]string // code -> label
	rules  []categoryRule
	groups []categoryRule
}

type categoryRule struct {
	code     string
	words    []string // normalized, each padded with spaces
	patterns []*regexp.Regexp
}

type taxonomyFile struct {
	Version int `yaml:"version"`
	Codes   map[string]struct {
		Label  string `yaml:"label"`
		Source string `yaml:"source"`
	} `yaml:"codes"`
	Rules      []taxonomyRule `yaml:"rules"`
	GroupRules []taxonomyRule `yaml:"group_rules"`
}

type taxonomyRule struct {
	Code     string   `yaml:"code"`
	Words    []string `yaml:"words"`
	Patterns []string `yaml:"patterns"`
}

// maxCategoryText bounds the text a rule looks at.
const maxCategoryText = 1 << 10

// ParseTaxonomy reads a taxonomy file (the format of
// configs/reference/taxonomy.yaml). Unknown keys, a rule naming a code not
// in codes, an empty rule and a bad pattern are errors naming the rule.
func ParseTaxonomy(data []byte) (*Taxonomy, error) {
	var f taxonomyFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading taxonomy: %w", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("reading taxonomy: version %d, want 1", f.Version)
	}
	t := &Taxonomy{codes: map[string]string{}}
	for code, c := range f.Codes {
		t.codes[code] = c.Label
	}
	var err error
	if t.rules, err = t.compile("rules", f.Rules); err != nil {
		return nil, err
	}
	if t.groups, err = t.compile("group_rules", f.GroupRules); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Taxonomy) compile(list string, in []taxonomyRule) ([]categoryRule, error) {
	out := make([]categoryRule, 0, len(in))
	for i, r := range in {
		where := fmt.Sprintf("reading taxonomy: %s[%d] (%s)", list, i, r.Code)
		if _, ok := t.codes[r.Code]; !ok {
			return nil, fmt.Errorf("%s: code %q is not under codes", where, r.Code)
		}
		cr := categoryRule{code: r.Code}
		for _, w := range r.Words {
			k := categoryKey(w)
			if k == "" {
				return nil, fmt.Errorf("%s: empty word %q", where, w)
			}
			cr.words = append(cr.words, " "+k+" ")
		}
		for _, p := range r.Patterns {
			re, err := regexp.Compile(`(?i)` + p)
			if err != nil {
				return nil, fmt.Errorf("%s: pattern %q: %w", where, p, err)
			}
			cr.patterns = append(cr.patterns, re)
		}
		if len(cr.words)+len(cr.patterns) == 0 {
			return nil, fmt.Errorf("%s: no words or patterns", where)
		}
		out = append(out, cr)
	}
	return out, nil
}

// Codes lists the taxonomy's codes, sorted.
func (t *Taxonomy) Codes() []string {
	out := make([]string, 0, len(t.codes))
	for c := range t.codes {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Label is the description of code, "" when the taxonomy has no such code.
func (t *Taxonomy) Label(code string) string { return t.codes[code] }

// Category maps one text (a breadcrumb such as "Drugs > Opioids >
// Fentanyl", or a title) to a code: the substance rules first, then the
// group rules. ok is false when nothing matched.
func (t *Taxonomy) Category(raw string) (code string, ok bool) {
	if c := match(t.rules, raw); c != "" {
		return c, true
	}
	if c := match(t.groups, raw); c != "" {
		return c, true
	}
	return "", false
}

// CategoryOf maps a listing: substance rules on the breadcrumb, then on the
// title, then group rules on the breadcrumb, then on the title. So a
// generic breadcrumb ("Drugs", "Other", "Opioids") is resolved by a title
// that names the substance ("1g China White"), and a title that names none
// still gets the breadcrumb's group.
func (t *Taxonomy) CategoryOf(breadcrumb, title string) (code string, ok bool) {
	for _, step := range []struct {
		rules []categoryRule
		text  string
	}{{t.rules, breadcrumb}, {t.rules, title}, {t.groups, breadcrumb}, {t.groups, title}} {
		if c := match(step.rules, step.text); c != "" {
			return c, true
		}
	}
	return "", false
}

func match(rules []categoryRule, raw string) string {
	raw = cut(raw, maxCategoryText)
	if strings.TrimSpace(raw) == "" {
		return ""
	}
	k := " " + categoryKey(raw) + " "
	lower := strings.ToLower(raw)
	for _, r := range rules {
		for _, w := range r.words {
			if strings.Contains(k, w) {
				return r.code
			}
		}
		for _, re := range r.patterns {
			if re.MatchString(lower) {
				return r.code
			}
		}
	}
	return ""
}

// categoryKey lower-cases s, folds diacritics and turns every character
// that is not a letter or digit into one space.
func categoryKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range strings.ToLower(s) {
		if f, ok := fold[r]; ok {
			b.WriteString(f)
			space = false
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

var defaultTaxonomy = sync.OnceValues(func() (*Taxonomy, error) {
	data, err := configs.Reference.ReadFile("reference/taxonomy.yaml")
	if err != nil {
		return nil, fmt.Errorf("loading taxonomy: %w", err)
	}
	return ParseTaxonomy(data)
})

// DefaultTaxonomy is the taxonomy of configs/reference/taxonomy.yaml built
// into the binary.
func DefaultTaxonomy() (*Taxonomy, error) { return defaultTaxonomy() }

// Category maps a breadcrumb or title to a category code with the built-in
// taxonomy ("Drugs > Opioids > Fentanyl" is "synthetic_opioid", "Drugs >
// Stimulants > Cocaine" is "cocaine"); ok is false when no rule matched.
func Category(raw string) (code string, ok bool) {
	t, err := defaultTaxonomy()
	if err != nil {
		return "", false
	}
	return t.Category(raw)
}

// CategoryOf maps a listing's breadcrumb and title with the built-in
// taxonomy; see Taxonomy.CategoryOf.
func CategoryOf(breadcrumb, title string) (code string, ok bool) {
	t, err := defaultTaxonomy()
	if err != nil {
		return "", false
	}
	return t.CategoryOf(breadcrumb, title)
}
