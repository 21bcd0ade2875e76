package testenv

import (
	"fmt"
	"sync"
	"testing"

	"github.com/counternet/counternet/internal/bus"
)

// NATS starts an embedded JetStream server (a real nats-server, in process)
// on a free loopback port with its store in a temporary directory, and
// returns its client URL with the service role's user and password in it
// (the server refuses clients without). The server stops when the test
// ends. NATSServer gives the server itself, for tests of other roles.
func NATS(tb testing.TB) string {
	tb.Helper()
	return NATSServer(tb).URLFor(bus.RoleService)
}

// NATSServer is NATS returning the server, whose URL holds no credentials
// and whose URLFor gives each role's.
func NATSServer(tb testing.TB) *bus.Embedded {
	tb.Helper()
	users, err := bus.LoadUsers(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := bus.StartEmbedded(tb.TempDir(), 0, users, "")
	if err != nil {
		tb.Fatalf("starting embedded nats-server: %v", err)
	}
	tb.Cleanup(srv.Shutdown)
	return srv
}

// RestartableNATS is an embedded JetStream server of one test's own, on a
// fixed loopback port and store, that the test can stop and start again the
// way an operator restarts nats-server: clients keep its URL and reconnect.
type RestartableNATS struct {
	dir   string
	port  int
	url   string
	users bus.Users

	mu  sync.Mutex
	srv *bus.Embedded
}

// NewRestartableNATS starts a RestartableNATS; it stops when the test ends.
func NewRestartableNATS(tb testing.TB) *RestartableNATS {
	tb.Helper()
	users, err := bus.LoadUsers(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	n := &RestartableNATS{dir: tb.TempDir(), port: freePorts(tb, 1)[0], users: users}
	if err := n.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(n.Stop)
	return n
}

// URL is the server's client URL with the service role's credentials, the
// same across restarts.
func (n *RestartableNATS) URL() string { return n.url }

// Stop shuts the server down; stopping a stopped server does nothing.
func (n *RestartableNATS) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv = nil
	}
}

// Start starts the server again on its port and store; starting a running
// server does nothing.
func (n *RestartableNATS) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.srv != nil {
		return nil
	}
	srv, err := bus.StartEmbedded(n.dir, n.port, n.users, "")
	if err != nil {
		return fmt.Errorf("starting embedded nats-server on port %d: %w", n.port, err)
	}
	n.srv, n.url = srv, srv.URLFor(bus.RoleService)
	return nil
}
