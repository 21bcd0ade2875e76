package warehouse_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestLocalUsers starts a managed server and shows that it refuses a client
// without credentials or with a wrong password, that the analysts' user
// reads and writes nothing, that the writer migrates and loads, and that
// the passwords stay in files of mode 0600 which survive a restart, a
// wider mode being refused.
func TestLocalUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server twice")
	}
	dir := t.TempDir()
	ctx := testCtx(t)
	l := startLocal(t, dir)
	t.Cleanup(func() { _ = l.Stop(context.Background()) })

	// No credentials, or a wrong password: refused.
	for name, auth := range map[string]clickhouse.Auth{
		"no user":          {},
		"default user":     {Username: "default"},
		"writer, no pass":  {Username: warehouse.WriterUser},
		"writer, bad pass": {Username: warehouse.WriterUser, Password: "guess"},
		"readonly no pass": {Username: warehouse.ReadOnlyUser},
	} {
		if err := pingAs(ctx, l.Addr(), auth); err == nil {
			t.Errorf("%s: the server accepted the connection", name)
		} else if msg := err.Error(); !strings.Contains(msg, "Unknown user") && !strings.Contains(msg, "Password required") && !strings.Contains(msg, "Wrong password") {
			t.Errorf("%s: refused with %v, want an authentication error", name, err)
		}
	}
	if _, err := warehouse.Open(ctx, "clickhouse://"+l.Addr()+"/intel", zerolog.Nop()); err == nil {
		t.Error("Open without credentials succeeded")
	}

	// The writer creates, migrates and loads.
	db, err := warehouse.Open(ctx, l.DSN("intel"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordExport(ctx, warehouse.ExportAudit{ExportID: "x1", Outcome: warehouse.OutcomeRefused, Reason: "test"}); err != nil {
		t.Fatal(err)
	}

	// The analysts' user reads, and writes nothing.
	ro, err := warehouse.OpenExisting(ctx, l.ReadOnlyDSN("intel"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var n uint64
	if err := ro.Conn().QueryRow(ctx, "SELECT count() FROM export_audit").Scan(&n); err != nil || n != 1 {
		t.Errorf("readonly reads export_audit: %d rows, %v; want 1", n, err)
	}
	for _, stmt := range []string{
		"INSERT INTO export_audit (export_id, outcome) VALUES ('forged', 'exported')",
		"ALTER TABLE export_audit DELETE WHERE 1",
		"DROP TABLE export_audit",
		"CREATE TABLE x (a UInt8) ENGINE = Memory",
	} {
		if err := ro.Conn().Exec(ctx, stmt); err == nil {
			t.Errorf("readonly ran %q", stmt)
		} else if !strings.Contains(err.Error(), "readonly") {
			t.Errorf("readonly ran %q: %v, want a readonly refusal", stmt, err)
		}
	}
	if err := ro.Conn().QueryRow(ctx, "SELECT count() FROM export_audit").Scan(&n); err != nil || n != 1 {
		t.Errorf("after the refused writes export_audit has %d rows (%v), want 1", n, err)
	}

	// The exporter logs in.
	if err := pingAs(ctx, l.Addr(), clickhouse.Auth{Username: warehouse.ExporterUser, Password: readSecret(t, l.PasswordFile(warehouse.ExporterUser))}); err != nil {
		t.Errorf("exporter: %v", err)
	}

	// The analysts' client command logs in as readonly, with the password
	// in a file, not on the command line.
	cmd := l.ClientCommand()
	if strings.Contains(cmd, readSecret(t, l.PasswordFile(warehouse.ReadOnlyUser))) {
		t.Errorf("ClientCommand shows the password: %s", cmd)
	}
	if _, err := exec.LookPath("clickhouse-client"); err == nil {
		args := append(strings.Fields(cmd)[1:], "--database", "intel", "--query", "SELECT count() FROM export_audit")
		out, err := exec.CommandContext(ctx, "clickhouse-client", args...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "1" {
			t.Errorf("%s: %s %v", cmd, out, err)
		}
		args = append(strings.Fields(cmd)[1:], "--database", "intel", "--query", "DROP TABLE export_audit")
		if out, err := exec.CommandContext(ctx, "clickhouse-client", args...).CombinedOutput(); err == nil {
			t.Errorf("the analysts' client dropped export_audit: %s", out)
		}
	}

	// Secrets: mode 0600, users.xml holds hashes only.
	users, err := os.ReadFile(filepath.Join(dir, "users.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range warehouse.LocalUsers {
		f := l.PasswordFile(u)
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", f, fi.Mode().Perm())
		}
		if strings.Contains(string(users), readSecret(t, f)) {
			t.Errorf("users.xml holds the password of %s in clear", u)
		}
	}
	for _, f := range []string{"users.xml", "secrets/client-readonly.xml"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f, err, fi.Mode().Perm())
		}
	}

	// A restart keeps the passwords; a password file others may read is
	// refused, and the server does not start.
	pw := readSecret(t, l.PasswordFile(warehouse.WriterUser))
	db.Close()
	stopLocal(t, l)
	l = startLocal(t, dir)
	if got := readSecret(t, l.PasswordFile(warehouse.WriterUser)); got != pw {
		t.Error("the writer's password changed across a restart")
	}
	db2, err := warehouse.OpenExisting(ctx, l.DSN("intel"), zerolog.Nop())
	if err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	db2.Close()
	stopLocal(t, l)
	if err := os.Chmod(l.PasswordFile(warehouse.ReadOnlyUser), 0o644); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if l2, err := warehouse.StartLocal(sctx, dir, zerolog.Nop()); !errors.Is(err, config.ErrSecretMode) {
		if err == nil {
			_ = l2.Stop(ctx)
		}
		t.Errorf("start with a password file of mode 0644: %v, want ErrSecretMode", err)
	} else if !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("error does not say how to fix it: %v", err)
	}
}

func pingAs(ctx context.Context, addr string, auth clickhouse.Auth) error {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: auth, DialTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Ping(ctx)
}

func readSecret(t *testing.T, path string) string {
	t.Helper()
	s, err := config.ReadSecretFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
