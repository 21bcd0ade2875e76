package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/testenv"
)

// TestPublishAcrossServerRestart stops the NATS server (same port, same
// store) while a collector publishes, for longer than a publish waits for its
// acks, then starts it again: every event is either acknowledged or reported
// by id as not stored; publishing the reported ones again leaves the stream
// holding exactly the published ids, each once. The outage is placed after
// the first chunks are stored and outlasts the ack timeout, so the report
// path is always taken.
func TestPublishAcrossServerRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	const (
		n, chunk   = 20_000, 500
		stopAfter  = 4               // chunks stored before the server stops
		ackTimeout = 2 * time.Second // how long a publish waits for its acks
		outage     = 2*ackTimeout + time.Second
	)
	srv := testenv.NewRestartableNATS(t)
	c := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	msgs := make([]bus.Message, n)
	want := make(map[string]bool, n)
	pad := strings.Repeat("0123456789abcdef", 48) // events of about 800 bytes
	for i := range msgs {
		id := fmt.Sprintf("evt-%06d", i)
		m, err := bus.Encode(fmt.Sprintf("intel.v1.listing.m%d", i%4), id, map[string]any{"n": i, "pad": pad})
		if err != nil {
			t.Fatal(err)
		}
		msgs[i], want[id] = m, true
	}

	restarted := make(chan struct{})
	restart := func() {
		defer close(restarted)
		srv.Stop()
		time.Sleep(outage)
		if err := srv.Start(); err != nil {
			t.Error(err)
		}
	}
	// No retries inside Publish: what it reports, the caller publishes again,
	// as a collector's next run does.
	pub := c.Publisher(256, 0, ackTimeout)
	var reported, rounds int
	pending := msgs
	for len(pending) > 0 {
		rounds++
		if rounds > 50 {
			t.Fatalf("%d events still not stored after %d rounds", len(pending), rounds)
		}
		var again []bus.Message
		for i, start := 0, 0; start < len(pending); i, start = i+1, start+chunk {
			if rounds == 1 && i == stopAfter {
				go restart()
			}
			part := pending[start:min(start+chunk, len(pending))]
			err := pub.Publish(ctx, part)
			var nse *bus.NotStoredError
			switch {
			case err == nil:
			case errors.As(err, &nse):
				byID := make(map[string]bus.Message, len(part))
				for _, m := range part {
					byID[m.ID] = m
				}
				for _, f := range nse.Failures {
					m, ok := byID[f.ID]
					if !ok {
						t.Fatalf("failure names %q, which was not in the publish", f.ID)
					}
					again = append(again, m)
				}
			default:
				t.Fatalf("publish: %v (want nil or a *NotStoredError)", err)
			}
		}
		reported += len(again)
		pending = again
		if len(pending) > 0 {
			<-restarted // the next round publishes to the server that is back
		}
	}
	<-restarted
	if t.Failed() {
		return
	}
	t.Logf("%d events reported not stored and published again over %d rounds", reported, rounds)
	if reported == 0 {
		t.Fatalf("the server was down for %v, longer than the %v ack timeout, yet no event was reported not stored", outage, ackTimeout)
	}

	// The stream holds every id once, and nothing else.
	c2 := connect(t, srv.URL())
	st, err := c2.JS.Stream(ctx, "INTEL")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != n {
		t.Fatalf("stream holds %d messages, want %d", info.State.Msgs, n)
	}
	oc, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool, n)
	for len(seen) < n {
		batch, err := oc.Fetch(5000, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			id := m.Headers().Get(jetstream.MsgIDHeader)
			if !want[id] || seen[id] {
				t.Fatalf("stream holds %q (published: %v, seen before: %v)", id, want[id], seen[id])
			}
			seen[id] = true
		}
		if got == 0 {
			t.Fatalf("stream read stopped at %d of %d ids", len(seen), n)
		}
	}
}
