package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/reference"
)

// Export request statuses.
const (
	ExportPending  = "pending"  // prepared, waiting for an approver
	ExportApproved = "approved" // approved, the package being built
	ExportRejected = "rejected" // rejected by an approver, with the reason
	ExportExported = "exported" // built: PackageFile and PackageSHA256 are set
	ExportFailed   = "failed"   // approved but the build failed (Error); an approver may approve it again
)

// ExportDraft is what an investigator prepares for a partner.
type ExportDraft struct {
	Partner    string // partner id in the exporter's partner directory
	TLP        string // TLP 2.0 label (clear, green, amber, amber+strict, red)
	Purpose    string
	LegalBasis string
	Selection  export.Selection
	// Minimize are fields the package leaves out (table.column or a
	// kind such as contacts). The partner's excluded fields are added
	// when the request is prepared.
	Minimize []string
	// Evidence includes the evidence the records rest on, as EvidenceForm
	// says: "" (pages when the policy allows, else an index),
	// export.EvidenceFull or export.EvidenceIndex.
	Evidence     bool
	EvidenceForm string
}

// ExportRequest is a four-eyes export request as it stands.
type ExportRequest struct {
	ID          string
	CaseID      string
	RequestedBy string
	RequestedAt time.Time
	ExportDraft
	Status        string // ExportPending, ...
	ReviewedBy    string
	ReviewedAt    time.Time
	Reason        string // why it was rejected, or the approver's note
	PackageFile   string // file name in the Service's ExportDir
	PackageSHA256 string
	Counts        map[string]uint64 // the built package's manifest counts
	Error         string            // why the build failed
}

var requestColumns = []string{"request_id", "case_id", "requested_by", "requested_at", "partner", "tlp", "purpose", "legal_basis",
	"selection", "minimize", "evidence", "evidence_form", "status", "reviewed_by", "reviewed_at", "reason", "package_file",
	"package_sha256", "count_names", "count_values", "error", "version"}

func (s *Service) writeRequest(ctx context.Context, r *ExportRequest) error {
	sel, err := json.Marshal(r.Selection)
	if err != nil {
		return fmt.Errorf("writing export request %s: %w", r.ID, err)
	}
	names := make([]string, 0, len(r.Counts))
	for k := range r.Counts {
		names = append(names, k)
	}
	sort.Strings(names)
	values := make([]uint64, len(names))
	for i, k := range names {
		values[i] = r.Counts[k]
	}
	ev := uint8(0)
	if r.Evidence {
		ev = 1
	}
	minimize := r.Minimize
	if minimize == nil {
		minimize = []string{}
	}
	return insertRows(ctx, s.DB, "export_requests", requestColumns, []any{r.ID, r.CaseID, r.RequestedBy, dbTime(r.RequestedAt),
		r.Partner, r.TLP, r.Purpose, r.LegalBasis, string(sel), minimize, ev, r.EvidenceForm, r.Status, r.ReviewedBy,
		dbTime(r.ReviewedAt), r.Reason, r.PackageFile, r.PackageSHA256, names, values, r.Error, nextVersion()})
}

// partner finds a partner of the exporter's directory.
func (s *Service) partner(id string) (reference.Partner, error) {
	if s.Exporter == nil {
		return reference.Partner{}, fmt.Errorf("%w: the console has no exporter (signing key, partner directory) configured", ErrState)
	}
	for _, p := range s.Exporter.Partners {
		if p.ID == id {
			return p, nil
		}
	}
	return reference.Partner{}, invalid("no partner %q in the partner directory", id)
}

