package testenv

import (
	"testing"

	"github.com/counternet/counternet/internal/config"
)

// Config is the embedded default configuration, read without the
// environment, pointed at a data directory of the test's own and at a
// database of its own on the test ClickHouse server (ClickHouseAddr),
// named from prefix and the test's name, made unique. NATS stays embedded.
func Config(tb testing.TB, prefix string) *config.Config {
	tb.Helper()
	cfg, err := config.Load("", config.WithLookupEnv(nil))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.DataDir = tb.TempDir()
	cfg.ClickHouse.DSN = "clickhouse://" + ClickHouseAddr(tb)
	cfg.ClickHouse.Database = databaseName(prefix + "_" + tb.Name())
	return cfg
}
