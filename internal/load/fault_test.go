package load_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/loadtest"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func connectBus(t testing.TB, url string) *bus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := bus.Connect(ctx, bus.Options{URL: url, Stream: "INTEL", MaxAge: 24 * time.Hour, DuplicateWindow: 2 * time.Hour}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func publish(t testing.TB, c *bus.Conn, msgs []bus.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.Publisher(4096, 3, time.Minute).Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
}

func consumerInfo(t testing.TB, cons jetstream.Consumer) *jetstream.ConsumerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// newLoader builds a loader over cons writing into db, dead letters going
// to c's dead-letter stream and db's dead_letters table, as stack.Loader
// wires one.
func newLoader(c *bus.Conn, db *warehouse.DB, cons jetstream.Consumer, opts load.Options, log zerolog.Logger) *load.Loader {
	return load.New(cons, load.Sinks{
		Events:      load.WriterFunc(db.Insert),
		DeadLetters: c.Publisher(64, 3, 10*time.Second),
		DeadTable:   load.NewTable(db.Conn()),
		Acks:        c.NC,
	}, opts, log)
}

// TestLoaderKilledMidLoad kills the loader, a process of its own, with
// SIGKILL at ten random points of a load of 200k events, published as
// collectors do, in envelopes of up to 50, then lets a last one finish:
// every event is in ClickHouse exactly once after collapsing.
func TestLoaderKilledMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	const n, kills = 200_000, 10
	ls := loadtest.Listings(n, 7)
	msgs := envelopes(t, ls, 50)
	ids := loadtest.IDs(ls)
	natsURL, db, addr := testenv.NATS(t), testenv.ClickHouse(t), testenv.ClickHouseAddr(t)
	c := connectBus(t, natsURL)
	dir := t.TempDir()
	lc := loadtest.LoaderConfig{
		NATSURL: natsURL, ClickHouseDSN: "clickhouse://" + addr + "/" + db.Database(), Database: db.Database(),
		BatchSize: 10_000, FlushInterval: 500 * time.Millisecond, MaxAckPending: 20_000, AckWait: 3 * time.Second,
		FetchMax: 100,
	}
	cfgPath, err := loadtest.WriteConfig(dir, lc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cons, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: lc.MaxAckPending, AckWait: lc.AckWait})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, c, msgs)

	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 1))
	t.Logf("kill points from seed %d", seed)
	var logs fileLog
	defer logs.close()
	stderr := logs.open(t, dir)
	for k := 1; k <= kills; k++ {
		// Kill once the loader has been handed messages up to a point
		// spread over the load, then a random moment later: while it
		// fetches, decodes, inserts or acks.
		target := uint64(len(msgs) * k / (kills + 2))
		child, err := loadtest.StartLoader(cfgPath, false, stderr)
		if err != nil {
			t.Fatal(err)
		}
		for consumerInfo(t, cons).Delivered.Stream < target && ctx.Err() == nil {
			select {
			case <-child.Exited():
				t.Fatalf("loader exited by itself before kill %d; log:\n%s", k, logs.tail(4000))
			case <-time.After(20 * time.Millisecond):
			}
		}
		time.Sleep(time.Duration(r.IntN(400)) * time.Millisecond)
		child.Kill()
		info := consumerInfo(t, cons)
		t.Logf("kill %d: delivered up to %d, acked up to %d, %d unacked", k, info.Delivered.Stream, info.AckFloor.Stream, info.NumAckPending)
	}
	child, err := loadtest.StartLoader(cfgPath, true, stderr)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := child.Wait(ctx)
	if err != nil {
		t.Fatalf("last loader: %v; log:\n%s", err, logs.tail(4000))
	}
	landed, err := loadtest.CheckLanded(ctx, db.Conn(), "listing_obs", ids)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("last loader loaded %d; %s", rep.Loaded, landed)
	if !landed.ExactlyOnce() {
		t.Fatalf("not exactly once after %d kills: %s", kills, landed)
	}
}

