package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/testenv"
)

// openPackage verifies and unpacks a package with the partner's keys.
func openPackage(t *testing.T, e *env, partner, file string) (*Result, string) {
	t.Helper()
	key, err := ParsePublicKey(e.sender.keys.SigningPub)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := LoadIdentities(e.partners[partner].identityFile())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "opened")
	res, err := VerifyFile(file, VerifyOptions{Key: key, Identities: ids, Dir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return res, dir
}

// readCSV reads a package table as header-keyed rows.
func readCSV(t *testing.T, path string) []map[string]string { return testenv.ReadCSV(t, path) }

func TestExportRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	ctx := context.Background()
	week := func(n int) time.Time { return base.AddDate(0, 0, 7*n) }
	tests := []struct {
		name      string
		partner   string
		sel       Selection
		tlp       string
		evidence  bool
		minimize  []string
		encrypted bool
		links     int // vendor links expected at least
	}{
		{name: "everything", partner: "politie-nl", tlp: "amber+strict", evidence: true, encrypted: true, links: 3},
		{name: "vendor", partner: "plain-at", sel: Selection{Vendors: []string{"alpha:DutchDirect"}}, tlp: "red", evidence: true, links: 2},
		{name: "bare-handle", partner: "plain-at", sel: Selection{Vendors: []string{"Canada_Meds"}}, tlp: "green", links: 1},
		{name: "route-window", partner: "politie-nl", sel: Selection{Routes: []Route{{From: "NL", To: "DE"}}, Since: week(1), Until: week(2)},
			tlp: "amber", evidence: true, encrypted: true},
		{name: "jurisdiction-minimized", partner: "nca-gb", sel: Selection{Jurisdictions: []string{"GB", "AT"}}, tlp: "amber",
			evidence: true, minimize: []string{"listing_obs.description", "contacts"}, encrypted: true},
		{name: "market", partner: "fbi-us", sel: Selection{Markets: []string{"bravo"}}, tlp: "green", evidence: false, encrypted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.request(tt.partner, tt.name)
			req.Selection, req.TLP, req.Evidence, req.Minimize = tt.sel, tt.tlp, tt.evidence, tt.minimize
			out, err := e.x.Export(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(out.File)
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.HasPrefix(raw, ageMagic); got != tt.encrypted {
				t.Errorf("encrypted = %v, want %v", got, tt.encrypted)
			}
			if sha(string(raw)) != out.SHA256 {
				t.Errorf("outcome SHA-256 %s, file has %s", out.SHA256, sha(string(raw)))
			}
			res, dir := openPackage(t, e, tt.partner, out.File)
			m := res.Manifest
			if m.PackageID != out.Manifest.PackageID || m.Partner.ID != tt.partner || m.TLP != tt.tlp || res.Sender != nil {
				t.Errorf("manifest: id %s partner %s tlp %s sender from trusted file %v", m.PackageID, m.Partner.ID, m.TLP, res.Sender)
			}
			for _, f := range []string{"bundle.json", "listings.csv", "vendors.csv", "vendor_links.csv", "crypto_addresses.csv",
				"routes.csv", "report.html", "request/request.md", "request/request.json", ManifestFile, SignatureFile} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("opened package: %v", err)
				}
			}
			// The listings are exactly the selection's.
			var got []string
			for _, r := range readCSV(t, filepath.Join(dir, "listings.csv")) {
				got = append(got, r["market"]+":"+r["listing_id"])
				if _, ok := r["description"]; ok == slices.Contains(tt.minimize, "listing_obs.description") {
					t.Errorf("listings.csv: description column present = %v with minimize %v", ok, tt.minimize)
				}
			}
			slices.Sort(got)
			want := wantListings(func() Selection { s := tt.sel; _ = s.Normalize(); return s }())
			if !slices.Equal(got, want) || len(want) == 0 {
				t.Errorf("listings %v, want %v", got, want)
			}
			if m.Counts["listings"] != uint64(len(want)) {
				t.Errorf("manifest counts %d listings, want %d", m.Counts["listings"], len(want))
			}
			links := readCSV(t, filepath.Join(dir, "vendor_links.csv"))
			if len(links) < tt.links {
				t.Errorf("%d vendor links, want at least %d", len(links), tt.links)
			}
			for _, v := range readCSV(t, filepath.Join(dir, "vendors.csv")) {
				if _, ok := v["contacts"]; ok == slices.Contains(tt.minimize, "contacts") {
					t.Errorf("vendors.csv: contacts column present = %v with minimize %v", ok, tt.minimize)
				}
			}
			// Evidence: every capture the records name is in the package, and
			// each file is the WARC record of that capture.
			ev, _ := filepath.Glob(filepath.Join(dir, "evidence", "*.warc.gz"))
			if !tt.evidence {
				if len(ev) != 0 || m.Evidence.Included {
					t.Errorf("evidence left out, but %d records in the package", len(ev))
				}
			} else if len(tt.minimize) > 0 {
				// Fields left out that the pages show: an index, no pages.
				rows := readCSV(t, filepath.Join(dir, "evidence", "index.csv"))
				if len(ev) != 0 || m.Evidence.Form != EvidenceIndex || len(rows) == 0 || len(rows) != m.Evidence.Indexed {
					t.Errorf("minimized: %d pages, form %q, %d index rows (manifest %d)", len(ev), m.Evidence.Form, len(rows), m.Evidence.Indexed)
				}
			} else {
				if len(ev) == 0 || len(ev) != m.Evidence.Records || m.Evidence.Missing != 0 {
					t.Errorf("%d evidence files, manifest says %d (missing %d)", len(ev), m.Evidence.Records, m.Evidence.Missing)
				}
				for _, f := range ev {
					name := strings.TrimSuffix(filepath.Base(f), ".warc.gz")
					if !e.fx.shas[name] {
						t.Errorf("evidence %s is not a capture of the fixture", name)
					}
					b, _ := os.ReadFile(f)
					if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
						t.Errorf("evidence %s is not a gzip member", name)
					}
				}
			}
			var rq CooperationRequest
			b, _ := os.ReadFile(filepath.Join(dir, "request", "request.json"))
			if err := json.Unmarshal(b, &rq); err != nil {
				t.Fatal(err)
			}
			md, _ := os.ReadFile(filepath.Join(dir, "request", "request.md"))
			if !rq.Draft || !strings.HasPrefix(string(md), "# "+DraftMarker) || len(rq.CooperationBasis) == 0 ||
				rq.AddressedAuthority.Country == "" || len(rq.Annexes) == 0 || len(rq.DataSought) == 0 {
				t.Errorf("request: draft %v, basis %d, annexes %d, sought %d; md starts %q", rq.Draft, len(rq.CooperationBasis),
					len(rq.Annexes), len(rq.DataSought), string(md[:min(len(md), 80)]))
			}
			for _, an := range rq.Annexes {
				if !slices.ContainsFunc(m.Files, func(f FileEntry) bool { return f == an }) {
					t.Errorf("request annex %s (%s) is not in the manifest as such", an.Path, an.SHA256)
				}
			}
			assertAudited(t, e, m.PackageID, "exported", out.SHA256)
		})
	}
}