// cleanDraft checks a draft against the partner's policy as far as it can
// before the build (the exporter checks everything again) and adds the
// partner's excluded fields to Minimize.
func (s *Service) cleanDraft(d ExportDraft) (ExportDraft, error) {
	var err error
	if d.Purpose, err = text("purpose", d.Purpose, maxText, true); err != nil {
		return d, err
	}
	if d.LegalBasis, err = text("legal basis", d.LegalBasis, maxText, true); err != nil {
		return d, err
	}
	d.TLP = strings.ToLower(strings.TrimSpace(d.TLP))
	p, err := s.partner(strings.TrimSpace(d.Partner))
	if err != nil {
		return d, err
	}
	d.Partner = p.ID
	if reference.TLPRank(d.TLP) < 0 {
		return d, invalid("TLP %q: want one of %s", d.TLP, strings.Join(reference.TLPs, ", "))
	}
	if reference.TLPRank(d.TLP) > reference.TLPRank(p.MaxTLP) {
		return d, invalid("TLP:%s is above TLP:%s, the highest partner %s may receive", strings.ToUpper(d.TLP), strings.ToUpper(p.MaxTLP), p.ID)
	}
	if err := d.Selection.Normalize(); err != nil {
		return d, invalid("%v", err)
	}
	var minimize []string
	add := func(n string, partner bool) error {
		fs := reference.MatchFields(n)
		if len(fs) == 0 && !partner {
			return invalid("field %q: no such field", n)
		}
		for _, f := range fs {
			switch {
			case !f.Minimizable && partner:
				return invalid("partner %s excludes %s, which identifies records: no package can go to them without it", p.ID, f.Name)
			case !f.Minimizable:
				return invalid("field %q: %s identifies records and cannot be left out", n, f.Name)
			case !slices.Contains(minimize, f.Name):
				minimize = append(minimize, f.Name)
			}
		}
		return nil
	}
	for _, n := range d.Minimize {
		if n = strings.TrimSpace(n); n != "" {
			if err := add(n, false); err != nil {
				return d, err
			}
		}
	}
	// A partner's excluded field no package carries (forum posts)
	// changes nothing.
	for _, n := range p.ExcludedFields {
		if err := add(strings.TrimSpace(n), true); err != nil {
			return d, err
		}
	}
	slices.Sort(minimize)
	d.Minimize = minimize
	switch d.EvidenceForm {
	case "", export.EvidenceFull, export.EvidenceIndex:
	default:
		return d, invalid("evidence form %q: want %s, %s or none", d.EvidenceForm, export.EvidenceFull, export.EvidenceIndex)
	}
	return d, nil
}

// RequestExport prepares an export of a case's data for a partner: the
// actor must be an investigator and a lead or member of the open case.
// The request waits for an approver. Audited as export_request.
func (s *Service) RequestExport(ctx context.Context, a Actor, caseID string, d ExportDraft) (*ExportRequest, error) {
	if _, err := s.caseFor(ctx, a, caseID, "export_request", CaseMember); err != nil {
		return nil, err
	}
	if !a.Has(RoleInvestigator) {
		return nil, s.refused(ctx, a, "export_request", caseID, caseID, forbidden("%s is not an investigator", a.User))
	}
	d, err := s.cleanDraft(d)
	if err != nil {
		return nil, s.refused(ctx, a, "export_request", caseID, caseID, err)
	}
	r := &ExportRequest{ID: newID("xr"), CaseID: caseID, RequestedBy: a.User, RequestedAt: dbTime(s.now()), ExportDraft: d, Status: ExportPending}
	if err := s.writeRequest(ctx, r); err != nil {
		return nil, err
	}
	return r, s.audit(ctx, a, "export_request", r.ID, caseID, "", AuditOK,
		fmt.Sprintf("partner %s, TLP:%s, %s", d.Partner, strings.ToUpper(d.TLP), d.Selection.Describe()))
}

// loadRequest reads one export request.
func (s *Service) loadRequest(ctx context.Context, id string) (*ExportRequest, error) {
	rs, err := s.queryRequests(ctx, "request_id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%w: no export request %q", ErrNotFound, id)
	}
	return &rs[0], nil
}

