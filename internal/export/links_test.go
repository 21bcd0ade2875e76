package export

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestVendorLinkCarriesProbability checks the relationship of a scored
// vendor link: confidence from the probability, each signal's contribution
// in the description, valid against the OASIS schemas; and that a link by
// rule alone gets no confidence.
func TestVendorLinkCarriesProbability(t *testing.T) {
	var buf bytes.Buffer
	b := newBundleWriter(&buf, "bundle--6ba7b810-9dad-11d1-80b4-00c04fd430c8", "amber", sdoID("identity", "test"), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	sha := strings.Repeat("ab", 32)
	scored := Link{SourceA: "harbor", HandleA: "N0rdicKings", SourceB: "nebula", HandleB: "NordicKings", Kind: "identity_model", Strength: "model",
		CaptureA: sha, Score: LinkScore{Scored: true, Probability: 0.974, Linked: true, Baseline: -8.6, Signals: []string{"handle", "style"},
			Contribution: []float64{4.2, 7.9}, Evidence: []string{"N0rdicKings ~ NordicKings", "character 4-gram cosine 0.71"}, ModelVersion: "lr-x"}}
	rule := Link{SourceA: "harbor", HandleA: "a", SourceB: "nebula", HandleB: "b", Kind: "similar_handle", Strength: "weak", Evidence: "stem"}
	b.vendorLink(&scored, map[string]bool{sha: true})
	b.vendorLink(&rule, nil)
	if err := b.close(); err != nil {
		t.Fatal(err)
	}
	var bundle struct{ Objects []map[string]any }
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		t.Fatal(err)
	}
	var rels []map[string]any
	for _, o := range bundle.Objects {
		if o["type"] == "relationship" {
			rels = append(rels, o)
		}
	}
	if len(rels) != 2 {
		t.Fatalf("%d relationships, want 2", len(rels))
	}
	desc, _ := rels[0]["description"].(string)
	if rels[0]["confidence"] != float64(97) || !strings.Contains(desc, "p=0.974") || !strings.Contains(desc, "style +7.90") {
		t.Errorf("scored link: confidence %v, description %q", rels[0]["confidence"], desc)
	}
	if _, ok := rels[1]["confidence"]; ok {
		t.Errorf("a link by rule alone has confidence %v", rels[1]["confidence"])
	}
	dir := stixSchemaDir(t)
	sch, err := LoadSTIXSchemas(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range sch.ValidateBundle(buf.Bytes()) {
		t.Error(err)
	}
}
