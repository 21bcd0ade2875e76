package export

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// EnvSTIXSchemas names the folder holding the OASIS STIX 2.1 JSON schemas
// (with schemas/ and tlp-2.0/ inside); by default FindSTIXSchemas looks
// for shared/stix2-schemas in the working directory or any parent.
const EnvSTIXSchemas = "COUNTERNET_STIX_SCHEMAS"

// ErrNoSTIXSchemas means the OASIS schemas were not found.
var ErrNoSTIXSchemas = errors.New("OASIS STIX 2.1 schemas not found")

// FindSTIXSchemas returns the folder of the OASIS STIX 2.1 schemas: the one
// EnvSTIXSchemas names, or shared/stix2-schemas in start or a parent.
func FindSTIXSchemas(start string) (string, error) {
	if d := os.Getenv(EnvSTIXSchemas); d != "" {
		return d, nil
	}
	for d := start; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "shared", "stix2-schemas")
		if _, err := os.Stat(filepath.Join(cand, "schemas", "common", "bundle.json")); err == nil {
			return cand, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%w above %s (set %s)", ErrNoSTIXSchemas, start, EnvSTIXSchemas)
		}
	}
}

// STIXSchemas validates STIX objects against the OASIS STIX 2.1 JSON
// schemas. It is safe for concurrent use.
type STIXSchemas struct {
	c   *jsonschema.Compiler
	ids map[string]string // path relative to schemas/ -> $id

	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
}

// LoadSTIXSchemas reads every schema under dir/schemas by its $id.
func LoadSTIXSchemas(dir string) (*STIXSchemas, error) {
	s := &STIXSchemas{c: jsonschema.NewCompiler(), ids: map[string]string{}, compiled: map[string]*jsonschema.Schema{}}
	root := filepath.Join(dir, "schemas")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			return fmt.Errorf("%s: no $id", path)
		}
		rel, _ := filepath.Rel(root, path)
		s.ids[filepath.ToSlash(rel)] = id
		return s.c.AddResource(id, doc)
	})
	if err != nil {
		return nil, fmt.Errorf("loading STIX schemas: %w", err)
	}
	return s, nil
}

// Schema returns the compiled schema at rel (a path under schemas/, such
// as "common/bundle.json").
func (s *STIXSchemas) Schema(rel string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc := s.compiled[rel]; sc != nil {
		return sc, nil
	}
	id, ok := s.ids[rel]
	if !ok {
		return nil, fmt.Errorf("no STIX schema %s", rel)
	}
	sc, err := s.c.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", rel, err)
	}
	s.compiled[rel] = sc
	return sc, nil
}

// SchemaFor names the schema an object of type typ is checked against:
// its SDO, SRO or SCO schema, the meta-object schemas, and for counternet's
// custom objects (ListingType, WalletType, defined by extension-definitions)
// the cyber-observable core.
func (s *STIXSchemas) SchemaFor(typ string) string {
	switch typ {
	case "marking-definition":
		return "common/marking-definition.json"
	case "extension-definition":
		return "common/extension-definition.json"
	case "relationship", "sighting":
		return "sros/" + typ + ".json"
	case ListingType, WalletType:
		return "common/cyber-observable-core.json"
	}
	if _, ok := s.ids["sdos/"+typ+".json"]; ok {
		return "sdos/" + typ + ".json"
	}
	return "observables/" + typ + ".json"
}

// ValidateObject checks one decoded STIX object (as jsonschema.UnmarshalJSON
// returns it) against the schema of its type.
func (s *STIXSchemas) ValidateObject(obj any) error {
	m, ok := obj.(map[string]any)
	if !ok {
		return errors.New("STIX object is not a JSON object")
	}
	typ, _ := m["type"].(string)
	rel := s.SchemaFor(typ)
	sc, err := s.Schema(rel)
	if err != nil {
		return err
	}
	if err := sc.Validate(obj); err != nil {
		return fmt.Errorf("%s %v against %s: %w", typ, m["id"], rel, err)
	}
	return nil
}

// ValidateBundle checks every object of a bundle.json against its schema
// and returns the problems, one per object that fails.
func (s *STIXSchemas) ValidateBundle(bundle []byte) []error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(bundle))
	if err != nil {
		return []error{fmt.Errorf("decoding bundle: %w", err)}
	}
	objs, _ := doc.(map[string]any)["objects"].([]any)
	var errs []error
	for _, o := range objs {
		if err := s.ValidateObject(o); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
