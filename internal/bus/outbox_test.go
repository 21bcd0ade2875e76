package bus_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/testenv"
)

// TestOutboxKeepsWhatWasNotStored publishes through a spooling publisher
// while the NATS server is down: the publish reports every event not stored
// by id, the outbox holds exactly those (file mode 0600), a flush while the
// server is still down keeps them, and a flush after it is back publishes
// them, so the stream holds every event once.
func TestOutboxKeepsWhatWasNotStored(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	srv := testenv.NewRestartableNATS(t)
	c := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ob, err := bus.OpenOutbox(filepath.Join(t.TempDir(), "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	pub := bus.Spooling{P: c.Publisher(64, 0, time.Second), Outbox: ob}
	batch := func(from, n int) []bus.Message {
		msgs := make([]bus.Message, n)
		for i := range msgs {
			id := fmt.Sprintf("evt-%04d", from+i)
			m, err := bus.Encode("intel.v1.listing.alpha", id, map[string]any{"n": from + i})
			if err != nil {
				t.Fatal(err)
			}
			msgs[i] = m
		}
		return msgs
	}
	pending := func() int {
		t.Helper()
		n, err := ob.Pending()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	if err := pub.Publish(ctx, batch(0, 50)); err != nil || pending() != 0 {
		t.Fatalf("publishing with the server up: %v, %d spooled", err, pending())
	}

	srv.Stop()
	err = pub.Publish(ctx, batch(50, 100))
	var nse *bus.NotStoredError
	if !errors.As(err, &nse) || len(nse.Failures) != 100 || !strings.Contains(err.Error(), ob.Dir()) {
		t.Fatalf("publishing with the server down: %v; want 100 events reported not stored and where they were kept", err)
	}
	if n := pending(); n != 100 {
		t.Fatalf("outbox holds %d events, want 100", n)
	}
	files, _ := filepath.Glob(filepath.Join(ob.Dir(), "*.jsonl"))
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("spool file %s: mode %v (%v), want 0600", f, st.Mode().Perm(), err)
		}
	}
	if n, err := ob.Flush(ctx, c.Publisher(64, 0, time.Second)); err == nil || n != 0 || pending() != 100 {
		t.Fatalf("flush with the server down = %d, %v, %d left; want an error and all 100 kept", n, err, pending())
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// Flush until the client has reconnected and every message is stored.
	deadline := time.Now().Add(20 * time.Second)
	for pending() > 0 && time.Now().Before(deadline) {
		if _, err := ob.Flush(ctx, c.Publisher(64, 0, 2*time.Second)); err != nil {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if n := pending(); n != 0 {
		t.Fatalf("outbox still holds %d events after the server came back", n)
	}
	files, _ = filepath.Glob(filepath.Join(ob.Dir(), "*"))
	if len(files) != 0 {
		t.Errorf("outbox files left after a full flush: %v", files)
	}

	// The stream holds every event once: those published directly, those
	// the client's reconnect buffer delivered late, and the flushed ones
	// are the same ids, deduplicated.
	st, err := connect(t, srv.URL()).JS.Stream(ctx, "INTEL")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 150 {
		t.Fatalf("stream holds %d messages, want the 150 published, each once", info.State.Msgs)
	}
}

// TestOutboxFlushGoesPastAnUnreadableFile: a spool file that cannot be read
// back (here one cut in the middle of a line) is left as it is and named in
// the error, and the spool files after it are still published and removed.
func TestOutboxFlushGoesPastAnUnreadableFile(t *testing.T) {
	c := connect(t, testenv.NATS(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ob, err := bus.OpenOutbox(filepath.Join(t.TempDir(), "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	var spooled []string
	for i := range 3 {
		m, err := bus.Encode("intel.v1.listing.alpha", fmt.Sprintf("evt-%d", i), map[string]any{"n": i})
		if err != nil {
			t.Fatal(err)
		}
		path, err := ob.Spool([]bus.Message{m})
		if err != nil {
			t.Fatal(err)
		}
		spooled = append(spooled, path)
	}
	data, err := os.ReadFile(spooled[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spooled[0], data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := ob.Flush(ctx, c.Publisher(8, 0, 5*time.Second))
	if n != 2 || err == nil || !strings.Contains(err.Error(), spooled[0]) {
		t.Fatalf("Flush = %d, %v; want the 2 readable events published and an error naming %s", n, err, spooled[0])
	}
	left, _ := filepath.Glob(filepath.Join(ob.Dir(), "*"))
	if len(left) != 1 || left[0] != spooled[0] {
		t.Fatalf("outbox holds %v, want only the unreadable %s", left, spooled[0])
	}
	if kept, err := os.ReadFile(spooled[0]); err != nil || string(kept) != string(data[:len(data)/2]) {
		t.Fatalf("the unreadable file was changed: %q, %v", kept, err)
	}
}
