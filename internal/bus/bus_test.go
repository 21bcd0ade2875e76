package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/testenv"
)

func connect(t testing.TB, url string) *bus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := bus.Connect(ctx, bus.Options{URL: url, Stream: "INTEL", Replicas: 1,
		MaxAge: time.Hour, DuplicateWindow: time.Hour}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestPublishDedupAndIdempotentSetup(t *testing.T) {
	url := testenv.NATS(t)
	c := connect(t, url)
	connect(t, url) // a second start with the same options must not fail
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 2 {
		if _, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 10000, AckWait: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}

	var msgs []bus.Message
	for i := range 500 {
		m, err := bus.Encode("intel.v1.listing.test", fmt.Sprintf("id-%d", i), map[string]int{"n": i})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	pub := c.Publisher(64, 2, 10*time.Second)
	if err := pub.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	// The same events again, as a retried run would send them.
	if err := pub.Publish(ctx, msgs[:200]); err != nil {
		t.Fatal(err)
	}
	info, err := c.JS.Stream(ctx, "INTEL")
	if err != nil {
		t.Fatal(err)
	}
	si, err := info.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if si.State.Msgs != 500 {
		t.Fatalf("stream holds %d messages, want 500 (duplicates must be dropped by Nats-Msg-Id)", si.State.Msgs)
	}
}

func TestPublishReportsWhatWasNotStored(t *testing.T) {
	url := testenv.NATS(t)
	c := connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A subject no stream holds: JetStream answers "no responders", so none is stored.
	m, _ := bus.Encode("elsewhere.x", "lost-1", 1)
	err := c.Publisher(8, 1, 2*time.Second).Publish(ctx, []bus.Message{m})
	var nse *bus.NotStoredError
	if !errors.As(err, &nse) || !errors.Is(err, bus.ErrNotStored) || len(nse.Failures) != 1 || nse.Failures[0].ID != "lost-1" {
		t.Fatalf("Publish = %v, want NotStoredError naming lost-1", err)
	}
}

// TestPublishRetriesEachMessage: a retry sends again every message that was
// not stored, even when messages share an id or have none, so one that is
// never stored is still reported, not hidden by another one that was.
func TestPublishRetriesEachMessage(t *testing.T) {
	c := connect(t, testenv.NATS(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lost := bus.Message{Subject: "elsewhere.x", Data: []byte(`{"n":1}`)}             // no stream holds it
	stored := bus.Message{Subject: "intel.v1.listing.test", Data: []byte(`{"n":2}`)} // the event stream does
	err := c.Publisher(8, 2, 2*time.Second).Publish(ctx, []bus.Message{lost, stored})
	var nse *bus.NotStoredError
	if !errors.As(err, &nse) || len(nse.Failures) != 1 || nse.Failures[0].Subject != lost.Subject {
		t.Fatalf("Publish = %v, want a NotStoredError naming the message on %s", err, lost.Subject)
	}
}
