package load_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/loadtest"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// envelopes packs listings as collectors publish them: per source, per
// events of a page each, every envelope with its id as Nats-Msg-Id.
func envelopes(tb testing.TB, ls []event.Listing, per int) []bus.Message {
	tb.Helper()
	bySource := map[string][]event.Encoded{}
	var order []string
	for i := range ls {
		data, err := json.Marshal(&ls[i])
		if err != nil {
			tb.Fatal(err)
		}
		s := ls[i].Source
		if _, ok := bySource[s]; !ok {
			order = append(order, s)
		}
		bySource[s] = append(bySource[s], event.Encoded{ID: ls[i].EventID, Data: data})
	}
	var msgs []bus.Message
	for _, s := range order {
		evs := bySource[s]
		for start := 0; start < len(evs); start += per {
			msgs = append(msgs, pack(tb, s, evs[start:min(start+per, len(evs))])...)
		}
	}
	return msgs
}

func pack(tb testing.TB, source string, evs []event.Encoded) []bus.Message {
	tb.Helper()
	envs, err := event.Pack(source, "", source+"@3", evs)
	if err != nil {
		tb.Fatal(err)
	}
	msgs := make([]bus.Message, len(envs))
	for i, e := range envs {
		msgs[i] = bus.Message{Subject: e.Subject, ID: e.Header.EnvelopeID, Data: e.Data}
	}
	return msgs
}

// TestEnvelopePoisonEventDeadLettered loads envelopes among single
// messages. A bad event inside an envelope is dead-lettered alone, with its
// reason, its envelope and its position, and the envelope's other events
// load; an envelope whose header is wrong is dead-lettered whole; single
// events on the old per-event subjects still load. The first insert is
// made to fail after storing its rows, so the batch is stored twice: every
// good event is still in ClickHouse exactly once, and nothing is left
// unacknowledged.
func TestEnvelopePoisonEventDeadLettered(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := testenv.ClickHouse(t)
	c := connectBus(t, testenv.NATS(t))

	ls := loadtest.Listings(60, 11)
	for i := range ls { // one source: one page's worth per envelope
		ls[i].Source, ls[i].Pipeline = "nebula", "nebula@3"
		ls[i].Finalize()
	}
	enc := func(l event.Listing) event.Encoded {
		data, err := json.Marshal(&l)
		if err != nil {
			t.Fatal(err)
		}
		return event.Encoded{ID: l.EventID, Data: data}
	}
	other := ls[5]
	other.Source = "harbor"
	other.Finalize()
	badHash := ls[6]
	badHash.CaptureSHA256 = "../../etc/passwd"
	badHash.Finalize()
	v2 := enc(ls[7])
	v2.Data = []byte(strings.Replace(string(v2.Data), "counternet.listing.v1", "counternet.listing.v2", 1))
	poisons := []struct {
		ev     event.Encoded
		reason string
	}{
		{enc(other), `arrived on subject "intel.v1.listing.nebula" but its type and source make "intel.v1.listing.harbor"`},
		{enc(badHash), "capture_sha256"},
		{v2, `unknown schema "counternet.listing.v2"`},
		{event.Encoded{ID: "x", Data: []byte(`{"schema":"counternet.listing.v1","event_id":`)}, "decoding header"},
	}
	var (
		msgs []bus.Message
		good []string
	)
	// Envelopes of ten events, the first four with a poison in the middle.
	for e := 0; e < 4; e++ {
		var evs []event.Encoded
		for i := e * 10; i < e*10+10; i++ {
			if i == e*10+5 {
				evs = append(evs, poisons[e].ev)
				continue
			}
			evs = append(evs, enc(ls[i]))
			good = append(good, ls[i].EventID)
		}
		msgs = append(msgs, pack(t, "nebula", evs)...)
	}
	// Single events on the per-event subject, as before envelopes.
	single, err := loadtest.Messages(ls[40:50])
	if err != nil {
		t.Fatal(err)
	}
	msgs = append(msgs, single...)
	for _, l := range ls[40:50] {
		good = append(good, l.EventID)
	}
	// A clean envelope, and one on another source's subject (dead whole).
	var clean []event.Encoded
	for _, l := range ls[50:58] {
		clean = append(clean, enc(l))
		good = append(good, l.EventID)
	}
	msgs = append(msgs, pack(t, "nebula", clean)...)
	wrong := pack(t, "nebula", []event.Encoded{enc(ls[58]), enc(ls[59])})[0]
	wrong.Subject = "intel.v1.envelope.harbor"
	msgs = append(msgs, wrong)
	publish(t, c, msgs)

	cons, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 1000, AckWait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var failedOnce atomic.Bool
	ld := load.New(cons, load.Sinks{
		Events: load.WriterFunc(func(ctx context.Context, b *warehouse.Batch) error {
			if err := db.Insert(ctx, b); err != nil {
				return err
			}
			if failedOnce.CompareAndSwap(false, true) {
				return errors.New("stored, but reported as failed: the batch goes again")
			}
			return nil
		}),
		DeadLetters: c.Publisher(64, 3, 10*time.Second),
		DeadTable:   load.NewTable(db.Conn()),
		Acks:        c.NC,
	}, load.Options{BatchSize: 25, FlushInterval: 100 * time.Millisecond, FetchMax: 4, RetryMax: 200 * time.Millisecond},
		zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel))
	if err := ld.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := ld.Stats(); st.DeadLetters != len(poisons)+1 || st.Loaded != len(good) || st.Retries != 1 {
		t.Fatalf("stats %+v, want %d dead letters, %d loaded, 1 retry", st, len(poisons)+1, len(good))
	}
	landed, err := loadtest.CheckLanded(ctx, db.Conn(), "listing_obs", good)
	if err != nil || !landed.ExactlyOnce() {
		t.Fatalf("good events: %v %s", err, landed)
	}
	info := consumerInfo(t, cons)
	if info.NumAckPending != 0 || info.NumPending != 0 {
		t.Fatalf("consumer left %d pending, %d unacked", info.NumPending, info.NumAckPending)
	}

	dls, err := load.ReadDeadLetters(ctx, c.JS, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != len(poisons)+1 {
		t.Fatalf("%d dead letters, want %d: %+v", len(dls), len(poisons)+1, dls)
	}
	// Batches insert concurrently, so their dead letters reach the stream
	// in any order: compare them in the order of the messages they were.
	sortDeadLetters(dls)
	for i, p := range poisons {
		d := dls[i]
		if !strings.Contains(d.Reason, p.reason) || d.EnvelopeEvent != 6 || d.Envelope == "" ||
			d.Subject != "intel.v1.envelope.nebula" || string(d.Payload) != string(p.ev.Data) {
			t.Errorf("poison %d: dead letter %+v (payload %.80s), want reason with %q", i, d, d.Payload, p.reason)
		}
		if !strings.Contains(d.Reason, "event 6 of envelope "+d.Envelope) {
			t.Errorf("poison %d: reason %q does not name the event's place", i, d.Reason)
		}
	}
	if d := dls[len(poisons)]; d.EnvelopeEvent != 0 || d.Subject != "intel.v1.envelope.harbor" ||
		!strings.Contains(d.Reason, "its source makes") || string(d.Payload) != string(wrong.Data) {
		t.Errorf("wrong-subject envelope: dead letter %+v", d)
	}
	var rows uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM dead_letter_events FINAL").Scan(&rows); err != nil || rows != uint64(len(dls)) {
		t.Errorf("dead_letter_events holds %d rows (%v), want %d", rows, err, len(dls))
	}
}

