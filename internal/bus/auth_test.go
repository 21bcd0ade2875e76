package bus_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/testenv"
)

func connectAs(t *testing.T, srv *bus.Embedded, role string, existing bool) *bus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := bus.Connect(ctx, bus.Options{URL: srv.URL(), User: role, Password: srv.Password(role),
		InboxPrefix: bus.InboxPrefix(role), Name: role, Existing: existing, DuplicateWindow: time.Minute}, zerolog.Nop())
	if err != nil {
		t.Fatalf("connecting as %s: %v", role, err)
	}
	t.Cleanup(c.Close)
	return c
}

// msgs is the number of messages in a stream, read as the service.
func msgs(t *testing.T, svc *bus.Conn, stream string) uint64 {
	t.Helper()
	s, err := svc.JS.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// publishRefused checks that c cannot store a message on subject.
func publishRefused(t *testing.T, c *bus.Conn, role, subject string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.JS.Publish(ctx, subject, []byte(`{"forged":true}`)); err == nil {
		t.Errorf("%s stored a message on %s", role, subject)
	}
}

// refusal bounds a request the server refuses: a refused request gets no
// answer, only a permissions violation, so it ends at this deadline.
func refusal(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestEmbeddedRoles shows that the embedded server refuses clients without
// its credentials and that each role does only its part: collectors publish
// events and take crawl tasks, loaders consume events and write dead
// letters, readers read state, and none does another's part.
func TestEmbeddedRoles(t *testing.T) {
	srv := testenv.NATSServer(t)

	for name, opts := range map[string][]nats.Option{
		"no credentials": nil,
		"wrong password": {nats.UserInfo(bus.RoleService, "guess")},
		"unknown user":   {nats.UserInfo("admin", "admin")},
	} {
		nc, err := nats.Connect(srv.URL(), append(opts, nats.MaxReconnects(0))...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		} else if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			t.Errorf("%s: %v, want an authorization violation", name, err)
		}
	}

	svc := connectAs(t, srv, bus.RoleService, false)
	col := connectAs(t, srv, bus.RoleCollector, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Collector: publishes events and crawl tasks, takes crawl tasks.
	if _, err := col.JS.Publish(ctx, "intel.v1.listing.alpha", []byte(`{"ok":true}`)); err != nil {
		t.Fatalf("collector publishing an event: %v", err)
	}
	if _, err := col.JS.Publish(ctx, bus.TaskPrefix+".alpha", []byte(`{"source":"alpha"}`)); err != nil {
		t.Fatalf("collector publishing a crawl task: %v", err)
	}
	tasks, err := col.TaskConsumer(ctx, "collectors", time.Minute)
	if err != nil {
		t.Fatalf("collector taking crawl tasks: %v", err)
	}
	batch, err := tasks.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for m := range batch.Messages() {
		got++
		if err := m.Ack(); err != nil {
			t.Errorf("collector acking a task: %v", err)
		}
	}
	if got != 1 {
		t.Errorf("collector took %d crawl tasks, want 1", got)
	}
	if _, err := col.Consumer(refusal(t), bus.ConsumerOptions{Durable: "stolen", MaxAckPending: 10, AckWait: time.Second}); err == nil {
		t.Error("collector created a consumer on the event stream")
	}
	publishRefused(t, col, "collector", bus.DeadLetterPrefix+".x")
	if err := col.JS.DeleteStream(refusal(t), "INTEL"); err == nil {
		t.Error("collector deleted the event stream")
	}

	// Loader: consumes and acks events, writes dead letters, publishes no event.
	ld := connectAs(t, srv, bus.RoleLoader, false)
	cons, err := ld.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 10, AckWait: 30 * time.Second})
	if err != nil {
		t.Fatalf("loader creating its consumer: %v", err)
	}
	batch, err = cons.Fetch(10, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got = 0
	for m := range batch.Messages() {
		got++
		if err := m.Ack(); err != nil {
			t.Errorf("loader acking: %v", err)
		}
	}
	if got != 1 {
		t.Errorf("loader fetched %d events, want 1", got)
	}
	if _, err := ld.JS.Publish(ctx, bus.DeadLetterPrefix+".listing.alpha", []byte(`{"bad":true}`)); err != nil {
		t.Errorf("loader writing a dead letter: %v", err)
	}
	publishRefused(t, ld, "loader", "intel.v1.listing.forged")
	publishRefused(t, ld, "loader", bus.TaskPrefix+".alpha")
	if err := ld.JS.DeleteStream(refusal(t), bus.DeadLetterStream); err == nil {
		t.Error("loader deleted the dead-letter stream")
	}

	// Reader: reads state, publishes nothing, creates nothing.
	rd := connectAs(t, srv, bus.RoleReader, true)
	if _, err := rd.JS.Stream(ctx, "INTEL"); err != nil {
		t.Errorf("reader reading the event stream's state: %v", err)
	}
	if _, err := rd.JS.Consumer(ctx, "INTEL", "loader"); err != nil {
		t.Errorf("reader reading the loader's consumer: %v", err)
	}
	publishRefused(t, rd, "reader", "intel.v1.listing.forged")
	if _, err := rd.Consumer(refusal(t), bus.ConsumerOptions{Durable: "reader", MaxAckPending: 10, AckWait: time.Second}); err == nil {
		t.Error("reader created a consumer on the event stream")
	}

	// A role cannot listen on another's inbox, where pulled messages and
	// API answers are delivered.
	errs := make(chan error, 4)
	nc, err := nats.Connect(srv.URL(), nats.UserInfo(bus.RoleCollector, srv.Password(bus.RoleCollector)),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.SubscribeSync(bus.InboxPrefix(bus.RoleLoader) + ".>"); err != nil {
		t.Fatal(err)
	}
	_ = nc.Flush()
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) && !strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
			t.Errorf("collector subscribing to the loader's inbox: %v, want a permissions violation", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("collector subscribed to the loader's inbox without a permissions violation")
	}

	if n := msgs(t, svc, "INTEL"); n != 1 {
		t.Errorf("event stream holds %d messages, want the collector's 1 (nothing forged)", n)
	}
	if n := msgs(t, svc, bus.DeadLetterStream); n != 1 {
		t.Errorf("dead-letter stream holds %d messages, want the loader's 1", n)
	}
}

// TestLoadUsers checks that role passwords are created once, mode 0600, and
// that a password file others may read is refused.
func TestLoadUsers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	a, err := bus.LoadUsers(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.LoadUsers(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range bus.Roles {
		if a[r] == "" || a[r] != b[r] {
			t.Errorf("role %s: passwords of %d then %d bytes, want one non-empty password", r, len(a[r]), len(b[r]))
		}
		fi, err := os.Stat(bus.UsersFile(dir, r))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", bus.UsersFile(dir, r), err)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v, want mode 0700", dir, err)
	}
	if a[bus.RoleCollector] == a[bus.RoleLoader] {
		t.Error("two roles share a password")
	}
	if err := os.Chmod(bus.UsersFile(dir, bus.RoleLoader), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.LoadUsers(dir); !errors.Is(err, config.ErrSecretMode) {
		t.Errorf("LoadUsers with a password file of mode 0640: %v, want ErrSecretMode", err)
	}
	if _, err := bus.StartEmbedded(t.TempDir(), 0, nil, ""); err == nil {
		t.Error("StartEmbedded without users started")
	}
}

// TestConnectRefusesOpenCreds checks that a .creds file others may read is
// refused before it is used.
func TestConnectRefusesOpenCreds(t *testing.T) {
	f := filepath.Join(t.TempDir(), "collector.creds")
	if err := os.WriteFile(f, []byte("-----BEGIN NATS USER JWT-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := bus.Connect(context.Background(), bus.Options{URL: "nats://127.0.0.1:1", Credentials: f}, zerolog.Nop())
	if !errors.Is(err, config.ErrSecretMode) {
		t.Errorf("Connect with a .creds file of mode 0644: %v, want ErrSecretMode", err)
	}
}
