package cases

import (
	"context"
	"fmt"
)

const alertSelect = "SELECT alert_id, case_id, watch_id, watch_kind, watch_value, kind, source, handle, origin, country, " +
	"matched, sources, vendors, bases, observed_at, capture_sha256, raised_at, status, status_by FROM case_alerts FINAL"

// Alerts lists a case's alerts, newest first (any case role, or an admin);
// status "" lists every status.
func (s *Service) Alerts(ctx context.Context, a Actor, caseID, status string) ([]Alert, error) {
	if _, err := s.caseFor(ctx, a, caseID, "view_case", CaseViewer); err != nil {
		return nil, err
	}
	return s.loadAlerts(ctx, caseID, "", status)
}

// AlertsFor lists the alerts of every case the actor is a member of (of
// every case for an admin), newest first; status "" lists every status.
func (s *Service) AlertsFor(ctx context.Context, a Actor, status string) ([]Alert, error) {
	if err := checkActor(a); err != nil {
		return nil, err
	}
	q := alertSelect + " WHERE 1"
	var args []any
	if !a.Has(RoleAdmin) {
		q += " AND case_id IN (SELECT case_id FROM case_members FINAL WHERE user = ? AND removed = 0)"
		args = append(args, a.User)
	}
	if status != "" {
		q += " AND status = ?"
		args = append(args, status)
	}
	return s.queryAlerts(ctx, q, args...)
}

func (s *Service) loadAlerts(ctx context.Context, caseID, alertID, status string) ([]Alert, error) {
	q := alertSelect + " WHERE case_id = ?"
	args := []any{caseID}
	if alertID != "" {
		q += " AND alert_id = ?"
		args = append(args, alertID)
	}
	if status != "" {
		q += " AND status = ?"
		args = append(args, status)
	}
	return s.queryAlerts(ctx, q, args...)
}

func (s *Service) queryAlerts(ctx context.Context, q string, args ...any) ([]Alert, error) {
	q += fmt.Sprintf(" ORDER BY raised_at DESC, observed_at DESC, alert_id LIMIT %d", maxList)
	rows, err := s.DB.Conn().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var x Alert
		if err := rows.Scan(&x.ID, &x.CaseID, &x.WatchID, &x.WatchKind, &x.WatchValue, &x.Kind, &x.Source, &x.Handle, &x.Origin,
			&x.Country, &x.Matched, &x.Sources, &x.Vendors, &x.Bases, &x.ObservedAt, &x.Capture, &x.RaisedAt, &x.Status, &x.StatusBy); err != nil {
			return nil, fmt.Errorf("reading alerts: %w", err)
		}
		x.ObservedAt, x.RaisedAt = x.ObservedAt.UTC(), x.RaisedAt.UTC()
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading alerts: %w", err)
	}
	return out, nil
}

// SetAlertStatus marks an alert seen or dismissed (or new again); any case
// member (not a viewer) may. Audited as alert_status.
func (s *Service) SetAlertStatus(ctx context.Context, a Actor, caseID, alertID, status string) (*Alert, error) {
	if _, err := s.caseFor(ctx, a, caseID, "alert_status", CaseMember); err != nil {
		return nil, err
	}
	if status != AlertStatusNew && status != AlertStatusSeen && status != AlertStatusDismissed {
		return nil, invalid("alert status %q: want %s, %s or %s", status, AlertStatusNew, AlertStatusSeen, AlertStatusDismissed)
	}
	got, err := s.loadAlerts(ctx, caseID, alertID, "")
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("%w: case %s has no alert %q", ErrNotFound, caseID, alertID)
	}
	x := got[0]
	x.Status, x.StatusBy = status, a.User
	if err := insertRows(ctx, s.DB, "case_alerts", alertColumns, alertRow(x)); err != nil {
		return nil, fmt.Errorf("setting the status of alert %s: %w", alertID, err)
	}
	return &x, s.audit(ctx, a, "alert_status", alertID, caseID, "", AuditOK, status)
}
