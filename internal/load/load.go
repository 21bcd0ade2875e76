// Package load moves events from the JetStream consumer into ClickHouse:
// fetch, decode, batch by size or interval, insert, and only then ack.
//
// Fetching and decoding run concurrently with inserting: while up to
// Options.Inserts batches are being inserted, the next one fills; a batch
// is acked only after ClickHouse accepted every row of it. A message that cannot be
// loaded goes to the dead-letter stream and the dead_letters table with the
// reason, and is then terminated. ClickHouse being down stops acking and
// retries with backoff, so the stream keeps every event until it is stored;
// a loader killed at any point leaves its unacked events to be redelivered,
// and their duplicates collapse by event_id.
//
// Most messages are envelopes, the events of one page (see
// event.OpenEnvelope): their events are decoded one by one into the batch,
// a bad one is dead-lettered alone and the others are loaded, and the
// envelope is acked once all its rows (and its bad events' dead letters)
// are stored. Batch sizes count events, not messages.
package load

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/warehouse"
)

// Writer stores a batch. Insert returns nil only when every row of the batch
// was accepted; on error nothing may be assumed stored and the batch is
// retried whole (duplicates collapse by event_id). It must not keep b.
type Writer interface {
	Insert(ctx context.Context, b *warehouse.Batch) error
}

// WriterFunc adapts a function to Writer, e.g. a *warehouse.DB's Insert.
type WriterFunc func(ctx context.Context, b *warehouse.Batch) error

// Insert calls f.
func (f WriterFunc) Insert(ctx context.Context, b *warehouse.Batch) error { return f(ctx, b) }

// DeadLetters receives messages the loader cannot load. Publish returns nil
// only when every message was stored with its reason; publishing a message
// again with the same id stores it once.
type DeadLetters interface {
	Publish(ctx context.Context, msgs []bus.Message) error
}

// DeadLetterTable records dead-lettered messages where analysts can query
// them. Record returns nil only when every row was stored; rows recorded
// twice collapse by (stream, stream sequence).
type DeadLetterTable interface {
	Record(ctx context.Context, rows []DeadLetter) error
}

// Acks publishes the JetStream acknowledgements of stored messages (and the
// "in progress" of held ones) to their reply subjects, as jetstream.Msg's
// Ack and InProgress do; a *nats.Conn is one. Acking by reply subject lets
// a batch let go of each message, with its headers, once it is decoded:
// it keeps the reply subject, and a listing's text is copied into the
// batch's own column chunks (see texts).
type Acks interface {
	Publish(subject string, data []byte) error
}

// Sinks are where a loader puts what it reads.
type Sinks struct {
	Events      Writer          // required: the event tables
	DeadLetters DeadLetters     // required: the dead-letter stream
	DeadTable   DeadLetterTable // optional: the dead_letters table
	Acks        Acks            // required: the connection acks go out on
	Images      ImageWriter     // optional: listing_images and image_escalations (images.go)
}

// Options tune batching.
type Options struct {
	BatchSize     int           // flush when this many messages are pending
	FlushInterval time.Duration // flush at least this often when anything is pending
	FetchMax      int           // messages (envelopes or single events) kept prefetched; at most 409, which bounds it to 128 MiB of envelopes
	// Inserts is how many batches may be inserting at once (default 2,
	// at most 4); each holds up to BatchSize events in memory.
	Inserts int
	// RetryMax caps the backoff between insert retries.
	RetryMax time.Duration
}

// Stats count what a loader did.
type Stats struct {
	Batches     int
	Loaded      int // events inserted and acked
	DeadLetters int // messages dead-lettered and terminated
	Retries     int // failed attempts at storing a batch
}

// Loader consumes events and writes them in batches. Run or RunUntilIdle
// may be called once.
type Loader struct {
	cons  jetstream.Consumer
	sinks Sinks
	opts  Options
	log   zerolog.Logger

	mu    sync.Mutex
	stats Stats
}

// New returns a loader reading cons into sinks.
func New(cons jetstream.Consumer, sinks Sinks, opts Options, log zerolog.Logger) *Loader {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 50000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 2 * time.Second
	}
	if opts.FetchMax <= 0 {
		opts.FetchMax = 200
	}
	if limit := maxPrefetchBytes / event.MaxEnvelope; opts.FetchMax > limit {
		// Messages are envelopes of up to event.MaxEnvelope bytes: a
		// prefetch counted in messages must stay bounded in bytes.
		log.Warn().Int("fetch_max", opts.FetchMax).Int("using", limit).
			Msg("fetch_max counts messages (envelopes of up to a page of events each); capped to bound the prefetch")
		opts.FetchMax = limit
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 30 * time.Second
	}
	if opts.Inserts <= 0 {
		opts.Inserts = 2
	}
	opts.Inserts = min(opts.Inserts, maxInserts)
	return &Loader{cons: cons, sinks: sinks, opts: opts, log: log}
}

