package warehouse

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Export outcomes recorded in export_audit.
const (
	OutcomeExported = "exported"
	OutcomeRefused  = "refused"
	// OutcomeFailed: the export was allowed but no package left: writing
	// it or one of its audit records failed (Reason says which).
	OutcomeFailed = "failed"
)

// ExportAudit is one export attempt, written whether the package was
// written or refused.
type ExportAudit struct {
	ExportID       string
	At             time.Time
	Who            string
	Partner        string // partner id
	PartnerCountry string
	TLP            string
	Purpose        string
	LegalBasis     string
	CaseRef        string
	Selection      string            // what was selected, as the exporter describes it
	Counts         map[string]uint64 // records exported by kind
	PackageSHA256  string            // "" when refused
	PackageFile    string            // "" when refused
	Outcome        string            // OutcomeExported, OutcomeRefused or OutcomeFailed
	Reason         string            // why it was refused or failed
}

// AuditTable is export_audit in the audit database (AuditDatabase), where
// RecordExport appends; export_audit in the events database is a view of
// it (migration 0070).
func (db *DB) AuditTable() string {
	return quoteIdent(AuditDatabase(db.database)) + ".export_audit"
}

// RecordExport appends one export attempt to export_audit in the audit
// database, which only the exporter may write (ExporterUser).
func (db *DB) RecordExport(ctx context.Context, a ExportAudit) error {
	if a.Outcome != OutcomeExported && a.Outcome != OutcomeRefused && a.Outcome != OutcomeFailed {
		return fmt.Errorf("recording export %s: outcome %q, want %q, %q or %q", a.ExportID, a.Outcome, OutcomeExported, OutcomeRefused, OutcomeFailed)
	}
	names := make([]string, 0, len(a.Counts))
	for k := range a.Counts {
		names = append(names, k)
	}
	sort.Strings(names)
	values := make([]uint64, len(names))
	for i, k := range names {
		values[i] = a.Counts[k]
	}
	if a.At.IsZero() {
		a.At = time.Now()
	}
	err := db.insert(ctx, db.AuditTable(), 1, []column{
		{"export_id", []string{a.ExportID}}, {"at", []time.Time{clampTime(a.At.UTC())}}, {"who", []string{a.Who}},
		{"partner", []string{a.Partner}}, {"partner_country", []string{a.PartnerCountry}}, {"tlp", []string{a.TLP}},
		{"purpose", []string{a.Purpose}}, {"legal_basis", []string{a.LegalBasis}}, {"case_ref", []string{a.CaseRef}},
		{"selection", []string{a.Selection}}, {"count_names", [][]string{names}}, {"count_values", [][]uint64{values}},
		{"package_sha256", []string{a.PackageSHA256}}, {"package_file", []string{a.PackageFile}},
		{"outcome", []string{a.Outcome}}, {"reason", []string{a.Reason}},
	})
	if err != nil {
		return fmt.Errorf("recording export %s: %w", a.ExportID, err)
	}
	return nil
}
