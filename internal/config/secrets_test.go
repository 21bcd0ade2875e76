package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/config"
)

func TestSecretFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets", "x.password")
	a, err := config.EnsureSecretFile(path)
	if err != nil || len(a) < 40 {
		t.Fatalf("EnsureSecretFile = %d bytes, %v", len(a), err)
	}
	if b, err := config.EnsureSecretFile(path); err != nil || b != a {
		t.Errorf("second EnsureSecretFile changed the secret (%v)", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := config.ReadSecretFile(path)
		if !errors.Is(err, config.ErrSecretMode) || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %04o: %v, want ErrSecretMode saying chmod 600", mode, err)
		}
		if _, err := config.EnsureSecretFile(path); !errors.Is(err, config.ErrSecretMode) {
			t.Errorf("EnsureSecretFile over mode %04o: %v, want ErrSecretMode", mode, err)
		}
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.ReadSecretFile(empty); err == nil {
		t.Error("an empty secret file was read")
	}
}

func TestCredentialSettings(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"nats:\n  user: collector\n", "nats.user: authenticates to an external server"},
		{"nats:\n  url: nats://n:4222\n  user: collector\n", "nats.user: nats.user and nats.password_file go together"},
		{"nats:\n  url: nats://n:4222\n  password_file: /p\n", "nats.password_file: nats.user and nats.password_file go together"},
		{"nats:\n  url: nats://n:4222\n  user: c\n  password_file: /p\n  credentials: /c.creds\n", "nats.credentials: set nats.credentials or nats.user"},
		{"clickhouse:\n  password_file: /p\n", "clickhouse.password_file: authenticates to an external server"},
		{"clickhouse:\n  dsn: clickhouse://u:p@ch:9000\n  password_file: /p\n", "clickhouse.password_file: clickhouse.dsn holds a password already"},
	} {
		_, err := config.Parse("f.yaml", []byte(tc.yaml), config.WithLookupEnv(nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
	cfg, err := config.Parse("f.yaml", []byte("nats:\n  url: nats://n:4222\n  user: loader\n  password_file: /run/secrets/nats\n"+
		"clickhouse:\n  dsn: clickhouse://counternet@ch:9000\n  password_file: /run/secrets/ch\n"), config.WithLookupEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.User != "loader" || cfg.ClickHouse.PasswordFile != "/run/secrets/ch" {
		t.Errorf("settings not read: %+v %+v", cfg.NATS, cfg.ClickHouse)
	}
}
