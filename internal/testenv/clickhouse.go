package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/warehouse"
)

// EnvClickHouse names the environment variable that points tests at an
// external ClickHouse server by its native address (host:port) instead of a
// managed local one.
const EnvClickHouse = "COUNTERNET_TEST_CLICKHOUSE"

// clickhouseStartTimeout bounds starting the shared managed server.
const clickhouseStartTimeout = 90 * time.Second

var (
	chOnce  sync.Once
	chAddr  string
	chLocal *warehouse.Local // nil for an external server
	chErr   error
	dbCount atomic.Int64
)

// ClickHouseAddr returns the native address (host:port) of the shared test
// ClickHouse server, starting a managed one in a temporary directory on first
// use unless COUNTERNET_TEST_CLICKHOUSE names an external one. The managed
// one has its users with passwords (ClickHouseDSN gives their DSNs) and,
// for tests that still build DSNs from the address alone, a passwordless
// "default" user and a passwordless warehouse.ReadOnlyUser
// (warehouse.LocalOptions.OpenTestUsers). When
// clickhouse-server is not installed it skips the test under -short and fails
// it otherwise, saying what to install.
func ClickHouseAddr(tb testing.TB) string {
	tb.Helper()
	chOnce.Do(startClickHouse)
	if chErr != nil {
		if errors.Is(chErr, warehouse.ErrNoClickHouse) && testing.Short() {
			tb.Skipf("skipping under -short: %v", chErr)
		}
		tb.Fatalf("testenv: %v", chErr)
	}
	return chAddr
}

func startClickHouse() {
	if addr := strings.TrimSpace(os.Getenv(EnvClickHouse)); addr != "" {
		chAddr = addr
		return
	}
	dir, err := os.MkdirTemp("", "counternet-clickhouse-")
	if err != nil {
		chErr = fmt.Errorf("starting clickhouse: creating temporary directory: %w", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), clickhouseStartTimeout)
	defer cancel()
	local, err := warehouse.StartLocalWith(ctx, dir, warehouse.LocalOptions{OpenTestUsers: true}, zerolog.Nop())
	if err != nil {
		os.RemoveAll(dir)
		chErr = err
		return
	}
	chAddr, chLocal = local.Addr(), local
	atStop(func(ctx context.Context) {
		if err := local.Stop(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: %v (data left in %s)\n", err, dir)
			return
		}
		os.RemoveAll(dir)
	})
}

// ClickHouse returns a freshly created and migrated database with a unique
// name on the shared test server (see ClickHouseAddr). The database is closed
// when the test ends, and dropped unless the test failed, so a failure leaves
// the data to look at (its name is logged).
func ClickHouse(tb testing.TB) *warehouse.DB {
	tb.Helper()
	addr := ClickHouseAddr(tb)
	name := databaseName(tb.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	log := zerolog.New(zerolog.NewTestWriter(tb)).Level(zerolog.WarnLevel)
	db, err := warehouse.Open(ctx, ClickHouseDSN(tb, warehouse.WriterUser, name), log)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("testenv: keeping database %s on %s", name, addr)
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for _, d := range []string{name, warehouse.AuditDatabase(name)} {
				if err := db.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+d); err != nil {
					tb.Logf("testenv: dropping database %s: %v", d, err)
				}
			}
		}
		db.Close()
	})
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return db
}

// ClickHouseDSN is the DSN of database on the shared test server as user
// (one of warehouse.LocalUsers), password included. On an external server
// (COUNTERNET_TEST_CLICKHOUSE) it names no user: the server's default.
func ClickHouseDSN(tb testing.TB, user, database string) string {
	tb.Helper()
	addr := ClickHouseAddr(tb)
	if chLocal == nil {
		return "clickhouse://" + addr + "/" + database
	}
	return chLocal.UserDSN(user, database)
}

// databaseName makes a database name unique within the server from the test
// name, the process and a random suffix; only [a-z0-9_] is kept.
func databaseName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 32 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return fmt.Sprintf("t_%s_%d_%d_%s", b.String(), os.Getpid(), dbCount.Add(1), hex.EncodeToString(rnd[:]))
}