// Stats returns what the loader has done so far; it is safe to call while
// the loader runs.
func (l *Loader) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

func (l *Loader) count(f func(*Stats)) {
	l.mu.Lock()
	f(&l.stats)
	l.mu.Unlock()
}

// Run loads until ctx is cancelled, then flushes what it holds (within a
// short deadline of its own) and returns nil. It returns an error when it
// cannot start pulling from the consumer, or when pulling ends before ctx
// does (the consumer was deleted, the connection closed); it then flushes
// what it holds first. Other failures (an insert, a fetch) are logged and
// retried.
func (l *Loader) Run(ctx context.Context) error {
	return l.loop(ctx, false)
}

// RunUntilIdle loads until the consumer has nothing pending and nothing
// unacknowledged and the last batch is flushed, then returns. The demo and
// one-shot loads use it.
func (l *Loader) RunUntilIdle(ctx context.Context) error {
	return l.loop(ctx, true)
}

// batch is what one insert stores and then acks.
type batch struct {
	ctx    context.Context // bounds the insert's retries
	rows   warehouse.Batch
	images imageRows // image and escalation events (images.go)
	texts  texts     // the strings of rows.Listings
	sc     scratch   // the lists of rows.Listings (and strings decoded with escapes)
	acks   []string  // reply subjects of the messages all of whose events are in rows, acked after the insert
	// held are envelopes some of whose events are dead-lettered: each is
	// acked once its rows are inserted and those events stored as dead
	// letters.
	held   []jetstream.Msg
	dead   []deadMsg // dead-lettered after the insert
	events int       // events in rows
	first  time.Time // arrival of the first message
}

// size counts what b holds: events to insert and events to dead-letter.
func (b *batch) size() int { return b.events + len(b.dead) }

// messages counts the messages b holds.
func (b *batch) messages() int {
	n := len(b.acks) + len(b.held)
	for _, d := range b.dead {
		if d.inner == nil {
			n++
		}
	}
	return n
}

// reset empties b for reuse, keeping its capacity and dropping its
// references to messages.
func (b *batch) reset() {
	clear(b.rows.Listings)
	clear(b.rows.Vendors)
	clear(b.rows.Captures)
	clear(b.rows.Runs)
	clear(b.rows.Posts)
	clear(b.rows.Threads)
	clear(b.acks)
	clear(b.held)
	clear(b.dead)
	b.texts.reset()
	b.sc.reset()
	*b = batch{
		texts:  b.texts,
		sc:     b.sc,
		images: b.images.cleared(),
		rows: warehouse.Batch{Listings: b.rows.Listings[:0], Vendors: b.rows.Vendors[:0],
			Captures: b.rows.Captures[:0], Runs: b.rows.Runs[:0], Posts: b.rows.Posts[:0], Threads: b.rows.Threads[:0]},
		acks: b.acks[:0],
		held: b.held[:0],
		dead: b.dead[:0],
	}
}

// deadMsg is a message, or one event of an envelope, that cannot be
// loaded.
type deadMsg struct {
	msg    jetstream.Msg
	reason error
	// inner is set for an event inside an envelope: msg is the envelope
	// (acked, not terminated, once its dead events are stored).
	inner *innerEvent
}

// maxPrefetchBytes bounds what the loader prefetches: FetchMax envelopes
// of the largest size, held in the iterator and in the channel it feeds.
const maxPrefetchBytes = 128 << 20

// maxInserts bounds Options.Inserts: each insert holds a batch.
const maxInserts = 4

// finalFlushTimeout bounds the flush after ctx ended.
const finalFlushTimeout = 15 * time.Second

