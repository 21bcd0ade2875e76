package export

import (
	"bytes"
	"context"
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

// TestSelectLinksReadsScores writes two links builds to vendor_link_scores
// and checks that export's links carry the latest build's probability and
// contributions, and that a pair that build linked without a shared
// identifier joins them.
func TestSelectLinksReadsScores(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	fx := newFixture(t)
	ctx := context.Background()
	conn := fx.db.Conn()
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO vendor_link_scores (built_at, model_version, source_a, handle_a, source_b, handle_b, "+
		"probability, linked, threshold, cluster, baseline, signals, contributions, evidence, captures_a, captures_b)")
	if err != nil {
		t.Fatal(err)
	}
	old, latest := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	sha := strings.Repeat("cd", 32)
	for _, r := range []struct {
		at             time.Time
		sa, ha, sb, hb string
		p              float64
		linked         uint8
	}{
		{old, "alpha", "DutchDirect", "bravo", "dutchdirect", 0.51, 1},
		{latest, "alpha", "DutchDirect", "bravo", "dutchdirect", 0.993, 1},
		{latest, "alpha", "LoneWolf", "bravo", "PacificPills", 0.81, 1},
		{latest, "alpha", "GermanGrams", "bravo", "PacificPills", 0.2, 0},
	} {
		if err := batch.Append(r.at, "lr-test", r.sa, r.ha, r.sb, r.hb, r.p, r.linked, 0.5, "", -8.0,
			[]string{"handle", "style"}, []float64{3.1, 9.9}, []string{"DutchDirect ~ dutchdirect", "cosine 0.8"}, []string{"", sha}, []string{"", sha}); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	ls, err := selectLinks(ctx, conn, []string{"alpha:DutchDirect", "alpha:LoneWolf", "alpha:GermanGrams"})
	if err != nil {
		t.Fatal(err)
	}
	var ruled, model int
	for _, l := range ls {
		switch {
		case l.KeyA() == "alpha:DutchDirect" && l.KeyB() == "bravo:dutchdirect":
			ruled++
			if !l.Score.Scored || l.Score.Probability != 0.993 || l.Score.Confidence() != 99 || !strings.Contains(l.Score.Explain(), "style +9.90") {
				t.Errorf("%s %s (%s): score %+v", l.KeyA(), l.KeyB(), l.Kind, l.Score)
			}
		case l.Kind == "identity_model":
			model++
			if l.KeyA() != "alpha:LoneWolf" || l.KeyB() != "bravo:PacificPills" || l.CaptureA != sha || l.Score.Probability != 0.81 {
				t.Errorf("model-only link %s %s captures %s, p %.2f", l.KeyA(), l.KeyB(), l.CaptureA, l.Score.Probability)
			}
		}
	}
	if ruled == 0 || model != 1 {
		t.Errorf("%d scored rule links of DutchDirect, %d model-only links (want >= 1, 1): %+v", ruled, model, ls)
	}
}
