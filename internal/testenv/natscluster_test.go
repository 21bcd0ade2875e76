package testenv_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/testenv"
)

// TestNATSClusterAuthenticates starts the three-node test cluster and
// shows that its nodes run with the embedded server's users and
// permissions: a client without credentials is refused on every node, the
// service creates the streams, a collector publishes events, and neither
// the reader nor the loader may publish one.
func TestNATSClusterAuthenticates(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nats-server processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl := testenv.NATSCluster(t, 3)
	if nc, err := nats.Connect(cl.URLsFor(""), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("a node admitted a client without credentials")
	}
	if nc, err := nats.Connect(strings.ReplaceAll(cl.URLsFor(""), "nats://", "nats://collector:guess@"), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("a node admitted a wrong password")
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	connect := func(role string, existing bool) *bus.Conn {
		t.Helper()
		for {
			actx, acancel := context.WithTimeout(ctx, 5*time.Second)
			c, err := bus.Connect(actx, bus.Options{URL: cl.URLsFor(role), Stream: testenv.ClusterStream, Replicas: 3,
				MaxAge: time.Hour, DuplicateWindow: time.Minute, InboxPrefix: bus.InboxPrefix(role), Existing: existing}, log)
			acancel()
			if err == nil {
				t.Cleanup(c.Close)
				return c
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s never connected: %v", role, err)
			case <-time.After(500 * time.Millisecond): // JetStream elects its meta leader first
			}
		}
	}
	connect(bus.RoleService, false)
	col := connect(bus.RoleCollector, false)
	if _, err := col.JS.Publish(ctx, "intel.v1.listing.alpha", []byte(`{"ok":true}`)); err != nil {
		t.Errorf("the collector publishing an event: %v", err)
	}
	for _, role := range []string{bus.RoleReader, bus.RoleLoader} {
		c := connect(role, role == bus.RoleReader)
		pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
		if _, err := c.JS.Publish(pctx, "intel.v1.listing.alpha", []byte(`{"forged":true}`)); err == nil {
			t.Errorf("the %s published an event", role)
		}
		pcancel()
	}
	info, err := col.JS.Stream(ctx, testenv.ClusterStream)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("the stream holds %d messages, want the collector's 1", n)
	}
}
