package reference

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"filippo.io/age"
	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/internal/config"
)

// TLP 2.0 labels, from least to most restricted.
var TLPs = []string{"clear", "green", "amber", "amber+strict", "red"}

// MaxPartnersFile bounds the size of a partner directory file.
const MaxPartnersFile = 1 << 20

// Partner is one partner agency of the directory.
type Partner struct {
	ID      string // short stable id, [a-z0-9-]
	Agency  string
	Country string // ISO 3166-1 alpha-2
	Contact string // contact point: unit, e-mail or phone of the duty desk
	// SigningKey is the partner's ed25519 public key, base64 (standard
	// encoding) of its 32 bytes, optionally prefixed "ed25519:".
	SigningKey string
	// EncryptionKey is the partner's age X25519 recipient (age1...); empty
	// when packages for the partner go unencrypted.
	EncryptionKey string
	// MaxTLP is the highest TLP 2.0 label the partner may receive.
	MaxTLP string
	// ExcludedFields are fields never sent to the partner, as
	// table.column (listing_obs.description) or a whole kind (contacts).
	ExcludedFields []string
	Line           int // line of the entry in its file
}

// TLPRank is the position of label in TLPs (0 for clear), or -1.
func TLPRank(label string) int { return slices.Index(TLPs, strings.ToLower(label)) }

