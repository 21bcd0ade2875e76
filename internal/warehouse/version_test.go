package warehouse_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// readOnlyDSN is the DSN of database on the shared test server as the
// managed server's read-only user; external servers have no such user.
func readOnlyDSN(t *testing.T, database string) string {
	t.Helper()
	if os.Getenv(testenv.EnvClickHouse) != "" {
		t.Skipf("%s names an external server, which has no %s user", testenv.EnvClickHouse, warehouse.ReadOnlyUser)
	}
	return "clickhouse://" + warehouse.ReadOnlyUser + "@" + testenv.ClickHouseAddr(t) + "/" + database
}

// TestOpenExistingReadOnly checks what a read command finds: a migrated
// database opens as the read-only user and passes the schema check, and
// the user can change nothing; a database that is not there is
// ErrNoDatabase and is not created; an empty one is ErrSchemaBehind with
// "run counternet migrate". warehouse.Open created the database, so a
// read command pointed at nothing answered "(0 rows)".
func TestOpenExistingReadOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	migrated := testenv.ClickHouse(t)

	ro, err := warehouse.OpenExisting(ctx, readOnlyDSN(t, migrated.Database()), log)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema of a migrated database: %v", err)
	}
	var n uint64
	if err := ro.Conn().QueryRow(ctx, "SELECT count() FROM listing_obs").Scan(&n); err != nil {
		t.Errorf("read-only user cannot read: %v", err)
	}
	for _, stmt := range []string{"CREATE TABLE ro_probe (x UInt8) ENGINE = Memory", "INSERT INTO countries (iso2) VALUES ('ZZ')",
		"CREATE DATABASE ro_probe_db"} {
		if err := ro.Conn().Exec(ctx, stmt); err == nil {
			t.Errorf("read-only user ran %s", stmt)
		}
	}
	if err := ro.Migrate(ctx); err == nil {
		t.Error("read-only user migrated")
	}

	missing := migrated.Database() + "_absent"
	if _, err := warehouse.OpenExisting(ctx, readOnlyDSN(t, missing), log); !errors.Is(err, warehouse.ErrNoDatabase) ||
		!strings.Contains(err.Error(), "counternet migrate") {
		t.Errorf("OpenExisting of a missing database: %v, want ErrNoDatabase saying to migrate", err)
	}
	// As the default user too: opening for reading creates nothing.
	if _, err := warehouse.OpenExisting(ctx, "clickhouse://"+testenv.ClickHouseAddr(t)+"/"+missing, log); !errors.Is(err, warehouse.ErrNoDatabase) {
		t.Errorf("OpenExisting (default user) of a missing database: %v", err)
	}
	if err := migrated.Conn().QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", missing).Scan(&n); err != nil || n != 0 {
		t.Errorf("database %s: count %d, %v; OpenExisting created it", missing, n, err)
	}

	empty := migrated.Database() + "_empty"
	if err := migrated.Conn().Exec(ctx, "CREATE DATABASE "+empty); err != nil {
		t.Fatal(err)
	}
	defer migrated.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+empty)
	edb, err := warehouse.OpenExisting(ctx, readOnlyDSN(t, empty), log)
	if err != nil {
		t.Fatal(err)
	}
	defer edb.Close()
	err = edb.CheckSchema(ctx)
	if !errors.Is(err, warehouse.ErrSchemaBehind) || !strings.Contains(err.Error(), "run counternet migrate") {
		t.Errorf("CheckSchema of an empty database: %v, want ErrSchemaBehind saying to migrate", err)
	}
	st, err := edb.SchemaState(ctx)
	ms, _ := warehouse.Migrations()
	if err != nil || len(st.Missing) != len(ms) || st.Applied != 0 {
		t.Errorf("SchemaState of an empty database: %+v, %v; want all %d missing", st, err, len(ms))
	}
}
