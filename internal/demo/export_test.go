package demo_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/demo"
	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/testenv"
)

// readCSV reads a package table as header-keyed rows.
func readCSV(t *testing.T, path string) []map[string]string { return testenv.ReadCSV(t, path) }

// TestExportDemo collects the fixture markets, runs the demo's chain step
// and exports for the demo partner: the package must concern the partner
// (every listing ships from or to its country), and carry routes, vendor
// links, crypto addresses, flows to services in its country, and evidence.
func TestExportDemo(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg, 7)
	collectAndLoad(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := e.SyncChain(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	files, res, err := demo.ExportDemo(ctx, e, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if _, err := os.Stat(files.Package); err != nil {
		t.Fatal(err)
	}
	// The demo partner's policy leaves contacts out, and the captured pages
	// show them: the package carries the evidence index, not the pages.
	ev := res.Manifest.Evidence
	index, err := os.ReadFile(filepath.Join(files.Opened, filepath.FromSlash(export.EvidenceIndexFile)))
	if ev.Form != export.EvidenceIndex || ev.Indexed == 0 || err != nil || strings.Count(string(index), "\n") < ev.Indexed {
		t.Errorf("the demo package carries no evidence index: %+v, %v\n%s", ev, err, out.String())
	}
	if warcs, _ := filepath.Glob(filepath.Join(files.Opened, "evidence", "*.warc.gz")); len(warcs) != 0 {
		t.Errorf("%d pages in a package whose partner excludes fields they show", len(warcs))
	}
	country := demo.DemoPartner.Country
	listings := readCSV(t, filepath.Join(files.Opened, "listings.csv"))
	if len(listings) < 50 {
		t.Errorf("listings.csv has %d rows", len(listings))
	}
	for _, l := range listings {
		// A listing shipping worldwide (except some countries) concerns
		// every country it does not exclude.
		worldwide := l["ships_to"] == "" || strings.Contains(strings.ToLower(l["ships_to"]), "worldwide")
		if l["ships_from"] != country && !strings.Contains(l["ships_to"], country) && !worldwide {
			t.Errorf("listing %s/%s ships %s -> %s: does not concern %s", l["market"], l["listing_id"], l["ships_from"], l["ships_to"], country)
			break
		}
	}
	c := res.Manifest.Counts
	for _, k := range []string{"routes", "vendor_links", "crypto_addresses", "flows", "flow_services", "untraced_addresses"} {
		if c[k] == 0 {
			t.Errorf("the package holds no %s: counts %v", k, c)
		}
	}
	flows := readCSV(t, filepath.Join(files.Opened, "flows.csv"))
	for _, f := range flows {
		if f["jurisdiction"] != country {
			t.Errorf("flow to %s in %s: not the partner's country", f["service"], f["jurisdiction"])
			break
		}
	}
	if len(flows) == 0 {
		t.Error("flows.csv is empty")
	}
	if !strings.Contains(out.String(), files.Package) || !strings.Contains(out.String(), "verified") {
		t.Errorf("output does not say where the verified package is:\n%s", out.String())
	}
	t.Log(out.String())
}
