// Package fieldsamples reads internal/normalize/testdata/fields.json: one
// sample value for every field a site file may set, per record type. The
// normalizer's every-field test and the loader's every-field-to-ClickHouse
// test read the same samples through it.
package fieldsamples

import (
	"encoding/json"
	"fmt"
	"os"
)

// Sample is the raw value a record field is given in the tests.
type Sample struct {
	Raw    string            `json:"raw"`
	File   string            `json:"file"`   // raw value read from testdata/<file>
	Parser string            `json:"parser"` // "" for the field's default
	With   map[string]string `json:"with"`   // other fields the value needs
}

// Load reads the samples file at path: record type -> field -> sample.
func Load(path string) (map[string]map[string]Sample, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]map[string]Sample{}
	for typ, m := range raw {
		if typ == "_doc" {
			continue
		}
		var fs map[string]Sample
		if err := json.Unmarshal(m, &fs); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, typ, err)
		}
		out[typ] = fs
	}
	return out, nil
}
