package warehouse_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/warehouse"
)

// TestAuditOnlyExporter starts a managed server for database intel (each
// user limited to its databases) holding an export_audit row written
// before migration 0070, migrates it as the stack does (the writer, the
// audit migration as the exporter), and shows that the old row moved to
// intel_audit, that the real server refuses the writer's insert into the
// audit table (and its reads, drops and RecordExport), that the
// exporter's RecordExport lands there, and that the analysts read it
// through export_audit in intel.
func TestAuditOnlyExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server")
	}
	ctx := testCtx(t)
	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	l, err := warehouse.StartLocalWith(sctx, t.TempDir(), warehouse.LocalOptions{Database: "intel"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Stop(context.Background()) })

	w, err := warehouse.Open(ctx, l.DSN("intel"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// The table as migration 0005 made it, with a row of before 0070.
	ms, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version == 5 {
			for _, s := range m.Statements {
				if err := w.Conn().Exec(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := w.Conn().Exec(ctx, "INSERT INTO export_audit (export_id, at, outcome, reason) SELECT 'before', toDateTime('2024-01-02 03:04:05'), 'refused', 'old row'"); err != nil {
		t.Fatal(err)
	}

	// Migrated by the writer alone, the audit migration is refused and
	// says who may apply it.
	if err := w.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "exporter") {
		t.Fatalf("the writer alone migrated the audit database: %v", err)
	}
	x, err := warehouse.OpenExisting(ctx, l.ExporterDSN("intel"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := w.MigrateWith(ctx, warehouse.MigrateOptions{Audit: x}); err != nil {
		t.Fatal(err)
	}

	// The writer can neither add to, read, change nor drop the audit table.
	for _, stmt := range []string{
		"INSERT INTO intel_audit.export_audit (export_id, outcome) SELECT 'forged', 'exported'",
		"SELECT count() FROM intel_audit.export_audit",
		"SELECT count() FROM export_audit",
		"ALTER TABLE intel_audit.export_audit DELETE WHERE 1",
		"DROP TABLE intel_audit.export_audit",
		"DROP DATABASE intel_audit",
	} {
		if err := w.Conn().Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "Access denied to database intel_audit") {
			t.Errorf("writer: %q: %v, want access denied", stmt, err)
		}
	}
	if err := w.RecordExport(ctx, warehouse.ExportAudit{ExportID: "forged", Outcome: warehouse.OutcomeExported}); err == nil {
		t.Error("the writer recorded an export")
	}

	// The exporter appends.
	if err := x.RecordExport(ctx, warehouse.ExportAudit{ExportID: "x1", Who: "ana", Partner: "nl-police",
		Outcome: warehouse.OutcomeExported, PackageSHA256: "abc", Counts: map[string]uint64{"listings": 3}}); err != nil {
		t.Fatalf("exporter: %v", err)
	}

	// The analysts read both rows, in intel_audit and through the view.
	ro, err := warehouse.OpenExisting(ctx, l.ReadOnlyDSN("intel"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	for _, q := range []string{
		"SELECT arrayStringConcat(groupArray(concat(export_id, ':', outcome, ':', reason, ':', toString(count_values))), ',') FROM (SELECT * FROM intel_audit.export_audit ORDER BY at)",
		"SELECT arrayStringConcat(groupArray(concat(export_id, ':', outcome, ':', reason, ':', toString(count_values))), ',') FROM (SELECT * FROM export_audit ORDER BY at)",
	} {
		var got string
		if err := ro.Conn().QueryRow(ctx, q).Scan(&got); err != nil {
			t.Fatalf("readonly: %s: %v", q, err)
		}
		if want := "before:refused:old row:[],x1:exported::[3]"; got != want {
			t.Errorf("readonly: %s = %q, want %q", q, got, want)
		}
	}
	if err := ro.Conn().Exec(ctx, "INSERT INTO intel_audit.export_audit (export_id, outcome) SELECT 'forged', 'exported'"); err == nil {
		t.Error("readonly inserted into the audit table")
	}

	// Migrating again copies nothing twice.
	if err := w.MigrateWith(ctx, warehouse.MigrateOptions{Audit: x}); err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := x.Conn().QueryRow(ctx, "SELECT count() FROM intel_audit.export_audit").Scan(&n); err != nil || n != 2 {
		t.Errorf("after a second migrate the audit table holds %d rows (%v), want 2", n, err)
	}
}