// TestClickHouseDownDuringLoad stops ClickHouse for 30 s in the middle of a
// load: the loader acks nothing while it is down, retries with backoff,
// carries on by itself once the server is back on the same address, and
// every event lands exactly once.
func TestClickHouseDownDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	const n, downFor = 60_000, 30 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	dir := t.TempDir()
	local, err := warehouse.StartLocal(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	var restarted *loadtest.Server
	t.Cleanup(func() {
		if restarted != nil {
			restarted.Stop()
		}
		_ = local.Stop(context.Background())
	})
	db, err := warehouse.Open(ctx, local.DSN("faults"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	// One source, so that envelope k (stream sequence k+1) holds listings
	// per·k to per·k+per-1 in order.
	const per = 50
	ls := loadtest.Listings(n, 11)
	for i := range ls {
		ls[i].Source = "nebula"
		ls[i].Finalize()
	}
	msgs := envelopes(t, ls, per)
	c := connectBus(t, testenv.NATS(t))
	publish(t, c, msgs)
	cons, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 600, AckWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ld := newLoader(c, db, cons, load.Options{BatchSize: 5000, FlushInterval: 200 * time.Millisecond, FetchMax: 20, RetryMax: 2 * time.Second}, log)
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ld.Run(lctx) }()
	defer func() { stop(); <-done }()

	for consumerInfo(t, cons).AckFloor.Stream < uint64(len(msgs)/6) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := local.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Inserts under way when it stopped fail; from then on nothing is acked.
	time.Sleep(5 * time.Second)
	before := consumerInfo(t, cons)
	time.Sleep(downFor - 5*time.Second)
	after := consumerInfo(t, cons)
	if after.AckFloor.Stream != before.AckFloor.Stream || after.NumAckPending < before.NumAckPending {
		t.Fatalf("acks went on while ClickHouse was down: ack floor %d -> %d, unacked %d -> %d",
			before.AckFloor.Stream, after.AckFloor.Stream, before.NumAckPending, after.NumAckPending)
	}
	if after.AckFloor.Stream >= uint64(len(msgs)) || ld.Stats().Retries == 0 {
		t.Fatalf("the outage hit no insert: ack floor %d of %d, %d retries", after.AckFloor.Stream, len(msgs), ld.Stats().Retries)
	}
	// The managed server admits only its users: ping as the writer.
	pw, err := os.ReadFile(local.PasswordFile(warehouse.WriterUser))
	if err != nil {
		t.Fatal(err)
	}
	auth := clickhouse.Auth{Username: warehouse.WriterUser, Password: strings.TrimSpace(string(pw))}
	if restarted, err = loadtest.Restart(ctx, dir, local.Addr(), auth); err != nil {
		t.Fatal(err)
	}
	// Everything acked before and during the outage had been inserted:
	// envelope k is stream sequence k+1, its listing i has listing_id
	// 100000+i (six digits, so they compare as numbers do).
	var stored uint64
	acked := after.AckFloor.Stream * per
	if err := db.Conn().QueryRow(ctx, fmt.Sprintf("SELECT uniqExact(event_id) FROM listing_obs WHERE listing_id < '%d'",
		100000+acked)).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != acked {
		t.Fatalf("%d events acked (%d envelopes) but %d of them stored", acked, after.AckFloor.Stream, stored)
	}
	if err := load.WaitIdle(ctx, cons, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	landed, err := loadtest.CheckLanded(ctx, db.Conn(), "listing_obs", loadtest.IDs(ls))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("acked %d envelopes before the outage, %d retries; %s", after.AckFloor.Stream, ld.Stats().Retries, landed)
	if !landed.ExactlyOnce() {
		t.Fatalf("not exactly once: %s", landed)
	}
}

var captureHash = regexp.MustCompile(`"capture_sha256":"[0-9a-f]{64}"`)

// poison is a message the loader cannot load and the reason it must give.
type poison struct {
	name   string
	data   string
	reason string
}

// TestPoisonMessagesDeadLettered sends bad messages among good ones: each
// bad one lands on the dead-letter stream and in the dead_letters table
// with its reason, the loader goes on, and the good ones load — a v1
// listing carrying a field this build does not know among them (schema
// evolution), while a v2 listing is dead-lettered as an unknown schema.
func TestPoisonMessagesDeadLettered(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := testenv.ClickHouse(t)
	c := connectBus(t, testenv.NATS(t))
	ls := loadtest.Listings(101, 3)
	good, err := loadtest.Messages(ls)
	if err != nil {
		t.Fatal(err)
	}
	v1 := string(good[0].Data)
	// A later v1 added a field: a loader that does not know it still loads.
	extra := good[100]
	extra.Data = []byte(strings.Replace(string(extra.Data), `{"schema"`, `{"seller_rank":{"tier":3,"since":"2025-01-01"},"schema"`, 1))
	good[100] = extra
	poisons := []poison{
		{"invalid json", `{"schema":"counternet.listing.v1","event_id":`, "invalid event: decoding header"},
		{"unknown schema version", strings.Replace(v1, "counternet.listing.v1", "counternet.listing.v2", 1), `unknown schema "counternet.listing.v2"`},
		{"wrong field type", strings.Replace(v1, `"title":"`, `"title":42,"x":"`, 1), "cannot unmarshal number into Go struct field"},
		{"oversize", strings.Replace(v1, `"title":`, `"padding":"`+strings.Repeat("x", 300<<10)+`","title":`, 1), "byte limit"},
		// Well-formed JSON of a valid listing, but not of the source its
		// subject names, or with a capture hash that is a path.
		{"subject names another source", v1, `arrived on subject "intel.v1.listing.poison" but its type and source make`},
		{"capture hash a path", captureHash.ReplaceAllString(v1, `"capture_sha256":"../../etc/passwd"`), `capture_sha256 "../../etc/passwd" is not 64 lowercase hex digits`},
	}
	var msgs []bus.Message
	for i, p := range poisons {
		msgs = append(msgs, good[i*10:i*10+10]...)
		msgs = append(msgs, bus.Message{Subject: "intel.v1.listing.poison", ID: "poison-" + p.name, Data: []byte(p.data)})
	}
	msgs = append(msgs, good[len(poisons)*10:]...)
	publish(t, c, msgs)

	cons, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 1000, AckWait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ld := newLoader(c, db, cons, load.Options{BatchSize: 30, FlushInterval: 100 * time.Millisecond, FetchMax: 10},
		zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel))
	if err := ld.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := ld.Stats(); st.DeadLetters != len(poisons) || st.Loaded != len(good) {
		t.Fatalf("stats %+v, want %d dead letters and %d loaded", st, len(poisons), len(good))
	}
	landed, err := loadtest.CheckLanded(ctx, db.Conn(), "listing_obs", loadtest.IDs(ls))
	if err != nil || !landed.ExactlyOnce() {
		t.Fatalf("good events: %v %s", err, landed)
	}

	// The dead-letter stream, as `counternet dead-letters` reads it.
	dls, err := load.ReadDeadLetters(ctx, c.JS, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != len(poisons) {
		t.Fatalf("%d dead letters on the stream, want %d: %+v", len(dls), len(poisons), dls)
	}
	// Batches insert concurrently, so their dead letters reach the stream
	// in any order: compare them in the order of the messages they were.
	sortDeadLetters(dls)
	for i, p := range poisons {
		d := dls[i]
		if !strings.Contains(d.Reason, p.reason) || d.Subject != "intel.v1.listing.poison" || d.Stream != "INTEL" || d.StreamSeq == 0 {
			t.Errorf("%s: dead letter %+v, want reason with %q", p.name, d, p.reason)
		}
		if d.Bytes != len(p.data) {
			t.Errorf("%s: dead letter says %d bytes, message had %d", p.name, d.Bytes, len(p.data))
		}
		if got, err := load.ReadDeadLetter(ctx, c.JS, d.DeadSeq); err != nil || string(got.Payload) != string(d.Payload) {
			t.Errorf("%s: ReadDeadLetter(%d) = %v", p.name, d.DeadSeq, err)
		}
	}

	// The dead_letters table.
	rows, err := db.Conn().Query(ctx, "SELECT subject, reason, stream_seq, payload_bytes, length(payload), payload_truncated FROM dead_letters FINAL ORDER BY stream_seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var (
			subject, reason string
			seq, size, kept uint64
			truncated       uint8
		)
		if err := rows.Scan(&subject, &reason, &seq, &size, &kept, &truncated); err != nil {
			t.Fatal(err)
		}
		if i >= len(poisons) {
			continue
		}
		p := poisons[i]
		if subject != "intel.v1.listing.poison" || !strings.Contains(reason, p.reason) || seq != dls[i].StreamSeq ||
			size != uint64(len(p.data)) || kept > load.MaxDeadRowPayload || (truncated == 1) != (kept < size) {
			t.Errorf("%s: dead_letters row %q %q seq %d, %d bytes (%d kept, truncated %d)", p.name, subject, reason, seq, size, kept, truncated)
		}
	}
	if i != len(poisons) {
		t.Fatalf("dead_letters holds %d rows, want %d", i, len(poisons))
	}
}

// TestLoaderReportsEndOfPulling deletes the loader's consumer, then closes
// its connection, under a running loader: after loading every event it was
// given, Run returns an error saying why pulling ended, instead of nil as
// if it had been stopped.
func TestLoaderReportsEndOfPulling(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := testenv.ClickHouse(t)
	url := testenv.NATS(t)
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	ls := loadtest.Listings(200, 5)
	msgs, err := loadtest.Messages(ls)
	if err != nil {
		t.Fatal(err)
	}
	c := connectBus(t, url)
	publish(t, c, msgs)
	for _, tc := range []struct {
		name string
		end  func(c *bus.Conn) error
		want error
	}{
		{"consumer deleted", func(c *bus.Conn) error { return c.JS.DeleteConsumer(ctx, "INTEL", "loader") }, jetstream.ErrConsumerDeleted},
		{"connection closed", func(c *bus.Conn) error { c.NC.Close(); return nil }, jetstream.ErrMsgIteratorClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := connectBus(t, url)
			cons, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 1000, AckWait: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ld := newLoader(c, db, cons, load.Options{BatchSize: 50, FlushInterval: 100 * time.Millisecond, FetchMax: 20}, log)
			done := make(chan error, 1)
			go func() { done <- ld.Run(ctx) }()
			if err := load.WaitIdle(ctx, cons, 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if err := tc.end(c); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) {
					t.Fatalf("Run = %v, want an error wrapping %v", err, tc.want)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Run went on for 30 s after pulling ended")
			}
			landed, err := loadtest.CheckLanded(ctx, db.Conn(), "listing_obs", loadtest.IDs(ls))
			if err != nil || !landed.ExactlyOnce() {
				t.Fatalf("events: %v %s", err, landed)
			}
		})
	}
}
