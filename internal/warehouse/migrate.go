package warehouse

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema change: the statements of one file
// migrations/NNNN_name.sql, applied in order, at most once per database.
type Migration struct {
	Version    uint32
	Name       string
	Statements []string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var ms []Migration
	seen := map[uint32]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("reading migrations: %s is not named NNNN_name.sql", e.Name())
		}
		v, _ := strconv.ParseUint(m[1], 10, 32)
		if prev, ok := seen[uint32(v)]; ok {
			return nil, fmt.Errorf("reading migrations: %s and %s share version %d", prev, e.Name(), v)
		}
		seen[uint32(v)] = e.Name()
		body, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		stmts := SplitStatements(string(body))
		if len(stmts) == 0 {
			return nil, fmt.Errorf("reading migration %s: no statements", e.Name())
		}
		ms = append(ms, Migration{Version: uint32(v), Name: m[2], Statements: stmts})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// SplitStatements splits a migration file into statements. A statement ends
// with a line whose last character is ';'; the ';' is dropped. Whole-line
// "--" comments document the schema for people reading the file and are not
// sent; chunks holding nothing else are skipped.
func SplitStatements(sql string) []string {
	var (
		out []string
		cur []string
	)
	flush := func() {
		stmt := strings.TrimSpace(strings.Join(cur, "\n"))
		cur = cur[:0]
		stmt = strings.TrimSpace(strings.TrimSuffix(stmt, ";"))
		if stmt != "" {
			out = append(out, stmt)
		}
	}
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur = append(cur, strings.TrimRight(line, " \t\r"))
		if strings.HasSuffix(t, ";") {
			flush()
		}
	}
	flush()
	return out
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    applied_at DateTime
)
ENGINE = ReplacingMergeTree
ORDER BY version`

// Migrate applies every embedded migration not yet recorded in the table
// schema_migrations, in version order, and records each one after all its
// statements succeeded. Every statement is idempotent (IF NOT EXISTS, views
// dropped and created), so two processes migrating at once both succeed;
// schema_migrations is a ReplacingMergeTree on version, so a version both
// recorded collapses to one row.
func (db *DB) Migrate(ctx context.Context) error {
	return db.MigrateWith(ctx, MigrateOptions{})
}

// MigrateWith is Migrate with options: with opts.Cluster set, every
// statement is rendered for that cluster (RenderCluster) and the database's
// own maintenance statements (TRUNCATE in LoadReference and
// RefreshVendorClusters) run ON CLUSTER too.
func (db *DB) MigrateWith(ctx context.Context, opts MigrateOptions) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	render := func(stmts []string) ([]string, error) { return stmts, nil }
	var nodes *clusterNodes
	if opts.Cluster != "" {
		db.cluster = opts.Cluster
		r := &clusterRenderer{cluster: opts.Cluster, database: db.database, sharded: map[string]bool{}}
		render = r.render
		if opts.NodeDSN != nil {
			nodes = &clusterNodes{db: db, renderer: r, cluster: opts.Cluster, dsn: opts.NodeDSN}
			defer nodes.close()
		}
		// Open created the database on the node it connected to; the
		// others get it here, before any ON CLUSTER DDL needs it.
		stmt := "CREATE DATABASE IF NOT EXISTS " + quoteIdent(db.database) + " ON CLUSTER " + quoteIdent(opts.Cluster)
		if err := db.execIdempotent(ctx, stmt); err != nil {
			return fmt.Errorf("migrating %s: creating the database on cluster %s: %w", db.database, opts.Cluster, err)
		}
	}
	render = withAudit(render, db.database)
	create, err := render([]string{createSchemaMigrations})
	if err != nil {
		return fmt.Errorf("migrating %s: %w", db.database, err)
	}
	for _, stmt := range create {
		if err := db.execIdempotent(ctx, stmt); err != nil {
			return fmt.Errorf("migrating %s: creating schema_migrations: %w", db.database, err)
		}
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		return fmt.Errorf("migrating %s: %w", db.database, err)
	}
	steps, err := pendingMigrations(ms, applied, render)
	if err != nil {
		return fmt.Errorf("migrating %s: %w", db.database, err)
	}
	for _, st := range steps {
		m, start := st.Migration, time.Now()
		run := db
		if st.audit && opts.Audit != nil {
			run = opts.Audit
		}
		byOther := false
		for i, stmt := range st.rendered {
			exec := run.execIdempotent
			if nodes != nil && nodes.renderer.scopes[stmt] != "" {
				exec = nodes.exec
			}
			if err := exec(ctx, stmt); err != nil {
				// Another process migrating the same database may have
				// applied this migration whole and gone on to a later one
				// that drops what this statement reads: the migration is
				// then in place, recorded by that process.
				if now, aerr := db.AppliedMigrations(ctx); aerr == nil && now[m.Version] {
					db.log.Info().Uint32("version", m.Version).Str("name", m.Name).Err(err).
						Msg("migration applied meanwhile by another process")
					byOther = true
					break
				}
				if st.audit && isCode(err, codeAccessDenied) {
					err = fmt.Errorf("%w (the audit database %s is the exporter's alone: apply this migration as a user allowed both %s and %s, e.g. the exporter: docs/security.md)",
						err, AuditDatabase(db.database), db.database, AuditDatabase(db.database))
				}
				return fmt.Errorf("migrating %s: applying %04d_%s statement %d: %w", db.database, m.Version, m.Name, i+1, err)
			}
		}
		if byOther {
			continue
		}
		if err := db.recordMigration(ctx, m); err != nil {
			return fmt.Errorf("migrating %s: recording %04d_%s: %w", db.database, m.Version, m.Name, err)
		}
		db.log.Info().Uint32("version", m.Version).Str("name", m.Name).
			Int("statements", len(m.Statements)).Dur("took", time.Since(start)).Msg("migration applied")
	}
	return nil
}

// pendingMigration is a migration not applied yet, with its statements
// as they are to be sent.
type pendingMigration struct {
	Migration
	rendered []string
	// audit: the migration changes the audit database (its statements
	// named AuditPlaceholder), so it runs as MigrateOptions.Audit.
	audit bool
}

// AuditPlaceholder stands for the audit database (AuditDatabase of the
// events database) in migration statements; it is replaced when they are
// rendered.
const AuditPlaceholder = "{audit}"

// withAudit wraps render so that AuditPlaceholder becomes the quoted name
// of database's audit database.
func withAudit(render func([]string) ([]string, error), database string) func([]string) ([]string, error) {
	audit := quoteIdent(AuditDatabase(database))
	return func(stmts []string) ([]string, error) {
		out, err := render(stmts)
		if err != nil {
			return nil, err
		}
		// A new slice: render may hand back the migration's own.
		replaced := make([]string, len(out))
		for i, s := range out {
			replaced[i] = strings.ReplaceAll(s, AuditPlaceholder, audit)
		}
		return replaced, nil
	}
}

// pendingMigrations renders every migration of ms in version order and
// returns those not in applied. Applied migrations are rendered too, their
// statements dropped: the cluster renderer learns from each CREATE TABLE
// which tables it sharded, and an ALTER in a later migration must reach
// the _local part of a table an earlier migration created.
func pendingMigrations(ms []Migration, applied map[uint32]bool, render func([]string) ([]string, error)) ([]pendingMigration, error) {
	var out []pendingMigration
	for _, m := range ms {
		stmts, err := render(m.Statements)
		if err != nil {
			return nil, fmt.Errorf("rendering %04d_%s: %w", m.Version, m.Name, err)
		}
		if !applied[m.Version] {
			audit := slices.ContainsFunc(m.Statements, func(s string) bool { return strings.Contains(s, AuditPlaceholder) })
			out = append(out, pendingMigration{Migration: m, rendered: stmts, audit: audit})
		}
	}
	return out, nil
}

// AppliedMigrations returns the versions recorded in schema_migrations.
func (db *DB) AppliedMigrations(ctx context.Context) (map[uint32]bool, error) {
	rows, err := db.conn.Query(ctx, "SELECT DISTINCT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("reading schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	return applied, nil
}

func (db *DB) recordMigration(ctx context.Context, m Migration) error {
	b, err := db.conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.Append(m.Version, m.Name, time.Now().UTC().Truncate(time.Second)); err != nil {
		return err
	}
	return b.Send()
}

// codeAccessDenied: the user may not use a database (allow_databases).
const codeAccessDenied = 291

// raceRetries bounds how many times (100 ms apart) a statement is tried
// again after failing only because another process is migrating the same
// database at that moment (see concurrentRace).
const raceRetries = 50

// concurrentRace reports whether stmt failed with err only because another
// process is applying the same migration at the same moment:
//   - a view is checked against the tables and views it reads when it is
//     created, and one it reads can be gone for a moment, between the
//     other process's DROP and CREATE of it;
//   - two ALTER TABLE ... ADD COLUMN of the same column at once can fail on
//     18.16 with "different expressions with the same alias ..._tmp"; tried
//     again, the column is found in place.
func concurrentRace(stmt string, err error) bool {
	upper := strings.ToUpper(stmt)
	switch {
	case strings.HasPrefix(upper, "CREATE VIEW"), strings.HasPrefix(upper, "CREATE MATERIALIZED VIEW"),
		strings.HasPrefix(upper, "CREATE TABLE") && strings.Contains(upper, "\nAS SELECT"):
		// A view, materialized view or backfill (CREATE TABLE ... AS
		// SELECT) reads tables and views another process may be
		// re-creating.
		return isCode(err, codeUnknownTable) || isCode(err, codeTableIsDropped)
	case strings.Contains(upper, "ADD COLUMN"):
		return isCode(err, codeMultipleAliases)
	case strings.HasPrefix(upper, "INSERT INTO") && strings.Contains(upper, "SELECT"):
		// A copy (0070: export_audit into the audit database) reads a
		// table another process may be replacing by a view.
		return isCode(err, codeUnknownTable)
	}
	return false
}

// execIdempotent runs one idempotent DDL statement. When another process runs
// the same statement at the same moment, the server can report that the
// object already exists (CREATE ... IF NOT EXISTS checked before the other
// created it) or is already gone (DROP ... IF EXISTS); both mean the
// statement's effect is in place. A failure that only the other process's
// work in progress explains is tried again, within bounds.
func (db *DB) execIdempotent(ctx context.Context, stmt string) error {
	err := db.conn.Exec(ctx, stmt)
	for try := 0; err != nil && concurrentRace(stmt, err) && try < raceRetries; try++ {
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
		err = db.conn.Exec(ctx, stmt)
	}
	if err == nil {
		return nil
	}
	if isCode(err, codeTableAlreadyExists) || isCode(err, codeDatabaseAlreadyExists) {
		return nil
	}
	if isCode(err, codeUnknownTable) && strings.HasPrefix(strings.ToUpper(stmt), "DROP") {
		return nil
	}
	// ALTER TABLE ... ADD COLUMN has no IF NOT EXISTS on 18.16: a column
	// another migrating process added first is in place.
	if isCode(err, codeIllegalColumn) && strings.Contains(strings.ToUpper(stmt), "ADD COLUMN") &&
		strings.Contains(err.Error(), "already exists") {
		return nil
	}
	return err
}
