package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/testenv"
)

// TestClusterNodeLossLosesNothing runs the bus on a three-node JetStream
// cluster (separate nats-server processes) with stream replicas 3, kills one
// node with SIGKILL in the middle of publishing and loading, and checks that
// ClickHouse ends up holding every event exactly once.
func TestClusterNodeLossLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts three nats-server processes and clickhouse-server")
	}
	const total, chunk = 20000, 1000
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl := testenv.NATSCluster(t, 3)
	db := testenv.ClickHouse(t)

	var conn *bus.Conn
	for {
		var err error
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err = bus.Connect(actx, bus.Options{URL: cl.URLs(), Stream: "INTEL", Replicas: 3,
			MaxAge: time.Hour, DuplicateWindow: time.Hour}, log)
		acancel()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cluster never accepted the stream: %v", err)
		case <-time.After(500 * time.Millisecond): // JetStream elects its meta leader first
		}
	}
	defer conn.Close()
	cons, err := conn.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 50000, AckWait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ld := load.New(cons, load.Sinks{Events: db, DeadLetters: conn.Publisher(64, 3, 10*time.Second), Acks: conn.NC},
		load.Options{BatchSize: 2000, FlushInterval: 200 * time.Millisecond}, log)
	lctx, stopLoader := context.WithCancel(ctx)
	loaderDone := make(chan error, 1)
	go func() { loaderDone <- ld.Run(lctx) }()

	pub := conn.Publisher(256, 5, 5*time.Second)
	observed := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for start := 0; start < total; start += chunk {
		if start == total/2 {
			cl.Kill(1)
		}
		var msgs []bus.Message
		for i := start; i < start+chunk; i++ {
			l := event.Listing{Provenance: event.Provenance{Source: "cluster", URL: fmt.Sprintf("http://x.onion/p/%d", i),
				ObservedAt: observed, CaptureSHA256: strings.Repeat("0", 64)}, ListingID: fmt.Sprint(i), Title: "t"}
			l.Finalize()
			m, err := bus.Encode(event.Subject(event.TypeListing, l.Source), l.EventID, &l)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		// A publish that was not acknowledged is reported and sent again:
		// the same ids, so JetStream stores each event once.
		for attempt := 1; ; attempt++ {
			err := pub.Publish(ctx, msgs)
			if err == nil {
				break
			}
			if attempt == 20 || ctx.Err() != nil {
				t.Fatalf("publishing events %d..%d: %v", start, start+chunk, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	if err := load.WaitIdle(ctx, cons, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	stopLoader()
	if err := <-loaderDone; err != nil {
		t.Fatal(err)
	}
	var n, ids uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM listing_obs FINAL").Scan(&n, &ids); err != nil {
		t.Fatal(err)
	}
	if n != total || ids != total {
		t.Errorf("ClickHouse holds %d rows (%d distinct events), want %d", n, ids, total)
	}
}