// TestDeadLetterTableKeepsEachEventOfAnEnvelope records two bad events of
// one envelope (one stream sequence) and a message dead-lettered whole, all
// twice as a redelivery would: after merging, dead_letter_events holds each
// of the three once, the two events apart by their position in the
// envelope, and dead_letters (keyed by the message alone) still gets rows.
func TestDeadLetterTableKeepsEachEventOfAnEnvelope(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := testenv.ClickHouse(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := []load.DeadLetter{
		{Stream: "INTEL", StreamSeq: 7, Subject: "intel.v1.envelope.nebula", Reason: "event 2 of envelope e1: bad",
			ReceivedAt: at, Payload: []byte(`{"a":1}`), Bytes: 7, Envelope: "e1", EnvelopeEvent: 2},
		{Stream: "INTEL", StreamSeq: 7, Subject: "intel.v1.envelope.nebula", Reason: "event 4 of envelope e1: bad",
			ReceivedAt: at, Payload: []byte(`{"a":2}`), Bytes: 7, Envelope: "e1", EnvelopeEvent: 4},
		{Stream: "INTEL", StreamSeq: 8, Subject: "intel.v1.envelope.harbor", Reason: "wrong subject",
			ReceivedAt: at, Payload: []byte(`{}`), Bytes: 2},
	}
	tbl := load.NewTable(db.Conn())
	for range 2 {
		if err := tbl.Record(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"dead_letters", "dead_letter_events"} {
		if err := db.Conn().Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	var legacy uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM dead_letters").Scan(&legacy); err != nil || legacy != 2 {
		t.Errorf("dead_letters holds %d rows after merging (%v), want 2 (one per message)", legacy, err)
	}
	q, err := db.Conn().Query(ctx, "SELECT stream_seq, envelope_event, reason FROM dead_letter_events ORDER BY stream_seq, envelope_event")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var got []string
	for q.Next() {
		var (
			seq    uint64
			ev     uint32
			reason string
		)
		if err := q.Scan(&seq, &ev, &reason); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d/%d %s", seq, ev, reason))
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"7/2 event 2 of envelope e1: bad", "7/4 event 4 of envelope e1: bad", "8/0 wrong subject"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("dead_letter_events after merging:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// sortDeadLetters orders dead letters by the message they were (stream
// sequence) and their place in it.
func sortDeadLetters(dls []load.DeadLetter) {
	slices.SortFunc(dls, func(a, b load.DeadLetter) int {
		return cmp.Or(cmp.Compare(a.StreamSeq, b.StreamSeq), cmp.Compare(a.EnvelopeEvent, b.EnvelopeEvent))
	})
}
