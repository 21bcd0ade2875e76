package warehouse_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/warehouse"
)

func startLocal(t *testing.T, dir string) *warehouse.Local {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	l, err := warehouse.StartLocal(ctx, dir, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if errors.Is(err, warehouse.ErrNoClickHouse) && testing.Short() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func stopLocal(t *testing.T, l *warehouse.Local) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestLocalRestartKeepsData(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server twice")
	}
	dir := t.TempDir()
	ctx := testCtx(t)
	l := startLocal(t, dir)
	t.Cleanup(func() { _ = l.Stop(context.Background()) })

	if !strings.HasPrefix(l.Addr(), "127.0.0.1:") {
		t.Errorf("Addr = %q", l.Addr())
	}
	if want := "clickhouse://" + warehouse.WriterUser + ":"; !strings.HasPrefix(l.DSN("intel"), want) || !strings.HasSuffix(l.DSN("intel"), "@"+l.Addr()+"/intel") {
		t.Errorf("DSN = %q, want %s<password>@%s/intel", config.RedactURL(l.DSN("intel")), want, l.Addr())
	}
	if want := "clickhouse-client --config-file " + dir + "/secrets/client-readonly.xml --host 127.0.0.1 --port " + strings.TrimPrefix(l.Addr(), "127.0.0.1:"); l.ClientCommand() != want {
		t.Errorf("ClientCommand = %q, want %q", l.ClientCommand(), want)
	}
	for _, f := range []string{"config.xml", "users.xml", "data", "log"} {
		if _, err := os.Stat(dir + "/" + f); err != nil {
			t.Errorf("missing %s in the server dir: %v", f, err)
		}
	}

	db, err := warehouse.Open(ctx, l.DSN("intel"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if db.Database() != "intel" {
		t.Errorf("Database = %q", db.Database())
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ls := []event.Listing{
		listing("alpha", "1", "v", week1, 1, "NL", "DE"),
		listing("alpha", "2", "v", week1, 1, "NL", "DE"),
	}
	if err := db.Insert(ctx, &warehouse.Batch{Listings: ls}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A second server on the same directory must fail, saying why.
	ctx2, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if l2, err := warehouse.StartLocal(ctx2, dir, zerolog.Nop()); err == nil {
		_ = l2.Stop(ctx)
		t.Error("second server on the same directory started")
	} else if !strings.Contains(err.Error(), "exited during startup") || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second server error does not carry the log tail: %v", err)
	}

	addr := l.Addr()
	stopLocal(t, l)
	stopLocal(t, l) // idempotent
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still answers after Stop", addr)
	}

	l = startLocal(t, dir)
	defer stopLocal(t, l)
	db, err = warehouse.Open(ctx, l.DSN("intel"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := db.CountListings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("after restart CountListings = %d, want 2", n)
	}
}

func TestOpenBadDSN(t *testing.T) {
	_, err := warehouse.Open(context.Background(), "clickhouse://%zz", zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "parsing DSN") {
		t.Errorf("Open with a bad DSN: %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := warehouse.Open(ctx, "clickhouse://"+addr+"/x", zerolog.Nop()); err == nil {
		t.Error("Open on a closed port succeeded")
	}
}
