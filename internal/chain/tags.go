package chain

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Tag categories, scopes and confidences.
var (
	TagCategories  = []string{"exchange", "mixer", "market", "vendor", "gambling", "payment", "service"}
	TagScopes      = []string{"address", "cluster"}
	TagConfidences = []string{"high", "medium", "low"}
)

// WebCrawlSource is the tag source of addresses our own collection saw
// (view chain_address_tags); a tag file may not claim it.
const WebCrawlSource = "web crawl"

// maxTagFile bounds one tag file.
const maxTagFile = 16 << 20

// Tag attributes an address, or the cluster it is in, to a service or
// actor.
type Tag struct {
	Chain        string `yaml:"chain"`
	Address      string `yaml:"address"`
	Scope        string `yaml:"scope"` // address (default) or cluster
	Label        string `yaml:"label"`
	Category     string `yaml:"category"`
	Source       string `yaml:"source"`
	Confidence   string `yaml:"confidence"`
	Jurisdiction string `yaml:"jurisdiction"` // ISO 3166-1 alpha-2
	Note         string `yaml:"note"`
	// File and Line say where the tag was read.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// tagFile is the form of a tag file.
type tagFile struct {
	Tags []Tag `yaml:"tags"`
}

var reCountry = regexp.MustCompile(`^[A-Z]{2}$`)

// Validate reports every problem of the tag.
func (t *Tag) Validate() []error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if err := CheckAddress(t.Address); err != nil {
		bad("address", "%v", err)
	}
	if !oneOf(t.Scope, TagScopes) {
		bad("scope", "must be one of %s, got %q", strings.Join(TagScopes, ", "), t.Scope)
	}
	if strings.TrimSpace(t.Label) == "" {
		bad("label", "required")
	}
	if !oneOf(t.Category, TagCategories) {
		bad("category", "must be one of %s, got %q", strings.Join(TagCategories, ", "), t.Category)
	}
	switch {
	case strings.TrimSpace(t.Source) == "":
		bad("source", "required (where the attribution comes from)")
	case strings.EqualFold(strings.TrimSpace(t.Source), WebCrawlSource):
		bad("source", "%q is reserved for addresses our own collection saw", WebCrawlSource)
	}
	if !oneOf(t.Confidence, TagConfidences) {
		bad("confidence", "must be one of %s, got %q", strings.Join(TagConfidences, ", "), t.Confidence)
	}
	if t.Jurisdiction != "" && !reCountry.MatchString(t.Jurisdiction) {
		bad("jurisdiction", "must be an ISO 3166-1 alpha-2 code like LT, got %q", t.Jurisdiction)
	}
	if t.Chain != ChainBitcoin {
		bad("chain", "must be %s, got %q", ChainBitcoin, t.Chain)
	}
	return errs
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// LoadTags reads every *.yaml file of dir (sorted by name), strictly, and
// validates each tag; every problem is reported at once as file:line:
// tags[i].field: problem. Defaults: chain btc, scope address; the
// jurisdiction is upper-cased.
func LoadTags(dir string) ([]Tag, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("listing tag files in %s: %w", dir, err)
	}
	sort.Strings(files)
	var (
		out  []Tag
		errs []error
	)
	for _, f := range files {
		ts, err := LoadTagFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, ts...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// LoadTagFile reads one tag file (see LoadTags).
func LoadTagFile(file string) ([]Tag, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("reading tag file: %w", err)
	}
	if st.Size() > maxTagFile {
		return nil, fmt.Errorf("reading tag file %s: larger than %d bytes", file, maxTagFile)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading tag file: %w", err)
	}
	return ParseTags(file, data)
}

// ParseTags parses a tag file's bytes; name is used in errors.
func ParseTags(name string, data []byte) ([]Tag, error) {
	var tf tagFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := itemLines(&root, "tags")
	var errs []error
	seen := map[string]int{}
	for i := range tf.Tags {
		t := &tf.Tags[i]
		if t.Chain == "" {
			t.Chain = ChainBitcoin
		}
		if t.Scope == "" {
			t.Scope = "address"
		}
		t.Jurisdiction = strings.ToUpper(strings.TrimSpace(t.Jurisdiction))
		t.File = name
		if i < len(lines) {
			t.Line = lines[i]
		}
		for _, e := range t.Validate() {
			errs = append(errs, fmt.Errorf("%s:%d: tags[%d].%w", name, t.Line, i, e))
		}
		key := t.Chain + "/" + t.Address + "/" + t.Label
		if prev, ok := seen[key]; ok {
			errs = append(errs, fmt.Errorf("%s:%d: tags[%d]: address %s tagged %q again (first on line %d)", name, t.Line, i, t.Address, t.Label, prev))
		}
		seen[key] = t.Line
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return tf.Tags, nil
}