func (l *Loader) loop(ctx context.Context, untilIdle bool) error {
	if l.sinks.Events == nil || l.sinks.DeadLetters == nil || l.sinks.Acks == nil {
		return errors.New("loader: the events writer, the dead-letter stream and the ack connection are all required")
	}
	// Unbuffered: opts.Inserts batches inserting, one filling. While one
	// insert waits for ClickHouse to write its part and run the
	// materialized views fed by its table, the next one is already sending.
	jobs := make(chan *batch)
	free := make(chan *batch, l.opts.Inserts+1)
	inserted := make(chan struct{})
	var inserters sync.WaitGroup
	for range l.opts.Inserts {
		inserters.Go(func() {
			for b := range jobs {
				l.store(b)
				b.reset()
				select {
				case free <- b:
				default:
				}
			}
		})
	}
	go func() {
		inserters.Wait()
		close(inserted)
	}()
	next := func() *batch {
		select {
		case b := <-free:
			return b
		default:
			// Listings are nearly all of the traffic: room for a full batch
			// of them up front, so filling it never copies it.
			return &batch{rows: warehouse.Batch{Listings: make([]event.Listing, 0, l.opts.BatchSize)},
				acks: make([]string, 0, l.opts.BatchSize)}
		}
	}

	keepAlive := l.keepAliveInterval()
	in, stopFetch, pullErr, err := l.receive()
	if err != nil {
		close(jobs)
		<-inserted
		return err
	}
	defer stopFetch()

	cur := next()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	lastMsg := time.Now()
	var ended error // why pulling ended before ctx did
loop:
	for {
		switch {
		case cur.size() > 0:
			timer.Reset(time.Until(cur.first.Add(l.opts.FlushInterval)))
		case untilIdle:
			timer.Reset(idlePoll)
		default:
			timer.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			break loop
		case m, ok := <-in:
			if !ok {
				if ctx.Err() == nil {
					ended = pullErr()
				}
				break loop
			}
			lastMsg = time.Now()
			l.add(cur, m)
			// Take what is already there without going back to select; a
			// closed channel is seen by the select above on the next turn.
		drain:
			for cur.size() < l.opts.BatchSize {
				select {
				case m, ok := <-in:
					if !ok {
						break drain
					}
					l.add(cur, m)
				default:
					break drain
				}
			}
		case <-timer.C:
		}
		if cur.size() > 0 && (cur.size() >= l.opts.BatchSize || time.Since(cur.first) >= l.opts.FlushInterval ||
			(untilIdle && time.Since(lastMsg) >= idlePoll)) {
			cur.ctx = ctx
			if !l.handOff(ctx, jobs, cur, keepAlive) {
				break loop
			}
			cur = next()
			continue
		}
		if untilIdle && cur.size() == 0 && time.Since(lastMsg) >= idlePoll {
			idle, err := l.idle(ctx)
			if err != nil {
				l.log.Warn().Err(err).Msg("reading consumer state")
			} else if idle {
				break loop
			}
		}
	}
	stopFetch()
	// What is still held gets one last insert under a deadline of its own;
	// what it cannot store stays unacked and is redelivered.
	if cur.size() > 0 {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
		defer cancel()
		cur.ctx = fctx
		select {
		case jobs <- cur:
		case <-fctx.Done():
		}
	}
	close(jobs)
	<-inserted
	if ended != nil {
		l.log.Error().Err(ended).Msg("loader stopped: pulling from the consumer ended")
	}
	return ended
}

// add decodes one message into b, or sets it aside as a dead letter.
func (l *Loader) add(b *batch, msg jetstream.Msg) {
	if b.size() == 0 {
		b.first = time.Now()
	}
	if event.IsEnvelopeSubject(msg.Subject()) {
		l.addEnvelope(b, msg)
		return
	}
	if l.addImage(b, msg) {
		return
	}
	listings := len(b.rows.Listings)
	if err := decodeFrom(&b.rows, &b.sc, origin{subject: msg.Subject()}, msg.Data()); err != nil {
		b.dead = append(b.dead, deadMsg{msg: msg, reason: err})
		return
	}
	if len(b.rows.Listings) > listings {
		b.texts.own(&b.rows.Listings[listings])
	}
	b.events++
	b.acks = append(b.acks, msg.Reply())
}

// store inserts b, retrying with backoff while b.ctx lives, and acks every
// message of it only after the insert succeeded; then it dead-letters b's
// bad messages and events, and acks the envelopes that held bad events
// once those are stored. When b.ctx ends first, b's messages stay unacked,
// to be redelivered.
func (l *Loader) store(b *batch) {
	start := time.Now()
	if b.events > 0 {
		if err := l.retry(b, func(ctx context.Context) error {
			return errors.Join(l.sinks.Events.Insert(ctx, &b.rows), l.insertImages(ctx, b))
		}); err != nil {
			return
		}
		failed, firstErr := 0, error(nil)
		for _, reply := range b.acks {
			if err := l.sinks.Acks.Publish(reply, ackBody); err != nil {
				failed++
				firstErr = cmp.Or(firstErr, err)
			}
		}
		if failed > 0 {
			// The rows are stored; the redelivered messages collapse by event_id.
			l.log.Warn().Err(firstErr).Int("messages", failed).Int("events", b.events).
				Msg("acking stored messages failed; they will be redelivered and collapse by event_id")
		}
		l.count(func(s *Stats) { s.Batches++; s.Loaded += b.events })
		l.log.Info().Int("events", b.events).Int("messages", b.messages()).Int("listings", len(b.rows.Listings)).
			Int("vendors", len(b.rows.Vendors)).Int("captures", len(b.rows.Captures)).
			Int("runs", len(b.rows.Runs)).Int("posts", len(b.rows.Posts)).Int("threads", len(b.rows.Threads)).
			Dur("took", time.Since(start)).Msg("batch loaded")
	}
	if len(b.dead) > 0 {
		l.deadLetter(b)
	}
}

