package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/warehouse"
)

// AuditLogFile is the local audit log's name under the data directory.
const AuditLogFile = "export-audit.log"

// auditEntry is one line of the local audit log.
type auditEntry struct {
	At             time.Time         `json:"at"`
	ExportID       string            `json:"export_id"`
	Outcome        string            `json:"outcome"`
	Reason         string            `json:"reason,omitempty"`
	Who            string            `json:"who"`
	Partner        string            `json:"partner"`
	PartnerCountry string            `json:"partner_country,omitempty"`
	TLP            string            `json:"tlp"`
	Purpose        string            `json:"purpose"`
	LegalBasis     string            `json:"legal_basis"`
	Case           string            `json:"case,omitempty"`
	Selection      string            `json:"selection"`
	Counts         map[string]uint64 `json:"counts,omitempty"`
	PackageSHA256  string            `json:"package_sha256,omitempty"`
	PackageFile    string            `json:"package_file,omitempty"`
}

// audit writes one refused or failed export attempt to export_audit, in
// the audit database only the exporter may write (warehouse.AuditDatabase),
// and to the local log. Both are tried; the error joins their failures.
// (An export is recorded by Export itself, each record only once the one
// before it exists.)
func (x *Exporter) audit(ctx context.Context, a warehouse.ExportAudit) error {
	var errs []error
	if x.DB != nil {
		if err := x.DB.RecordExport(ctx, a); err != nil {
			errs = append(errs, auditAccess(x.DB, err))
		}
	}
	if x.AuditLog != "" {
		if err := appendLog(x.AuditLog, logEntry(a)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("auditing export %s: %w", a.ExportID, errors.Join(errs...))
	}
	return nil
}

func logEntry(a warehouse.ExportAudit) auditEntry {
	return auditEntry{
		At: a.At.UTC(), ExportID: a.ExportID, Outcome: a.Outcome, Reason: a.Reason, Who: a.Who, Partner: a.Partner,
		PartnerCountry: a.PartnerCountry, TLP: a.TLP, Purpose: a.Purpose, LegalBasis: a.LegalBasis, Case: a.CaseRef,
		Selection: a.Selection, Counts: a.Counts, PackageSHA256: a.PackageSHA256, PackageFile: a.PackageFile,
	}
}

// appendLog appends one JSON line to the log, creating it 0600. The file
// is opened append-only for each line, so a line is written whole at the
// end even when several exporters share it.
func appendLog(path string, e auditEntry) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing audit log: %w", err)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("writing audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("writing audit log: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm() != 0o600 {
		_ = f.Chmod(0o600)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("writing audit log %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing audit log %s: %w", path, err)
	}
	return f.Close()
}

// auditAccess adds to err, when the server refused the audit database to
// the user, which user may write it.
func auditAccess(db *warehouse.DB, err error) error {
	if !strings.Contains(err.Error(), "Access denied to database") {
		return err
	}
	return fmt.Errorf("%w (only the exporter's ClickHouse user may append to %s: export as %s, docs/security.md)",
		err, warehouse.AuditDatabase(db.Database()), warehouse.ExporterUser)
}
