package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Audit outcomes.
const (
	AuditOK      = "ok"
	AuditRefused = "refused"
	AuditFailed  = "failed"
)

// AuditEntry is one row of the console audit: who did what to what, when,
// and how it ended.
type AuditEntry struct {
	At      time.Time
	User    string
	Action  string // login, login_failed, logout, view_vendor, view_case, ... (see console_audit)
	Object  string // vendor (market:handle), case id, request id, capture hash
	CaseID  string
	Other   string // the other user of a four-eyes step
	Outcome string // AuditOK, AuditRefused or AuditFailed
	Detail  string
	Address string
}

var auditColumns = []string{"at", "user", "action", "object", "case_id", "other", "outcome", "detail", "address"}

// maxAuditField bounds each text field of an audit row.
const maxAuditField = 4 << 10

// Record appends one entry to the console audit; the console calls it for
// what it does itself (login, login_failed, logout, view_vendor,
// view_evidence, export_download). The Service records its own steps.
// An entry without a user or action is refused.
func (s *Service) Record(ctx context.Context, e AuditEntry) error {
	if strings.TrimSpace(e.User) == "" || strings.TrimSpace(e.Action) == "" {
		return invalid("audit entry without user or action (%q, %q)", e.User, e.Action)
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	switch e.Outcome {
	case "":
		e.Outcome = AuditOK
	case AuditOK, AuditRefused, AuditFailed:
	default:
		return invalid("audit outcome %q: want %s, %s or %s", e.Outcome, AuditOK, AuditRefused, AuditFailed)
	}
	cut := func(v string) string {
		if len(v) > maxAuditField {
			return v[:maxAuditField] + "..."
		}
		return v
	}
	err := insertRows(ctx, s.DB, "console_audit", auditColumns, []any{dbTime(e.At), cut(e.User), cut(e.Action), cut(e.Object),
		cut(e.CaseID), cut(e.Other), e.Outcome, cut(e.Detail), cut(e.Address)})
	if err != nil {
		s.Log.Error().Err(err).Str("user", e.User).Str("action", e.Action).Str("object", e.Object).Msg("console audit not written")
		return fmt.Errorf("auditing %s by %s: %w", e.Action, e.User, err)
	}
	return nil
}

// audit records a step of the Service itself.
func (s *Service) audit(ctx context.Context, a Actor, action, object, caseID, other, outcome, detail string) error {
	return s.Record(ctx, AuditEntry{User: a.User, Action: action, Object: object, CaseID: caseID, Other: other,
		Outcome: outcome, Detail: detail, Address: a.Address})
}

// refused audits a refused step and returns its reason (joined with the
// audit's own failure, if any).
func (s *Service) refused(ctx context.Context, a Actor, action, object, caseID string, reason error) error {
	if err := s.audit(ctx, a, action, object, caseID, "", AuditRefused, reason.Error()); err != nil {
		return errors.Join(reason, err)
	}
	return reason
}

// AuditFilter selects audit entries; empty fields select everything.
type AuditFilter struct {
	User   string
	Action string
	CaseID string
	Object string
	Since  time.Time
	Limit  int // at most this many, newest first (1000 when 0; at most 10000)
}

// AuditTrail reads audit entries, newest first. It is for admins and
// approvers, and for a case's members when CaseID is set.
func (s *Service) AuditTrail(ctx context.Context, a Actor, f AuditFilter) ([]AuditEntry, error) {
	if err := checkActor(a); err != nil {
		return nil, err
	}
	if !a.Has(RoleAdmin) && !a.Has(RoleApprover) {
		if f.CaseID == "" {
			return nil, forbidden("%s may read the audit of a case only", a.User)
		}
		if _, err := s.caseFor(ctx, a, f.CaseID, "view_audit", CaseViewer); err != nil {
			return nil, err
		}
	}
	var conds []string
	var args []any
	for _, c := range []struct{ col, v string }{{"user", f.User}, {"action", f.Action}, {"case_id", f.CaseID}, {"object", f.Object}} {
		if c.v != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !f.Since.IsZero() {
		conds = append(conds, "at >= ?")
		args = append(args, dbTime(f.Since))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, maxList)
	q := "SELECT at, user, action, object, case_id, other, outcome, detail, address FROM console_audit"
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY at DESC, action LIMIT %d", limit)
	rows, err := s.DB.Conn().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the console audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.At, &e.User, &e.Action, &e.Object, &e.CaseID, &e.Other, &e.Outcome, &e.Detail, &e.Address); err != nil {
			return nil, fmt.Errorf("reading the console audit: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the console audit: %w", err)
	}
	return out, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