// retry runs op until it succeeds or b.ctx ends, backing off between
// attempts and keeping b's messages from being redelivered meanwhile.
func (l *Loader) retry(b *batch, op func(context.Context) error) error {
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := op(b.ctx)
		if err == nil {
			return nil
		}
		if b.ctx.Err() != nil {
			l.log.Warn().Err(err).Int("events", b.events).Msg("insert abandoned; events stay in the stream for redelivery")
			return b.ctx.Err()
		}
		l.count(func(s *Stats) { s.Retries++ })
		l.log.Warn().Err(err).Int("events", b.events).Int("attempt", attempt).
			Dur("backoff", backoff).Msg("insert failed; holding acks and retrying")
		l.inProgress(b)
		sleep(b.ctx, backoff+time.Duration(rand.Int64N(int64(backoff/2))))
		backoff = min(backoff*2, l.opts.RetryMax)
	}
}

// deadLetter stores b's bad messages and events on the dead-letter stream
// and in the dead-letter table, with their reasons, and then terminates the
// bad messages on the event stream and acks the envelopes that held the
// bad events (their other events are stored). When either store fails they
// are left for redelivery (and dead-lettered again then): never dropped.
func (l *Loader) deadLetter(b *batch) {
	out := make([]bus.Message, len(b.dead))
	rows := make([]DeadLetter, len(b.dead))
	for i, d := range b.dead {
		payload := d.msg.Data()
		if d.inner != nil {
			rows[i] = newInnerDeadLetter(d.msg, d.inner, d.reason)
			payload = d.inner.line
		} else {
			rows[i] = newDeadLetter(d.msg, d.reason)
		}
		out[i] = rows[i].message(payload)
		l.log.Warn().Str("subject", d.msg.Subject()).Uint64("stream_seq", rows[i].StreamSeq).
			Int("envelope_event", rows[i].EnvelopeEvent).Str("reason", rows[i].Reason).Msg("dead-lettering message")
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	err := l.sinks.DeadLetters.Publish(ctx, out)
	if err == nil && l.sinks.DeadTable != nil {
		err = l.sinks.DeadTable.Record(ctx, rows)
	}
	if err != nil {
		l.log.Error().Err(err).Int("messages", len(b.dead)).Msg("storing dead letters failed; leaving them for redelivery")
		for _, d := range b.dead {
			if d.inner == nil {
				_ = d.msg.NakWithDelay(5 * time.Second)
			}
		}
		for _, m := range b.held {
			_ = m.NakWithDelay(5 * time.Second)
		}
		return
	}
	for _, d := range b.dead {
		if d.inner != nil {
			continue
		}
		if err := d.msg.Term(); err != nil {
			l.log.Warn().Err(err).Msg("terminating dead-lettered message")
		}
	}
	for _, m := range b.held {
		if err := m.Ack(); err != nil {
			// Its rows and dead letters are stored; redelivered, they collapse.
			l.log.Warn().Err(err).Msg("acking an envelope whose bad events were dead-lettered")
		}
	}
	l.count(func(s *Stats) { s.DeadLetters += len(b.dead) })
}

func (l *Loader) idle(ctx context.Context) (bool, error) {
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := l.cons.Info(ictx)
	if err != nil {
		return false, err
	}
	return info.NumPending == 0 && info.NumAckPending == 0, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// WaitIdle returns when cons has no message pending delivery and none
// delivered but unacknowledged — everything published so far is stored —
// polling every poll, or when ctx ends.
func WaitIdle(ctx context.Context, cons jetstream.Consumer, poll time.Duration) error {
	var (
		last    *jetstream.ConsumerInfo
		lastErr error
	)
	for {
		// Each request is bounded on its own: during a leader election one
		// can go unanswered, and the next one reaches the new leader.
		ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
		info, err := cons.Info(ictx)
		cancel()
		if err == nil {
			if info.NumPending == 0 && info.NumAckPending == 0 {
				return nil
			}
			last = info
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				return fmt.Errorf("waiting for the loader: %w (last error: %v)", ctx.Err(), lastErr)
			}
			return fmt.Errorf("waiting for the loader: %w (%d pending, %d unacked; last error: %v)",
				ctx.Err(), last.NumPending, last.NumAckPending, lastErr)
		case <-time.After(poll):
		}
	}
}
