package crawl_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/crawl"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fixture/hostile"
	"github.com/counternet/counternet/internal/testenv"
)

// TestBusDownMidRun stops the NATS server while a collector runs, through
// the spooling publisher the collector uses. The run fails with
// bus.ErrNotStored and reports by id every event the bus did not
// acknowledge; the outbox holds those events, no others are missing; once
// the server is back, flushing the outbox stores them, and the stream holds
// every event of the run once.
func TestBusDownMidRun(t *testing.T) {
	e := newEnv(t, hostile.Options{Items: 12})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A NATS server of this test's own, to stop and start again.
	srv := testenv.NewRestartableNATS(t)
	c, err := bus.Connect(ctx, bus.Options{URL: srv.URL(), Name: "crawl-busdown", MaxAge: time.Hour, DuplicateWindow: time.Hour}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.bus = c
	obDir := filepath.Join(t.TempDir(), "outbox")
	ob, err := bus.OpenOutbox(obDir)
	if err != nil {
		t.Fatal(err)
	}

	site := siteFile(t, "busdown", mirrorA)
	site.Politeness.Concurrency = 1
	var fetched atomic.Int32
	var stop sync.Once
	rep, err := e.run(t, site, fetchOptions(), func(d *crawl.Deps) {
		d.Publish = bus.Spooling{P: c.Publisher(64, 0, time.Second), Outbox: ob}
		d.OnFetch = func(string, time.Duration) {
			if fetched.Add(1) == 4 {
				stop.Do(srv.Stop)
			}
		}
	})
	if !errors.Is(err, bus.ErrNotStored) {
		t.Fatalf("run with the bus down: %v; want bus.ErrNotStored", err)
	}
	if len(rep.NotStored) == 0 {
		t.Fatalf("the run reports no event not stored: %s", rep.Summary())
	}

	// What the run reported is what the outbox keeps.
	spooled := outboxIDs(t, obDir)
	for _, id := range rep.NotStored {
		if !slices.Contains(spooled, id) {
			t.Errorf("event %s reported not stored is not in the outbox", id)
		}
	}
	t.Logf("%d events published, %d reported not stored, %d in the outbox; errors %q", rep.Events, len(rep.NotStored), len(spooled), rep.Errors)

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	for n := -1; n != 0 && ctx.Err() == nil; {
		if _, err := ob.Flush(ctx, c.Publisher(64, 0, 2*time.Second)); err != nil {
			time.Sleep(200 * time.Millisecond)
		}
		if n, err = ob.Pending(); err != nil {
			t.Fatal(err)
		}
	}

	// Every event once on the stream, the reported ones included.
	seen := map[string]int{}
	for _, d := range e.events(t, "busdown") {
		seen[eventID(d)]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s is on the stream %d times", id, n)
		}
	}
	for _, id := range spooled {
		if seen[id] != 1 {
			t.Errorf("spooled event %s is on the stream %d times after the flush", id, seen[id])
		}
	}
	if len(seen) < rep.Events+len(rep.NotStored) {
		t.Errorf("stream holds %d events of the run; it published %d and reported %d not stored",
			len(seen), rep.Events, len(rep.NotStored))
	}
}

// outboxIDs lists the ids of the events waiting in the outbox in dir
// (every spool file: each page the bus refused has its own) without
// taking them out: it flushes a copy of the directory into a publisher
// that keeps their ids.
func outboxIDs(t *testing.T, dir string) []string {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "outbox-copy")
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		t.Fatalf("copying the outbox: %v", err)
	}
	ob, err := bus.OpenOutbox(cp)
	if err != nil {
		t.Fatal(err)
	}
	var rec keep
	if _, err := ob.Flush(context.Background(), &rec); err != nil {
		t.Fatalf("reading the outbox: %v", err)
	}
	return rec.ids
}

// keep is a publisher that stores nothing and acknowledges every message;
// it keeps the ids of the events the messages carry.
type keep struct{ ids []string }

func (r *keep) Publish(_ context.Context, msgs []bus.Message) error {
	for _, m := range msgs {
		// An envelope holds the events of a page: their ids, not its own.
		ds, err := event.DecodeMessage(m.Subject, m.Data)
		if err != nil {
			return fmt.Errorf("outbox message %s does not decode: %w", m.ID, err)
		}
		for _, d := range ds {
			r.ids = append(r.ids, eventID(d))
		}
	}
	return nil
}

func eventID(d event.Decoded) string {
	switch {
	case d.Listing != nil:
		return d.Listing.EventID
	case d.Vendor != nil:
		return d.Vendor.EventID
	case d.Capture != nil:
		return d.Capture.EventID
	case d.Run != nil:
		return d.Run.EventID
	case d.Post != nil:
		return d.Post.EventID
	}
	return ""
}
