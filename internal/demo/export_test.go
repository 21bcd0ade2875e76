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
)

// TestExportDemo exports what the demo collected for the demo partner and
// checks the package holds the collected listings with their evidence.
func TestExportDemo(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg, 7)
	collectAndLoad(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	path, err := demo.ExportDemo(ctx, e, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	opened := filepath.Join(filepath.Dir(path), "opened")
	ev, _ := filepath.Glob(filepath.Join(opened, "evidence", "*.warc.gz"))
	if len(ev) == 0 {
		t.Errorf("the demo package carries no evidence\n%s", out.String())
	}
	b, err := os.ReadFile(filepath.Join(opened, "listings.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(string(b), "\n") - 1; rows < demo.Listings(e.World)/2 {
		t.Errorf("listings.csv has %d rows; the fixture markets hold %d", rows, demo.Listings(e.World))
	}
	if !strings.Contains(out.String(), path) || !strings.Contains(out.String(), "verified") {
		t.Errorf("output does not say where the verified package is:\n%s", out.String())
	}
	t.Log(out.String())
}
