package bus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/loadtest"
	"github.com/counternet/counternet/internal/testenv"
)

// TestOutboxKeepsEnvelopes spools envelopes as a run does when the bus
// does not acknowledge them (a page of 3000 listings, in parts), flushes
// them, and finds each on the stream once, byte for byte, every event
// inside it; flushing the same envelopes again stores nothing new.
func TestOutboxKeepsEnvelopes(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	c := connect(t, testenv.NATS(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ls := loadtest.Listings(3000, 9)
	evs := make([]event.Encoded, len(ls))
	for i := range ls {
		ls[i].Source = "alpha"
		ls[i].Finalize()
		data, err := json.Marshal(&ls[i])
		if err != nil {
			t.Fatal(err)
		}
		evs[i] = event.Encoded{ID: ls[i].EventID, Data: data}
	}
	envs, err := event.Pack("alpha", "", "alpha@1", evs)
	if err != nil || len(envs) < 2 {
		t.Fatalf("Pack = %d envelopes, %v", len(envs), err)
	}
	msgs := make([]bus.Message, len(envs))
	for i, e := range envs {
		msgs[i] = bus.Message{Subject: e.Subject, ID: e.Header.EnvelopeID, Data: e.Data}
	}
	ob, err := bus.OpenOutbox(filepath.Join(t.TempDir(), "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := ob.Spool(msgs); err != nil {
			t.Fatal(err)
		}
		if n, err := ob.Pending(); err != nil || n != len(ls) {
			t.Fatalf("Pending = %d, %v; want %d events", n, err, len(ls))
		}
		if n, err := ob.Flush(ctx, c.Publisher(64, 1, 10*time.Second)); err != nil || n != len(ls) {
			t.Fatalf("Flush = %d, %v; want %d events", n, err, len(ls))
		}
	}
	st, err := c.JS.Stream(ctx, "INTEL")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(msgs)) {
		t.Fatalf("stream holds %d messages, want the %d envelopes once", info.State.Msgs, len(msgs))
	}
	seen := 0
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		i := int(seq - info.State.FirstSeq)
		if !bytes.Equal(m.Data, msgs[i].Data) || m.Header.Get("Nats-Msg-Id") != msgs[i].ID {
			t.Fatalf("envelope %d changed on its way through the outbox", i)
		}
		ds, err := event.DecodeMessage(m.Subject, m.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Listing.EventID != ls[seen].EventID {
				t.Fatalf("event %d is %s, want %s", seen, d.Listing.EventID, ls[seen].EventID)
			}
			seen++
		}
	}
	if seen != len(ls) {
		t.Fatalf("%d events in the envelopes, want %d", seen, len(ls))
	}
}