// PublicKey decodes the signing key.
func (p Partner) PublicKey() (ed25519.PublicKey, error) {
	s := strings.TrimPrefix(p.SigningKey, "ed25519:")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decoding signing key of %s: %w", p.ID, err)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("decoding signing key of %s: %d bytes, want %d", p.ID, len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// LoadPartners reads and validates a partner directory file; see
// ParsePartners.
func LoadPartners(filename string, countries *Data) ([]Partner, error) {
	f, err := os.Open(filename)
	if err != nil {
		return nil, fmt.Errorf("loading partners: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPartnersFile+1))
	if err != nil {
		return nil, fmt.Errorf("loading partners: reading %s: %w", filename, err)
	}
	if len(b) > MaxPartnersFile {
		return nil, fmt.Errorf("loading partners: %s: %w: larger than %d bytes", filename, ErrBadData, MaxPartnersFile)
	}
	return ParsePartners(filename, b, countries)
}

var (
	partnerID  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	fieldName  = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$`)
	partnerKey = []string{"id", "agency", "country", "contact", "signing_key", "encryption_key", "max_tlp", "excluded_fields"}
)

// ParsePartners decodes a partner directory:
//
//	partners:
//	  - id: bka-de
//	    agency: Bundeskriminalamt
//	    country: DE
//	    ...
//
// and validates every entry: unknown keys, missing values, a country code
// countries does not know (when countries is not nil), keys that do not
// decode, an unknown TLP label, duplicate ids. It reports every problem at
// once as a *config.Error whose lines read "file:line: field: message".
func ParsePartners(filename string, data []byte, countries *Data) ([]Partner, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &config.Error{Errors: []config.FieldError{{File: filename, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	var errs []config.FieldError
	fail := func(line int, field, format string, args ...any) {
		errs = append(errs, config.FieldError{File: filename, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		fail(root.Line, "", "want a mapping with the key partners")
		return nil, &config.Error{Errors: errs}
	}
	var list, listKey *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "partners" {
			fail(k.Line, k.Value, "unknown key; the top level has: partners")
			continue
		}
		if listKey != nil {
			// A second list would replace the first, dropping its partners.
			fail(k.Line, k.Value, "key already set at line %d", listKey.Line)
			continue
		}
		list, listKey = v, k
	}
	var ps []Partner
	if list != nil && list.Kind != yaml.SequenceNode && list.Tag != "!!null" {
		fail(list.Line, "partners", "want a list of partners")
		list = nil
	}
	seen := map[string]int{}
	if list != nil {
		for i, item := range list.Content {
			path := fmt.Sprintf("partners[%d]", i)
			if item.Kind != yaml.MappingNode {
				fail(item.Line, path, "want a mapping of keys")
				continue
			}
			p := Partner{Line: item.Line}
			lines := map[string]int{}
			for j := 0; j+1 < len(item.Content); j += 2 {
				k, v := item.Content[j], item.Content[j+1]
				fp := path + "." + k.Value
				if _, dup := lines[k.Value]; dup {
					fail(k.Line, fp, "key already set at line %d", lines[k.Value])
					continue
				}
				lines[k.Value] = k.Line
				if !slices.Contains(partnerKey, k.Value) {
					fail(k.Line, fp, "unknown key; a partner has: %s", strings.Join(partnerKey, ", "))
					continue
				}
				if k.Value == "excluded_fields" {
					if v.Kind != yaml.SequenceNode {
						fail(v.Line, fp, "want a list of strings")
						continue
					}
					for n, f := range v.Content {
						if f.Kind != yaml.ScalarNode || !fieldName.MatchString(f.Value) {
							fail(f.Line, fmt.Sprintf("%s[%d]", fp, n), "want a field name like listing_obs.description or contacts, got %q", short(f.Value))
							continue
						}
						if !KnownField(f.Value) {
							// A misspelled exclusion would exclude nothing.
							fail(f.Line, fmt.Sprintf("%s[%d]", fp, n), "%q is no field of a package (fields: %s)", short(f.Value), fieldNames())
							continue
						}
						p.ExcludedFields = append(p.ExcludedFields, f.Value)
					}
					continue
				}
				if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
					fail(v.Line, fp, "want a string")
					continue
				}
				s := strings.TrimSpace(v.Value)
				switch k.Value {
				case "id":
					p.ID = s
				case "agency":
					p.Agency = s
				case "country":
					p.Country = s
				case "contact":
					p.Contact = s
				case "signing_key":
					p.SigningKey = s
				case "encryption_key":
					p.EncryptionKey = s
				case "max_tlp":
					p.MaxTLP = strings.ToLower(s)
				}
			}
			at := func(key string) int {
				if l, ok := lines[key]; ok {
					return l
				}
				return item.Line
			}
			for _, pr := range validatePartner(p, countries) {
				fail(at(pr.key), path+"."+pr.key, "%s", pr.msg)
			}
			if p.ID != "" {
				if first, ok := seen[p.ID]; ok {
					fail(at("id"), path+".id", "id %q already used at line %d", p.ID, first)
				} else {
					seen[p.ID] = at("id")
				}
			}
			ps = append(ps, p)
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b config.FieldError) int { return a.Line - b.Line })
		return nil, &config.Error{Errors: errs}
	}
	return ps, nil
}

type partnerProblem struct{ key, msg string }

func validatePartner(p Partner, countries *Data) []partnerProblem {
	var pr []partnerProblem
	add := func(key, format string, args ...any) {
		pr = append(pr, partnerProblem{key, fmt.Sprintf(format, args...)})
	}
	switch {
	case p.ID == "":
		add("id", "missing")
	case !partnerID.MatchString(p.ID):
		add("id", "%q: use lower-case letters, digits and '-'", short(p.ID))
	}
	if p.Agency == "" {
		add("agency", "missing")
	}
	switch {
	case p.Country == "":
		add("country", "missing")
	case len(p.Country) != 2 || strings.ToUpper(p.Country) != p.Country:
		add("country", "%q is not an ISO 3166-1 alpha-2 code", short(p.Country))
	case countries != nil:
		if _, ok := countries.Country(p.Country); !ok {
			add("country", "%q is not an ISO 3166-1 alpha-2 code", p.Country)
		}
	}
	if p.Contact == "" {
		add("contact", "missing")
	}
	if p.SigningKey == "" {
		add("signing_key", "missing")
	} else if _, err := p.PublicKey(); err != nil {
		add("signing_key", "not an ed25519 public key (base64 of 32 bytes)")
	}
	if p.EncryptionKey != "" {
		// The parser export encrypts with: a key that passes here is one
		// a package can be encrypted to.
		if _, err := age.ParseX25519Recipient(p.EncryptionKey); err != nil {
			add("encryption_key", "not an age X25519 recipient (age1...)")
		}
	}
	switch {
	case p.MaxTLP == "":
		add("max_tlp", "missing")
	case TLPRank(p.MaxTLP) < 0:
		add("max_tlp", "%q: want one of %s", short(p.MaxTLP), strings.Join(TLPs, ", "))
	}
	return pr
}

func fieldNames() string {
	names := make([]string, len(Fields))
	for i, f := range Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
