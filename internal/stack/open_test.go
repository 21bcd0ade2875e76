package stack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestOpenExistingPointedAtNothing checks that a read command pointed at a
// data dir holding nothing says which data dir it looked in and how to
// point it elsewhere, and creates nothing there: it used to start a fresh
// managed ClickHouse (or embedded NATS) and answer "(0 rows)".
func TestOpenExistingPointedAtNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name string
		need Need
		env  string
	}{
		{"warehouse", Need{Warehouse: true, Existing: true}, config.EnvClickHouseDSN},
		{"bus", Need{Bus: true, Existing: true}, config.EnvNATSURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Default()
			if err != nil {
				t.Fatal(err)
			}
			cfg.DataDir = t.TempDir()
			s, err := Open(ctx, cfg, zerolog.Nop(), tc.need)
			if err == nil {
				s.Close(ctx)
				t.Fatal("Open on an empty data dir succeeded")
			}
			if !errors.Is(err, ErrNoData) {
				t.Errorf("err = %v, want ErrNoData", err)
			}
			for _, want := range []string{cfg.DataDir, tc.env, config.EnvDataDir, "counternet demo --keep"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not name %q: %v", want, err)
				}
			}
			if entries, _ := os.ReadDir(cfg.DataDir); len(entries) != 0 {
				t.Errorf("Open created %v in the data dir", entries)
			}
		})
	}
}

// TestOpenExistingNamesTheServer checks that a read command pointed at a
// server without the database fails naming the database and the server,
// and does not create it.
func TestOpenExistingNamesTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := testenv.ClickHouse(t)
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	missing := db.Database() + "_missing"
	cfg.ClickHouse.DSN = "clickhouse://" + testenv.ClickHouseAddr(t) + "/" + missing
	_, err = Open(ctx, cfg, zerolog.Nop(), Need{Warehouse: true, Existing: true})
	if !errors.Is(err, warehouse.ErrNoDatabase) || !strings.Contains(err.Error(), missing) ||
		!strings.Contains(err.Error(), testenv.ClickHouseAddr(t)) {
		t.Errorf("err = %v, want ErrNoDatabase naming %s on %s", err, missing, testenv.ClickHouseAddr(t))
	}
	var n uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", missing).Scan(&n); err != nil || n != 0 {
		t.Errorf("database %s: %d, %v: a read open created it", missing, n, err)
	}

	// The database there: opened, nothing loaded into it.
	cfg.ClickHouse.DSN = "clickhouse://" + testenv.ClickHouseAddr(t) + "/" + db.Database()
	s, err := Open(ctx, cfg, zerolog.Nop(), Need{Warehouse: true, Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if err := s.DB.Conn().QueryRow(ctx, "SELECT count() FROM countries").Scan(&n); err != nil || n != 0 {
		t.Errorf("countries holds %d rows, %v: a read open loaded reference data", n, err)
	}
	if !strings.Contains(s.Where(), db.Database()) {
		t.Errorf("Where() = %q", s.Where())
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "clickhouse")); err == nil {
		t.Error("a read open with a DSN made a managed server directory")
	}
}
