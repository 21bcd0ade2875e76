package testenv

import (
	"testing"

	"github.com/counternet/counternet/internal/bus"
)

// NATS starts an embedded JetStream server (a real nats-server, in process)
// on a free loopback port with its store in a temporary directory, and
// returns its client URL. The server stops when the test ends.
func NATS(tb testing.TB) string {
	tb.Helper()
	srv, err := bus.StartEmbedded(tb.TempDir(), 0)
	if err != nil {
		tb.Fatalf("starting embedded nats-server: %v", err)
	}
	tb.Cleanup(srv.Shutdown)
	return srv.URL()
}