func (s *Service) queryRequests(ctx context.Context, where string, args ...any) ([]ExportRequest, error) {
	q := "SELECT request_id, case_id, requested_by, requested_at, partner, tlp, purpose, legal_basis, selection, minimize, evidence, " +
		"evidence_form, status, reviewed_by, reviewed_at, reason, package_file, package_sha256, count_names, count_values, error " +
		"FROM export_requests FINAL"
	if where != "" {
		q += " WHERE " + where
	}
	q += fmt.Sprintf(" ORDER BY requested_at DESC, request_id LIMIT %d", maxList)
	rows, err := s.DB.Conn().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading export requests: %w", err)
	}
	defer rows.Close()
	var out []ExportRequest
	for rows.Next() {
		var r ExportRequest
		var sel string
		var ev uint8
		var names []string
		var values []uint64
		if err := rows.Scan(&r.ID, &r.CaseID, &r.RequestedBy, &r.RequestedAt, &r.Partner, &r.TLP, &r.Purpose, &r.LegalBasis, &sel,
			&r.Minimize, &ev, &r.EvidenceForm, &r.Status, &r.ReviewedBy, &r.ReviewedAt, &r.Reason, &r.PackageFile,
			&r.PackageSHA256, &names, &values, &r.Error); err != nil {
			return nil, fmt.Errorf("reading export requests: %w", err)
		}
		if err := json.Unmarshal([]byte(sel), &r.Selection); err != nil {
			return nil, fmt.Errorf("reading export request %s: its selection: %w", r.ID, err)
		}
		r.Evidence = ev != 0
		r.RequestedAt, r.ReviewedAt = r.RequestedAt.UTC(), r.ReviewedAt.UTC()
		if r.ReviewedBy == "" {
			r.ReviewedAt = time.Time{}
		}
		if len(names) == len(values) && len(names) > 0 {
			r.Counts = map[string]uint64{}
			for i, n := range names {
				r.Counts[n] = values[i]
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading export requests: %w", err)
	}
	return out, nil
}

// ExportRequests lists export requests, newest first: those of a case for
// its members (caseID set), or of every case for approvers and admins
// (caseID ""); status "" lists every status.
func (s *Service) ExportRequests(ctx context.Context, a Actor, caseID, status string) ([]ExportRequest, error) {
	if err := checkActor(a); err != nil {
		return nil, err
	}
	var conds []string
	var args []any
	if caseID != "" {
		if !a.Has(RoleApprover) {
			if _, err := s.caseFor(ctx, a, caseID, "view_case", CaseViewer); err != nil {
				return nil, err
			}
		}
		conds, args = append(conds, "case_id = ?"), append(args, caseID)
	} else if !a.Has(RoleApprover) && !a.Has(RoleAdmin) {
		return nil, forbidden("%s is not an approver: list the export requests of a case", a.User)
	}
	if status != "" {
		conds, args = append(conds, "status = ?"), append(args, status)
	}
	return s.queryRequests(ctx, strings.Join(conds, " AND "), args...)
}

// ExportRequest reads one request, for its requester, an approver, an
// admin or a member of its case.
func (s *Service) ExportRequest(ctx context.Context, a Actor, id string) (*ExportRequest, error) {
	if err := checkActor(a); err != nil {
		return nil, err
	}
	r, err := s.loadRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.RequestedBy == a.User || a.Has(RoleApprover) || a.Has(RoleAdmin) {
		return r, nil
	}
	if _, err := s.caseFor(ctx, a, r.CaseID, "view_export", CaseViewer); err != nil {
		return nil, err
	}
	return r, nil
}

// Reject refuses a pending request with a reason. The actor must be an
// approver and not the requester. Audited as export_reject with both users.
func (s *Service) Reject(ctx context.Context, a Actor, id, reason string) (*ExportRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.reviewable(ctx, a, id, "export_reject")
	if err != nil {
		return nil, err
	}
	if reason, err = text("reason", reason, maxText, true); err != nil {
		return nil, s.refused(ctx, a, "export_reject", id, r.CaseID, err)
	}
	r.Status, r.ReviewedBy, r.ReviewedAt, r.Reason = ExportRejected, a.User, dbTime(s.now()), reason
	if err := s.writeRequest(ctx, r); err != nil {
		return nil, err
	}
	return r, s.audit(ctx, a, "export_reject", id, r.CaseID, r.RequestedBy, AuditOK, reason)
}

// reviewable reads a request an approver may review now: the actor holds
// the approver role, is not the requester, and the request is pending; to
// approve, also failed, or approved but not built (a process that stopped
// during the build: within one Service no build runs while mu is held by
// another). A refusal is audited as action.
func (s *Service) reviewable(ctx context.Context, a Actor, id, action string) (*ExportRequest, error) {
	if err := checkActor(a); err != nil {
		return nil, err
	}
	r, err := s.loadRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	refuse := func(err error) error {
		if aerr := s.audit(ctx, a, action, id, r.CaseID, r.RequestedBy, AuditRefused, err.Error()); aerr != nil {
			return errors.Join(err, aerr)
		}
		return err
	}
	switch {
	case !a.Has(RoleApprover):
		return nil, refuse(forbidden("%s is not an approver", a.User))
	case strings.EqualFold(strings.TrimSpace(a.User), strings.TrimSpace(r.RequestedBy)):
		return nil, refuse(fmt.Errorf("%w: %s prepared export request %s and cannot review it; another approver must", ErrFourEyes, a.User, id))
	case r.Status != ExportPending && !(action == "export_approve" && (r.Status == ExportFailed || r.Status == ExportApproved)):
		return nil, refuse(fmt.Errorf("%w: export request %s is %s (by %s)", ErrState, id, r.Status, r.ReviewedBy))
	}
	return r, nil
}

// Approve approves a pending request and builds its package through the
// exporter (Request.Who the requester, Request.ApprovedBy the approver)
// into ExportDir. The actor must be an approver and not the requester.
// Approval and build are audited (export_approve, export_build) with both
// users. A build that fails leaves the request failed, with the reason,
// and returns it; it may be approved again.
func (s *Service) Approve(ctx context.Context, a Actor, id, note string) (*ExportRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.reviewable(ctx, a, id, "export_approve")
	if err != nil {
		return nil, err
	}
	if note, err = text("note", note, maxText, false); err != nil {
		return nil, err
	}
	c, err := s.loadCase(ctx, r.CaseID)
	if err != nil {
		return nil, err
	}
	r.Status, r.ReviewedBy, r.ReviewedAt, r.Reason, r.Error = ExportApproved, a.User, dbTime(s.now()), note, ""
	if err := s.writeRequest(ctx, r); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, a, "export_approve", id, r.CaseID, r.RequestedBy, AuditOK, note); err != nil {
		return nil, err
	}
	out, berr := s.build(ctx, r, c)
	if berr != nil {
		r.Status, r.Error = ExportFailed, berr.Error()
		werr := s.writeRequest(ctx, r)
		aerr := s.audit(ctx, a, "export_build", id, r.CaseID, r.RequestedBy, AuditFailed, berr.Error())
		return r, errors.Join(fmt.Errorf("building export request %s: %w", id, berr), werr, aerr)
	}
	r.Status, r.PackageFile, r.PackageSHA256, r.Counts = ExportExported, filepath.Base(out.File), out.SHA256, out.Manifest.Counts
	if err := s.writeRequest(ctx, r); err != nil {
		return nil, err
	}
	return r, s.audit(ctx, a, "export_build", id, r.CaseID, r.RequestedBy, AuditOK, "package "+r.PackageFile+" sha256 "+out.SHA256)
}

