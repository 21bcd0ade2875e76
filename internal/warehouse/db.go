package warehouse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/rs/zerolog"
)

// ClickHouse error codes the warehouse tells apart.
const (
	codeUnknownTable          = 60
	codeTableIsDropped        = 218
	codeMultipleAliases       = 179
	codeTableAlreadyExists    = 57
	codeDatabaseAlreadyExists = 82
	codeIllegalColumn         = 44
)

// DB is an open ClickHouse database: a native connection pool whose default
// database is the one named in the DSN. It is safe for concurrent use.
type DB struct {
	conn     driver.Conn
	database string
	log      zerolog.Logger
	cluster  string // set by MigrateWith: maintenance DDL runs ON CLUSTER
}

// truncate empties a table the warehouse owns, on every node of the
// cluster when one is configured.
func (db *DB) truncate(ctx context.Context, table string) error {
	stmt := "TRUNCATE TABLE " + quoteIdent(table)
	if db.cluster != "" {
		stmt = "TRUNCATE TABLE " + quoteIdent(db.database) + "." + quoteIdent(table) + " ON CLUSTER " + quoteIdent(db.cluster)
	}
	return db.conn.Exec(ctx, stmt)
}

// Open connects to the server named by dsn (clickhouse://host:port/database,
// native protocol), creates the database if it does not exist yet (through a
// connection to "default"), and returns it opened on that database. A DSN
// without a database means "default".
func Open(ctx context.Context, dsn string, log zerolog.Logger) (*DB, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("opening clickhouse: parsing DSN: %w", err)
	}
	database := opts.Auth.Database
	if database == "" {
		database = "default"
		opts.Auth.Database = database
	}
	addr := strings.Join(opts.Addr, ",")
	if database != "default" {
		boot := *opts
		boot.Auth.Database = "default"
		conn, err := clickhouse.Open(&boot)
		if err != nil {
			return nil, fmt.Errorf("opening clickhouse %s: %w", addr, err)
		}
		err = conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(database))
		conn.Close()
		if err != nil && !isCode(err, codeDatabaseAlreadyExists) {
			return nil, fmt.Errorf("creating database %s on %s: %w", database, addr, err)
		}
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("opening clickhouse %s: %w", addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("pinging clickhouse %s: %w", addr, err)
	}
	log = log.With().Str("database", database).Logger()
	log.Debug().Str("addr", addr).Msg("clickhouse database open")
	return &DB{conn: conn, database: database, log: log}, nil
}

// Close closes the connection pool.
func (db *DB) Close() error {
	if err := db.conn.Close(); err != nil {
		return fmt.Errorf("closing clickhouse: %w", err)
	}
	return nil
}

// Conn is the underlying clickhouse-go connection, for callers that run their
// own queries. Its default database is Database(). Batches prepared on it
// must name their columns (ClickHouse 18.16 sends none otherwise).
func (db *DB) Conn() driver.Conn { return db.conn }

// Database is the name of the open database.
func (db *DB) Database() string { return db.database }

// quoteIdent quotes a ClickHouse identifier with backticks.
func quoteIdent(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "`", "\\`")
	return "`" + r.Replace(s) + "`"
}

// isCode reports whether err is a ClickHouse server exception with code.
func isCode(err error, code int32) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && ex.Code == code
}
