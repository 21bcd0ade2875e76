package testenv_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestClickHouse(t *testing.T) {
	var names []string
	t.Run("first", func(t *testing.T) {
		db := testenv.ClickHouse(t)
		names = append(names, db.Database())
		n, err := db.CountListings(context.Background())
		if err != nil || n != 0 {
			t.Errorf("fresh database: CountListings = %d, %v", n, err)
		}
	})
	t.Run("second", func(t *testing.T) {
		db := testenv.ClickHouse(t)
		names = append(names, db.Database())
	})
	keep := testenv.ClickHouse(t)
	if len(names) != 2 || names[0] == names[1] || !strings.HasPrefix(names[0], "t_testclickhouse_first_") {
		t.Fatalf("database names %v", names)
	}
	// The subtests passed, so their databases were dropped.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, name := range names {
		var n uint64
		if err := keep.Conn().QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s still exists after its test passed", name)
		}
	}
	if addr := testenv.ClickHouseAddr(t); !strings.Contains(addr, ":") {
		t.Errorf("ClickHouseAddr = %q", addr)
	}
}
