package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/capture"
)

// packageText reads every file of an opened package, gzip members
// decompressed, as one text.
func packageText(t *testing.T, dir string) string {
	t.Helper()
	var all bytes.Buffer
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return err
			}
			if b, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		all.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.String()
}

// lastAudit is the newest export_audit row of a partner whose reason
// holds text.
func lastAudit(t *testing.T, e *env, partner, text string) (id, outcome, reason string) {
	t.Helper()
	row := e.fx.db.Conn().QueryRow(context.Background(),
		"SELECT export_id, outcome, reason FROM export_audit WHERE partner = ? AND position(reason, ?) > 0 ORDER BY at DESC LIMIT 1", partner, text)
	if err := row.Scan(&id, &outcome, &reason); err != nil {
		t.Fatalf("no export_audit row for %s saying %q: %v", partner, text, err)
	}
	return id, outcome, reason
}

// TestExcludedFieldsReachNoFile: a package that leaves out descriptions,
// contacts and URLs (for a partner that excludes descriptions and
// contacts) holds none of them in any file, the evidence included (the
// captured pages show them): the evidence goes as an index, and the pages
// themselves are refused with the reason.
func TestExcludedFieldsReachNoFile(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	ctx := context.Background()
	req := e.request("nca-gb", "nca")
	req.Minimize = []string{"listing_obs.description", "contacts", "url", "profile_url", "mirror"}
	out, err := e.x.Export(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, dir := openPackage(t, e, "nca-gb", out.File)
	text := packageText(t, dir)
	for _, l := range fixListings {
		if strings.Contains(text, l.desc) {
			t.Errorf("the package holds the excluded description %q", l.desc)
		}
	}
	for _, leak := range []string{"example.onion/listing/", "example.onion/vendor/", "jabber:", "session: 05abcdef"} {
		if strings.Contains(text, leak) {
			t.Errorf("the package holds %q, which the partner's policy excludes", leak)
		}
	}
	if !strings.Contains(text, "formal request") {
		t.Error("neither report nor request says the pages are available through a formal request")
	}
	req = e.request("nca-gb", "nca-full")
	req.Minimize, req.EvidenceForm = []string{"listing_obs.description", "contacts"}, EvidenceFull
	if _, err := e.x.Export(ctx, req); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "--evidence index") {
		t.Fatalf("--evidence full for nca-gb: err = %v, want a refusal naming --evidence index", err)
	}
	id, outcome, reason := lastAudit(t, e, "nca-gb", "--evidence index")
	if outcome != "refused" || !strings.Contains(reason, "listing_obs.description") {
		t.Errorf("audit of the refused full evidence: %s %q", outcome, reason)
	}
	assertAudited(t, e, id, "refused", "")
}

// TestMissingEvidenceRefused: captures missing from the store refuse the
// export, naming them and the store; with AllowMissingEvidence the report
// and the draft request say what is missing.
func TestMissingEvidenceRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	ctx := context.Background()
	empty, err := capture.Open(filepath.Join(t.TempDir(), "wrong-data-dir", "captures"))
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	e.x.Captures = empty
	req := e.request("plain-at", "missing")
	_, err = e.x.Export(ctx, req)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), empty.Dir()) || !strings.Contains(err.Error(), "not in the capture store") {
		t.Fatalf("evidence missing: err = %v, want a refusal naming the store %s", err, empty.Dir())
	}
	if _, err := os.Stat(req.Output); !errors.Is(err, os.ErrNotExist) {
		t.Error("refused export left a package")
	}
	id, outcome, _ := lastAudit(t, e, "plain-at", empty.Dir())
	if outcome != "refused" {
		t.Errorf("audited %s, want refused", outcome)
	}
	assertAudited(t, e, id, "refused", "")

	req = e.request("plain-at", "missing-allowed")
	req.AllowMissingEvidence = true
	out, err := e.x.Export(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, dir := openPackage(t, e, "plain-at", out.File)
	if out.Manifest.Evidence.Missing == 0 || len(out.Manifest.Evidence.MissingCaptures) == 0 {
		t.Errorf("manifest evidence: %+v", out.Manifest.Evidence)
	}
	for _, f := range []string{"report.html", "request/request.md"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if !strings.Contains(string(b), "MISSING EVIDENCE") || !strings.Contains(string(b), out.Manifest.Evidence.MissingCaptures[0]) {
			t.Errorf("%s does not say which evidence is missing", f)
		}
	}
}

