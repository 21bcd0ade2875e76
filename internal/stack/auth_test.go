package stack

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestOpenAuthenticatesByDefault opens the stack on a fresh data dir with
// nothing configured (embedded NATS, managed ClickHouse) and shows that
// both servers refuse a client without credentials while the stack itself
// works, that every secret is a 0600 file in a 0700 directory, and that a
// secret file others may read stops the next start.
func TestOpenAuthenticatesByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	s, err := Open(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Need{Bus: true, Warehouse: true})
	if errors.Is(err, warehouse.ErrNoClickHouse) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())

	if strings.Contains(s.NATSURL(), "@") {
		t.Errorf("NATSURL carries credentials: %s", config.RedactURL(s.NATSURL()))
	}
	if nc, err := nats.Connect(s.NATSURL(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("the embedded nats-server admitted a client without credentials")
	}
	if _, err := s.Bus.JS.Publish(ctx, "intel.v1.listing.alpha", []byte(`{}`)); err != nil {
		t.Errorf("the stack publishing: %v", err)
	}
	if _, err := warehouse.Open(ctx, "clickhouse://"+s.local.Addr()+"/"+cfg.ClickHouse.Database, zerolog.Nop()); err == nil {
		t.Error("the managed clickhouse-server admitted a client without credentials")
	}
	if _, err := s.DB.CountListings(ctx); err != nil {
		t.Errorf("the stack reading ClickHouse: %v", err)
	}
	if strings.Contains(s.Where(), "@") {
		t.Errorf("Where shows credentials: %s", s.Where())
	}

	var files []string
	err = filepath.WalkDir(cfg.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".password") || strings.HasSuffix(p, "client-readonly.xml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(bus.Roles)+len(warehouse.LocalUsers)+1 {
		t.Errorf("secret files %v, want one per NATS role and ClickHouse user, and the client config", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", f, err)
		}
		if fi, err := os.Stat(filepath.Dir(f)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, want mode 0700", filepath.Dir(f), err)
		}
	}
	s.Close(ctx)

	if err := os.Chmod(bus.UsersFile(filepath.Join(cfg.DataDir, "secrets"), bus.RoleCollector), 0o644); err != nil {
		t.Fatal(err)
	}
	if s2, err := Open(ctx, cfg, zerolog.Nop(), Need{Bus: true}); !errors.Is(err, config.ErrSecretMode) {
		if err == nil {
			s2.Close(ctx)
		}
		t.Errorf("Open with a NATS password file of mode 0644: %v, want ErrSecretMode", err)
	}
}

// TestOpenClickHousePasswordFile opens an external ClickHouse (the shared
// test server) whose DSN names the user and whose password is in
// clickhouse.password_file, and refuses the file once others may read it.
func TestOpenClickHousePasswordFile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := testenv.ClickHouse(t)
	u, err := url.Parse(testenv.ClickHouseDSN(t, warehouse.WriterUser, db.Database()))
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := u.User.Password()
	if !ok {
		t.Skip("the test server is external: no password to put in a file")
	}
	file := filepath.Join(t.TempDir(), "clickhouse.password")
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.User = url.User(warehouse.WriterUser)
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.ClickHouse.DSN, cfg.ClickHouse.PasswordFile, cfg.ClickHouse.Database = u.String(), file, db.Database()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, cfg, zerolog.Nop(), Need{Warehouse: true, Existing: true})
	if err != nil {
		t.Fatalf("Open with clickhouse.password_file: %v", err)
	}
	s.Close(ctx)
	if strings.Contains(s.Where(), pw) {
		t.Errorf("Where shows the password: %s", s.Where())
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, cfg, zerolog.Nop(), Need{Warehouse: true, Existing: true}); !errors.Is(err, config.ErrSecretMode) {
		if err == nil {
			s.Close(ctx)
		}
		t.Errorf("Open with a password file of mode 0644: %v, want ErrSecretMode", err)
	}
}