// assertAudited checks export_audit and the local log for an attempt.
func assertAudited(t *testing.T, e *env, id, outcome, pkgSHA string) {
	t.Helper()
	var gotOutcome, gotSHA, reason string
	row := e.fx.db.Conn().QueryRow(context.Background(),
		"SELECT outcome, package_sha256, reason FROM export_audit WHERE export_id = ?", id)
	if err := row.Scan(&gotOutcome, &gotSHA, &reason); err != nil {
		t.Fatalf("export_audit row of %s: %v", id, err)
	}
	if gotOutcome != outcome || gotSHA != pkgSHA {
		t.Errorf("export_audit: outcome %q sha %q, want %q %q", gotOutcome, gotSHA, outcome, pkgSHA)
	}
	fi, err := os.Stat(e.x.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(e.x.AuditLog)
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var ae auditEntry
		if err := json.Unmarshal([]byte(line), &ae); err != nil {
			t.Fatalf("audit log line %q: %v", line, err)
		}
		if ae.ExportID == id && ae.Outcome == outcome && ae.PackageSHA256 == pkgSHA {
			found = true
		}
	}
	if !found {
		t.Errorf("no %s line for %s in the audit log", outcome, id)
	}
}

func TestExportRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	tests := []struct {
		name, partner, tlp string
		minimize           []string
		reason             string
	}{
		{"above-tlp", "fbi-us", "amber", nil, "TLP:AMBER is above TLP:GREEN"},
		{"red-to-amber-partner", "nca-gb", "red", []string{"description", "contacts"}, "above TLP:AMBER"},
		{"excluded-field", "nca-gb", "amber", nil, "excludes listing_obs.description"},
		{"excluded-kind", "nca-gb", "green", []string{"description"}, "vendor_obs.contacts"},
		{"unknown-partner", "nobody", "clear", nil, `no partner "nobody"`},
		{"unknown-minimize-field", "fbi-us", "clear", []string{"body"}, `"body": no such field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.request(tt.partner, tt.name)
			req.TLP, req.Minimize = tt.tlp, tt.minimize
			_, err := e.x.Export(context.Background(), req)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %v, want ErrRefused saying %q", err, tt.reason)
			}
			if _, err := os.Stat(req.Output); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("refused export left %s", req.Output)
			}
			var id, reason string
			row := e.fx.db.Conn().QueryRow(context.Background(),
				"SELECT export_id, reason FROM export_audit WHERE outcome = 'refused' AND partner = ? AND tlp = ? ORDER BY at DESC LIMIT 1",
				tt.partner, tt.tlp)
			if err := row.Scan(&id, &reason); err != nil {
				t.Fatalf("no refusal in export_audit: %v", err)
			}
			if !strings.Contains(reason, tt.reason) {
				t.Errorf("audited reason %q, want %q", reason, tt.reason)
			}
			assertAudited(t, e, id, "refused", "")
		})
	}
}
