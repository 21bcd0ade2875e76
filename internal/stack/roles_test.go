package stack

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestExistingConnectsAsReader opens the embedded NATS as a collector
// would, then as a read-only command does (Need.Existing): the read-only
// stack is the reader, which sees the streams but may publish neither
// events nor anything else.
func TestExistingConnectsAsReader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	w, err := Open(ctx, cfg, log, Need{Bus: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Bus.JS.Publish(ctx, "intel.v1.listing.alpha", []byte(`{}`)); err != nil {
		t.Fatalf("the writing stack publishing: %v", err)
	}
	w.Close(context.Background())

	r, err := Open(ctx, cfg, log, Need{Bus: true, Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	if got := r.Bus.NC.Opts.User; got != bus.RoleReader {
		t.Errorf("a read-only command connects as %q, want %q", got, bus.RoleReader)
	}
	info, err := r.Bus.JS.Stream(ctx, cfg.NATS.Stream)
	if err != nil {
		t.Fatalf("the reader reading stream state: %v", err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("the reader sees %d messages, want 1", n)
	}
	pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
	defer pcancel()
	if _, err := r.Bus.JS.Publish(pctx, "intel.v1.listing.alpha", []byte(`{"forged":true}`)); err == nil {
		t.Error("the reader published an event on intel.v1.>")
	}
	if err := r.Bus.NC.Publish("intel.v1.vendor.alpha", []byte(`{}`)); err == nil {
		if err := r.Bus.NC.Flush(); err == nil {
			if le := r.Bus.NC.LastError(); le == nil || !strings.Contains(le.Error(), "Permissions Violation") {
				t.Errorf("a core publish on intel.v1.> by the reader raised %v, want a permissions violation", le)
			}
		}
	}
}

// TestClusterSettings: with clickhouse.cluster set, the DSN asks for
// synchronous inserts into Distributed tables, unless it says otherwise.
func TestClusterSettings(t *testing.T) {
	for _, tt := range []struct{ dsn, cluster, want string }{
		{"clickhouse://ch1:9000/cn", "", ""},
		{"clickhouse://ch1:9000,ch2:9000/cn", "prod", "1"},
		{"clickhouse://u:p@ch1:9000/cn?dial_timeout=5s", "prod", "1"},
		{"clickhouse://ch1:9000/cn?insert_distributed_sync=0", "prod", "0"},
	} {
		got := WithClusterSettings(tt.dsn, tt.cluster)
		u, err := url.Parse(got)
		if err != nil {
			t.Fatal(err)
		}
		if v := u.Query().Get("insert_distributed_sync"); v != tt.want {
			t.Errorf("WithClusterSettings(%s, %q) = %s: insert_distributed_sync %q, want %q", tt.dsn, tt.cluster, got, v, tt.want)
		}
		if tt.cluster != "" && (u.Host != mustHost(t, tt.dsn) || u.Path != "/cn") {
			t.Errorf("WithClusterSettings(%s) = %s lost the address or database", tt.dsn, got)
		}
	}
}

func mustHost(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// TestManagedAuditRoles opens the stack on a fresh data dir with the
// managed ClickHouse, as migrate does (the audit migration runs as the
// exporter by itself), then as export and query do: only the exporter's
// stack may record an export, the writer's is refused by the server, and
// the analysts' stack reads the record through export_audit.
func TestManagedAuditRoles(t *testing.T) {
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
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	m, err := Open(ctx, cfg, log, Need{Warehouse: true})
	if errors.Is(err, warehouse.ErrNoClickHouse) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Close(context.Background())

	rec := warehouse.ExportAudit{ExportID: "e1", Who: "ana", Outcome: warehouse.OutcomeRefused, Reason: "test"}
	open := func(user string) *Stack {
		t.Helper()
		s, err := Open(ctx, cfg, log, Need{Warehouse: true, Existing: true, ClickHouseUser: user})
		if err != nil {
			t.Fatalf("opening as %q: %v", user, err)
		}
		return s
	}
	w := open("")
	if err := w.DB.RecordExport(ctx, rec); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("the writer's stack recording an export: %v, want access denied", err)
	}
	w.Close(context.Background())
	x := open(ExporterUser)
	if err := x.DB.RecordExport(ctx, rec); err != nil {
		t.Errorf("the exporter's stack recording an export: %v", err)
	}
	x.Close(context.Background())
	r := open(ReadOnlyUser)
	defer r.Close(context.Background())
	var n uint64
	if err := r.DB.Conn().QueryRow(ctx, "SELECT count() FROM export_audit WHERE export_id = 'e1'").Scan(&n); err != nil || n != 1 {
		t.Errorf("the analysts' stack reads %d records (%v), want 1", n, err)
	}
}