// build runs the exporter for an approved request.
func (s *Service) build(ctx context.Context, r *ExportRequest, c *Case) (*export.Outcome, error) {
	if s.Exporter == nil {
		return nil, errors.New("the console has no exporter (signing key, partner directory) configured")
	}
	if s.ExportDir == "" {
		return nil, errors.New("the console has no export directory configured")
	}
	if err := os.MkdirAll(s.ExportDir, 0o700); err != nil {
		return nil, err
	}
	req := export.Request{
		Partner: r.Partner, Case: r.CaseID, CaseInfo: &export.Case{ID: c.ID, Title: c.Title},
		Selection: r.Selection, TLP: r.TLP, Purpose: r.Purpose, LegalBasis: r.LegalBasis,
		Evidence: r.Evidence, EvidenceForm: r.EvidenceForm, Minimize: r.Minimize,
		Who: r.RequestedBy, ApprovedBy: r.ReviewedBy,
		Output: filepath.Join(s.ExportDir, r.ID+".cnpkg"),
	}
	return s.Exporter.Export(ctx, req)
}

// PackagePath is the file of an exported request's package, for its
// requester, its approver, an admin or a member of its case. Audited as
// export_download (the console calls it when it serves the file).
func (s *Service) PackagePath(ctx context.Context, a Actor, id string) (string, error) {
	r, err := s.ExportRequest(ctx, a, id)
	if err != nil {
		return "", err
	}
	if r.Status != ExportExported {
		return "", s.refused(ctx, a, "export_download", id, r.CaseID, fmt.Errorf("%w: export request %s is %s, not exported", ErrState, id, r.Status))
	}
	path := filepath.Join(s.ExportDir, r.PackageFile)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("export request %s: its package: %w", id, err)
	}
	return path, s.audit(ctx, a, "export_download", id, r.CaseID, r.RequestedBy, AuditOK, r.PackageSHA256)
}
