package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestStatusWithServersDown: with ClickHouse and NATS both unreachable,
// exactly when an operator runs it, status still shows every source, its
// schedule and next run, names what is down, and exits non-zero (it used to
// fail as a whole with "nats: no servers available").
func TestStatusWithServersDown(t *testing.T) {
	t.Setenv("COUNTERNET_DATA_DIR", t.TempDir())
	t.Setenv("COUNTERNET_CLICKHOUSE_DSN", "clickhouse://"+deadAddr(t)+"/counternet")
	t.Setenv("COUNTERNET_NATS_URL", "nats://"+deadAddr(t))
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("collect:\n  pipelines: [../../pipelines/*.yaml]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"status", "--config", cfg}, &out, &errOut)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"ClickHouse DOWN", "NATS DOWN", "nebula", "harbor", "@daily", "unknown"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "ClickHouse and NATS unreachable") {
		t.Errorf("stderr: %s", errOut.String())
	}
}
