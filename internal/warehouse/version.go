package warehouse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/rs/zerolog"
)

// Errors of opening a database for reading.
var (
	// ErrNoDatabase: the server has no such database; nothing was ever
	// migrated or loaded there.
	ErrNoDatabase = errors.New("no such database")
	// ErrSchemaBehind: the database lacks migrations this counternet
	// needs; `counternet migrate` applies them.
	ErrSchemaBehind = errors.New("schema behind this counternet")
)

// codeUnknownDatabase is ClickHouse's UNKNOWN_DATABASE.
const codeUnknownDatabase = 81

// OpenExisting connects to the database the DSN names (clickhouse://
// host:port/database, native protocol) without creating or changing
// anything: it is how read-only commands open the warehouse, and it works
// with a read-only ClickHouse user. A database the server does not have is
// ErrNoDatabase. It does not check the schema; CheckSchema does.
func OpenExisting(ctx context.Context, dsn string, log zerolog.Logger) (*DB, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("opening clickhouse: parsing DSN: %w", err)
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = "default"
	}
	database := opts.Auth.Database
	addr := strings.Join(opts.Addr, ",")
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("opening clickhouse %s: %w", addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		if isCode(err, codeUnknownDatabase) {
			return nil, fmt.Errorf("%w %s on %s: run counternet migrate, or point clickhouse.dsn (%s) at the server you mean",
				ErrNoDatabase, database, addr, "COUNTERNET_CLICKHOUSE_DSN")
		}
		return nil, fmt.Errorf("pinging clickhouse %s: %w", addr, err)
	}
	log = log.With().Str("database", database).Logger()
	log.Debug().Str("addr", addr).Msg("clickhouse database open, read only")
	return &DB{conn: conn, database: database, log: log}, nil
}

// SchemaState compares the migrations recorded in a database with those
// this counternet carries.
type SchemaState struct {
	Applied int      // migrations recorded in schema_migrations
	Missing []string // NNNN_name of embedded migrations not recorded
	Unknown []uint32 // recorded versions this counternet does not carry (a newer one migrated)
}

// SchemaState reads schema_migrations; a database without the table has
// every migration missing.
func (db *DB) SchemaState(ctx context.Context) (SchemaState, error) {
	var st SchemaState
	ms, err := Migrations()
	if err != nil {
		return st, err
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil && !isCode(err, codeUnknownTable) {
		return st, fmt.Errorf("checking the schema of %s: %w", db.database, err)
	}
	known := map[uint32]bool{}
	for _, m := range ms {
		known[m.Version] = true
		if !applied[m.Version] {
			st.Missing = append(st.Missing, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	for v := range applied {
		st.Applied++
		if !known[v] {
			st.Unknown = append(st.Unknown, v)
		}
	}
	return st, nil
}

// CheckSchema returns ErrSchemaBehind, naming what is missing, when the
// database lacks a migration this counternet needs: a read command then
// says "run counternet migrate" instead of failing on a missing column or
// answering from a table that does not hold what it expects. Migrations a
// newer counternet recorded are logged, not refused: they only add.
func (db *DB) CheckSchema(ctx context.Context) error {
	st, err := db.SchemaState(ctx)
	if err != nil {
		return err
	}
	if len(st.Missing) > 0 {
		what := strings.Join(st.Missing, ", ")
		if len(st.Missing) > 3 {
			what = strings.Join(st.Missing[:3], ", ") + fmt.Sprintf(" and %d more", len(st.Missing)-3)
		}
		return fmt.Errorf("%w: database %s lacks migration %s (%d of its migrations recorded): run counternet migrate",
			ErrSchemaBehind, db.database, what, st.Applied)
	}
	if len(st.Unknown) > 0 {
		db.log.Warn().Interface("versions", st.Unknown).Msg("database has migrations this counternet does not know: a newer counternet migrated it")
	}
	return nil
}

// UseCluster makes the database's own maintenance statements (the TRUNCATE
// of RefreshVendorClusters and LoadReference) run ON CLUSTER cluster, as
// MigrateWith does, for a database opened with OpenExisting.
func (db *DB) UseCluster(cluster string) { db.cluster = cluster }