// TestEveryRefusalAudited: refusals raised by the command line, an output
// that exists, an invalid sending country and a database of synthetic data
// are all audited with their reason.
func TestEveryRefusalAudited(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	ctx := context.Background()
	exists := filepath.Join(e.out, "exists.cnpkg")
	if err := os.WriteFile(exists, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, reason string
		change       func(*Request, *Exporter)
	}{
		{"blank purpose", "missing or blank --purpose", func(r *Request, _ *Exporter) {
			r.Purpose, r.Problems = " ", []string{"missing or blank --purpose"}
		}},
		{"bad route", `--route: "XX-DE"`, func(r *Request, _ *Exporter) { r.Problems = []string{`--route: "XX-DE": want FROM:TO`} }},
		{"output exists", "already exists", func(r *Request, _ *Exporter) { r.Output = exists }},
		{"sending country", `sending country "ZZ"`, func(_ *Request, x *Exporter) { x.Sender.Country = "ZZ" }},
		{"evidence form", `evidence form "pages"`, func(r *Request, _ *Exporter) { r.EvidenceForm = "pages" }},
	} {
		x := *e.x
		req := e.request("politie-nl", strings.ReplaceAll(tt.name, " ", "-"))
		tt.change(&req, &x)
		_, err := x.Export(ctx, req)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: err = %v, want a refusal saying %q", tt.name, err, tt.reason)
			continue
		}
		id, outcome, reason := lastAudit(t, e, "politie-nl", tt.reason)
		if outcome != "refused" {
			t.Errorf("%s: audited %s %q", tt.name, outcome, reason)
		}
		assertAudited(t, e, id, "refused", "")
	}
	if b, _ := os.ReadFile(exists); string(b) != "x" {
		t.Error("the existing output was changed")
	}

	if err := e.fx.db.Conn().Exec(ctx, "CREATE TABLE synthetic_dataset (seed UInt64) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	req := e.request("politie-nl", "synthetic")
	if _, err := e.x.Export(ctx, req); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "synthetic") {
		t.Fatalf("database with synthetic data: err = %v, want a refusal", err)
	}
	id, outcome, reason := lastAudit(t, e, "politie-nl", "synthetic_dataset")
	if outcome != "refused" {
		t.Errorf("synthetic: audited %s %q", outcome, reason)
	}
	assertAudited(t, e, id, "refused", "")
}

// TestUnwritableAuditLogFails: when the local audit log cannot be written
// no package is left and export_audit records the attempt as failed, with
// the reason, never as exported.
func TestUnwritableAuditLogFails(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	ctx := context.Background()
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.x.AuditLog = filepath.Join(notDir, AuditLogFile)
	req := e.request("politie-nl", "unaudited")
	_, err := e.x.Export(ctx, req)
	if err == nil {
		t.Fatal("export succeeded with an unwritable audit log")
	}
	if _, err := os.Stat(req.Output); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a package is left at %s", req.Output)
	}
	var n, exported uint64
	var reason string
	row := e.fx.db.Conn().QueryRow(ctx, "SELECT count(), countIf(outcome = 'exported'), any(reason) FROM export_audit WHERE outcome IN ('exported', 'failed')")
	if err := row.Scan(&n, &exported, &reason); err != nil {
		t.Fatal(err)
	}
	if n != 1 || exported != 0 || !strings.Contains(reason, "audit log") {
		t.Errorf("export_audit: %d rows, %d exported, reason %q; want one failed row naming the audit log", n, exported, reason)
	}
}
