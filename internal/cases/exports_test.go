package cases_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/cases"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/reference"
)

// exportEnv is a Service whose exporter has real keys: the sending
// agency's and those of two partners, one excluding contacts.
type exportEnv struct {
	s        *cases.Service
	sender   export.KeySet
	partners map[string]export.KeySet
}

func newExportEnv(t *testing.T, w *world) *exportEnv {
	t.Helper()
	ref, err := reference.Default()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gen := func(name string) export.KeySet {
		ks, err := export.GenerateKeys(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return ks
	}
	e := &exportEnv{sender: gen("sender"), partners: map[string]export.KeySet{}}
	var ps []reference.Partner
	for _, p := range []reference.Partner{
		{ID: "politie-nl", Agency: "Politie (test)", Country: "NL", Contact: "desk@test.invalid", MaxTLP: "amber+strict"},
		{ID: "nca-gb", Agency: "NCA (test)", Country: "GB", Contact: "desk@test.invalid", MaxTLP: "amber",
			ExcludedFields: []string{"contacts", "post_obs.body"}},
	} {
		ks := gen(p.ID)
		e.partners[p.ID] = ks
		p.SigningKey, p.EncryptionKey = ks.SigningPub, ks.AgeRecipient
		ps = append(ps, p)
	}
	key, err := export.LoadSigningKey(filepath.Join(e.sender.Dir, export.SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	e.s = w.service()
	e.s.ExportDir = filepath.Join(dir, "exports")
	e.s.Exporter = &export.Exporter{DB: w.db, Ref: ref, Partners: ps,
		Sender:     export.Sender{Agency: "Bundeskriminalamt (test)", Country: "DE", Contact: "so4@test.invalid"},
		SigningKey: key, Captures: w.store, AuditLog: filepath.Join(dir, export.AuditLogFile),
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}
	return e
}

// TestFourEyesExport prepares export requests from a case and checks the
// four-eyes rule: the requester cannot approve, a non-approver cannot,
// a rejection needs a reason and ends the request, and an approval builds
// a package through the exporter that verifies with the partner's keys,
// holds what the review counted, and names both users; every step is
// audited with both users.
func TestFourEyesExport(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	ctx := context.Background()
	w := newWorld(t)
	w.load([]vendor{
		{market: "alpha", handle: "Ghost", pgp: []string{pgpGhost}, crypto: []event.CryptoAddress{{Chain: "btc", Address: btcGhost}}},
		{market: "bravo", handle: "Ghost", pgp: []string{pgpGhost}},
	}, []listing{
		{market: "alpha", id: "l1", vendor: "Ghost", from: "NL", to: []string{"DE", "BE"}, crypto: []event.CryptoAddress{{Chain: "btc", Address: btcGhost}}},
		{market: "alpha", id: "l2", vendor: "Ghost", from: "NL", to: []string{"DE"}},
		{market: "bravo", id: "b1", vendor: "Ghost", from: "NL", to: []string{"GB"}},
		{market: "bravo", id: "b2", vendor: "Other", from: "ES", to: []string{"FR"}},
	})
	e := newExportEnv(t, w)
	s := e.s
	c, err := s.CreateCase(ctx, ivan, cases.CaseInput{Title: "Ghost", Purpose: "Identify Ghost", LegalBasis: "StPO §100a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMember(ctx, ivan, c.ID, "olga", cases.CaseMember); err != nil {
		t.Fatal(err)
	}
	draft := cases.ExportDraft{Partner: "politie-nl", TLP: "AMBER", Purpose: "Joint investigation of Ghost",
		LegalBasis: "Budapest Convention Art. 26", Selection: export.Selection{Vendors: []string{"Ghost"}}, Evidence: true}

	// Preparing: an investigator member only, a partner and TLP that fit.
	if _, err := s.RequestExport(ctx, olga, c.ID, draft); !errors.Is(err, cases.ErrForbidden) {
		t.Errorf("an analyst prepared an export: %v", err)
	}
	for _, bad := range []func(d *cases.ExportDraft){
		func(d *cases.ExportDraft) { d.Partner = "nobody" },
		func(d *cases.ExportDraft) { d.TLP = "red" },
		func(d *cases.ExportDraft) { d.Purpose = "" },
		func(d *cases.ExportDraft) { d.Minimize = []string{"listing_obs.vendor"} },
		func(d *cases.ExportDraft) { d.Selection = export.Selection{Jurisdictions: []string{"Germany"}} },
	} {
		d := draft
		bad(&d)
		if _, err := s.RequestExport(ctx, ivan, c.ID, d); !errors.Is(err, cases.ErrInvalid) {
			t.Errorf("request %+v: %v, want ErrInvalid", d, err)
		}
	}
	r, err := s.RequestExport(ctx, ivan, c.ID, draft)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != cases.ExportPending || r.TLP != "amber" || r.RequestedBy != "ivan" {
		t.Errorf("request %+v", r)
	}

	// The review: counts from the request's own selection.
	rv, err := s.Review(ctx, anna, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := map[string]uint64{"listings": 3, "vendors": 2, "markets": 2, "routes": 3, "crypto_addresses": 1,
		"listing_pages": 3, "vendor_profiles": 2}
	for k, v := range wantCounts {
		if rv.Counts[k] != v {
			t.Errorf("review counts %s = %d, want %d (all: %v)", k, rv.Counts[k], v, rv.Counts)
		}
	}
	if rv.TLP != "amber" || rv.PartnerCountry != "NL" || rv.Evidence != "full pages" || len(rv.Excluded) != 0 || rv.Selection != "vendor=Ghost" {
		t.Errorf("review %+v", rv)
	}

	// Four eyes: not the requester (though ivan is an approver too), not a
	// non-approver.
	if _, err := s.Approve(ctx, ivan, r.ID, ""); !errors.Is(err, cases.ErrFourEyes) {
		t.Fatalf("the requester approved his own export: %v", err)
	}
	if _, err := s.Approve(ctx, olga, r.ID, ""); !errors.Is(err, cases.ErrForbidden) {
		t.Fatalf("an analyst approved an export: %v", err)
	}
	if _, err := s.Reject(ctx, ivan, r.ID, "no"); !errors.Is(err, cases.ErrFourEyes) {
		t.Fatalf("the requester rejected his own export: %v", err)
	}
	if got, _ := s.ExportRequest(ctx, ivan, r.ID); got.Status != cases.ExportPending {
		t.Fatalf("after refused reviews the request is %s", got.Status)
	}

	// A second request, rejected with a reason, cannot be approved after.
	r2, err := s.RequestExport(ctx, ivan, c.ID, draft)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reject(ctx, anna, r2.ID, "  "); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("a rejection without a reason: %v", err)
	}
	rej, err := s.Reject(ctx, anna, r2.ID, "Selection too wide for the stated purpose")
	if err != nil {
		t.Fatal(err)
	}
	if rej.Status != cases.ExportRejected || rej.ReviewedBy != "anna" || rej.Reason != "Selection too wide for the stated purpose" {
		t.Errorf("rejected request %+v", rej)
	}
	if _, err := s.Approve(ctx, anna, r2.ID, ""); !errors.Is(err, cases.ErrState) {
		t.Errorf("approving a rejected request: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.ExportDir, r2.ID+".cnpkg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rejected request has a package: %v", err)
	}

	// Approval builds the package; it verifies with the partner's keys.
	done, err := s.Approve(ctx, anna, r.ID, "Checked against the case's purpose")
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != cases.ExportExported || done.ReviewedBy != "anna" || done.PackageSHA256 == "" || done.Counts["listings"] != 3 {
		t.Fatalf("approved request %+v", done)
	}
	if again, err := s.Approve(ctx, anna, r.ID, ""); !errors.Is(err, cases.ErrState) {
		t.Errorf("approving an exported request again: %+v, %v", again, err)
	}
	path, err := s.PackagePath(ctx, ivan, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := export.ParsePublicKey(e.sender.SigningPub)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := export.LoadIdentities(filepath.Join(e.partners["politie-nl"].Dir, export.AgeIdentityFile))
	if err != nil {
		t.Fatal(err)
	}
	res, err := export.VerifyFile(path, export.VerifyOptions{Key: pub, Identities: ids, Dir: filepath.Join(t.TempDir(), "opened")})
	if err != nil {
		t.Fatalf("verifying the package: %v", err)
	}
	m := res.Manifest
	if m.Creator.Who != "ivan" || m.Case != c.ID || m.TLP != "amber" || m.Partner.ID != "politie-nl" {
		t.Errorf("manifest creator %q case %q tlp %q partner %q", m.Creator.Who, m.Case, m.TLP, m.Partner.ID)
	}
	if m.Counts["listings"] != rv.Counts["listings"] || m.Evidence.Records == 0 {
		t.Errorf("the package holds %d listings and %d evidence records; the review counted %d listings",
			m.Counts["listings"], m.Evidence.Records, rv.Counts["listings"])
	}

	// The exporter's own audit names the requester.
	var who, outcome string
	if err := w.db.Conn().QueryRow(ctx, "SELECT who, outcome FROM export_audit WHERE package_sha256 = ?", done.PackageSHA256).Scan(&who, &outcome); err != nil {
		t.Fatal(err)
	}
	if who != "ivan" || outcome != "exported" {
		t.Errorf("export_audit: who %q outcome %q", who, outcome)
	}

	// Every step is in the console audit with both users.
	type step struct{ action, user, other, outcome string }
	var got []step
	for _, a := range []string{"export_request", "export_review", "export_approve", "export_reject", "export_build", "export_download"} {
		for _, en := range auditOf(t, s, a) {
			if en.Object == r.ID {
				got = append(got, step{en.Action, en.User, en.Other, en.Outcome})
			}
		}
	}
	want := []step{
		{"export_request", "ivan", "", "ok"},
		{"export_review", "anna", "ivan", "ok"},
		{"export_approve", "anna", "ivan", "ok"},
		{"export_approve", "ivan", "ivan", "refused"},
		{"export_approve", "olga", "ivan", "refused"},
		{"export_approve", "anna", "ivan", "refused"},
		{"export_reject", "ivan", "ivan", "refused"},
		{"export_build", "anna", "ivan", "ok"},
		{"export_download", "ivan", "ivan", "ok"},
	}
	for _, st := range want {
		if !slices.Contains(got, st) {
			t.Errorf("audit has no %+v; it has %+v", st, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("audit of request %s: %d entries, want %d: %+v", r.ID, len(got), len(want), got)
	}
}

// TestReviewExcludedFields checks that a partner's excluded fields are left
// out of the request and shown to the approver, and that the evidence then
// goes as an index.
func TestReviewExcludedFields(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	ctx := context.Background()
	w := newWorld(t)
	w.load([]vendor{{market: "alpha", handle: "Ghost", pgp: []string{pgpGhost}}},
		[]listing{{market: "alpha", id: "l1", vendor: "Ghost", from: "NL", to: []string{"GB"}}})
	e := newExportEnv(t, w)
	s := e.s
	c, err := s.CreateCase(ctx, inge, cases.CaseInput{Title: "Ghost GB", Purpose: "p", LegalBasis: "b"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.RequestExport(ctx, inge, c.ID, cases.ExportDraft{Partner: "nca-gb", TLP: "amber", Purpose: "p", LegalBasis: "b",
		Selection: export.Selection{Routes: []export.Route{{To: "GB"}}}, Minimize: []string{"listing_obs.description"}, Evidence: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"listing_obs.description", "vendor_obs.contacts"}
	if !slices.Equal(r.Minimize, want) {
		t.Errorf("request leaves out %v, want %v", r.Minimize, want)
	}
	rv, err := s.Review(ctx, anna, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rv.Excluded, want) || rv.Evidence != "index of pages (hashes)" || rv.Counts["listings"] != 1 {
		t.Errorf("review excluded %v evidence %q counts %v", rv.Excluded, rv.Evidence, rv.Counts)
	}
	done, err := s.Approve(ctx, anna, r.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != cases.ExportExported || done.Counts["listings"] != 1 {
		t.Errorf("approved request %+v", done)
	}
	if _, err := s.UpdateCase(ctx, inge, c.ID, cases.CaseInput{Title: c.Title, Purpose: c.Purpose, LegalBasis: c.LegalBasis}, cases.StatusClosed); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestExport(ctx, inge, c.ID, cases.ExportDraft{Partner: "nca-gb", TLP: "amber", Purpose: "p", LegalBasis: "b"}); !errors.Is(err, cases.ErrState) {
		t.Errorf("an export request from a closed case: %v", err)
	}
}
