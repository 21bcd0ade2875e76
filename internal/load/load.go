// Package load moves events from the JetStream consumer into ClickHouse:
// fetch, decode, batch by size or interval, insert, and only then ack.
// A message that cannot be loaded goes to the dead-letter stream with the
// reason; ClickHouse being down stops acking and retries with backoff, so the
// stream keeps every event until it is stored.
package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/warehouse"
)

// Writer stores a batch. Insert returns nil only when every row of the batch
// was accepted; on error nothing may be assumed stored and the batch is
// retried whole (duplicates collapse by event_id).
type Writer interface {
	Insert(ctx context.Context, b *warehouse.Batch) error
}

// DeadLetters receives messages the loader cannot load. Publish returns nil
// only when the message was stored with its reason.
type DeadLetters interface {
	Publish(ctx context.Context, msgs []bus.Message) error
}

// Options tune batching.
type Options struct {
	BatchSize     int           // flush when this many events are pending
	FlushInterval time.Duration // flush at least this often when anything is pending
	FetchMax      int           // messages asked for per pull request
	// RetryMax caps the backoff between insert retries.
	RetryMax time.Duration
}

// Stats count what a loader did.
type Stats struct {
	Batches     int
	Loaded      int // events inserted and acked
	DeadLetters int
	Retries     int
}

// Loader consumes events and writes them in batches.
type Loader struct {
	cons  jetstream.Consumer
	w     Writer
	dead  DeadLetters
	opts  Options
	log   zerolog.Logger
	stats Stats

	batch   warehouse.Batch
	pending []jetstream.Msg
	first   time.Time
}

// New returns a loader reading cons and writing to w.
func New(cons jetstream.Consumer, w Writer, dead DeadLetters, opts Options, log zerolog.Logger) *Loader {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 50000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 2 * time.Second
	}
	if opts.FetchMax <= 0 {
		opts.FetchMax = 5000
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 30 * time.Second
	}
	return &Loader{cons: cons, w: w, dead: dead, opts: opts, log: log}
}

// Stats returns what the loader has done so far.
func (l *Loader) Stats() Stats { return l.stats }

// Run loads until ctx is cancelled, then flushes what it holds (within
// a short deadline of its own) and returns nil, or the first error that is
// not about ctx.
func (l *Loader) Run(ctx context.Context) error {
	return l.loop(ctx, false)
}

// RunUntilIdle loads until the consumer has nothing pending and nothing
// unacknowledged and the last batch is flushed, then returns. The demo and
// one-shot loads use it.
func (l *Loader) RunUntilIdle(ctx context.Context) error {
	return l.loop(ctx, true)
}

func (l *Loader) loop(ctx context.Context, untilIdle bool) error {
	for {
		if ctx.Err() != nil {
			return l.finalFlush()
		}
		wait := l.opts.FlushInterval
		if len(l.pending) > 0 {
			wait = max(time.Until(l.first.Add(l.opts.FlushInterval)), 50*time.Millisecond)
		}
		want := min(l.opts.FetchMax, l.opts.BatchSize-len(l.pending))
		got, err := l.fetch(ctx, want, wait)
		if err != nil && ctx.Err() == nil {
			l.log.Warn().Err(err).Msg("fetching from jetstream; retrying")
			sleep(ctx, time.Second)
		}
		due := len(l.pending) > 0 && (len(l.pending) >= l.opts.BatchSize || time.Since(l.first) >= l.opts.FlushInterval || (untilIdle && got == 0))
		if due {
			if err := l.flush(ctx); err != nil {
				if ctx.Err() != nil {
					return l.finalFlush()
				}
				return err
			}
		}
		if untilIdle && got == 0 && len(l.pending) == 0 {
			idle, err := l.idle(ctx)
			if err != nil {
				l.log.Warn().Err(err).Msg("reading consumer state")
			} else if idle {
				return nil
			}
		}
	}
}

// fetch pulls up to n messages, waiting at most wait, and adds them to the
// pending batch. It returns how many arrived.
func (l *Loader) fetch(ctx context.Context, n int, wait time.Duration) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	mb, err := l.cons.Fetch(n, jetstream.FetchMaxWait(wait))
	if err != nil {
		return 0, fmt.Errorf("pulling %d messages: %w", n, err)
	}
	got := 0
	for msg := range mb.Messages() {
		got++
		l.add(ctx, msg)
	}
	if err := mb.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return got, fmt.Errorf("pulling messages: %w", err)
	}
	return got, nil
}

// add decodes one message into the pending batch or dead-letters it.
func (l *Loader) add(ctx context.Context, msg jetstream.Msg) {
	d, err := event.Decode(msg.Data())
	if err != nil {
		l.deadLetter(ctx, msg, err)
		return
	}
	switch {
	case d.Listing != nil:
		l.batch.Listings = append(l.batch.Listings, *d.Listing)
	case d.Vendor != nil:
		l.batch.Vendors = append(l.batch.Vendors, *d.Vendor)
	case d.Capture != nil:
		l.batch.Captures = append(l.batch.Captures, *d.Capture)
	case d.Run != nil:
		l.batch.Runs = append(l.batch.Runs, *d.Run)
	}
	if len(l.pending) == 0 {
		l.first = time.Now()
	}
	l.pending = append(l.pending, msg)
}

// deadLetter stores msg with its reason on the dead-letter stream and then
// terminates it on the event stream. If the dead letter cannot be stored the
// message is left unacked, to be redelivered: never dropped.
func (l *Loader) deadLetter(ctx context.Context, msg jetstream.Msg, reason error) {
	subj := bus.DeadLetterPrefix + "." + msg.Subject()
	dl := bus.Message{Subject: subj, ID: deadLetterID(msg), Data: msg.Data(),
		Header: map[string]string{bus.HeaderReason: truncate(reason.Error(), 1024), bus.HeaderSubject: msg.Subject()}}
	l.log.Warn().Str("subject", msg.Subject()).Err(reason).Msg("dead-lettering message")
	if err := l.dead.Publish(ctx, []bus.Message{dl}); err != nil {
		l.log.Error().Err(err).Msg("storing dead letter failed; leaving message for redelivery")
		_ = msg.NakWithDelay(5 * time.Second)
		return
	}
	l.stats.DeadLetters++
	if err := msg.Term(); err != nil {
		l.log.Warn().Err(err).Msg("terminating dead-lettered message")
	}
}

func deadLetterID(msg jetstream.Msg) string {
	if md, err := msg.Metadata(); err == nil {
		return fmt.Sprintf("dead-%s-%d", md.Stream, md.Sequence.Stream)
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// flush inserts the pending batch, retrying with backoff while ctx lives,
// and acks every message of it only after the insert succeeded.
func (l *Loader) flush(ctx context.Context) error {
	if len(l.pending) == 0 {
		return nil
	}
	start := time.Now()
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := l.w.Insert(ctx, &l.batch)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.stats.Retries++
		l.log.Warn().Err(err).Int("events", len(l.pending)).Int("attempt", attempt).
			Dur("backoff", backoff).Msg("insert failed; holding acks and retrying")
		// Keep unacked messages from being redelivered while we wait.
		for _, m := range l.pending {
			_ = m.InProgress()
		}
		sleep(ctx, backoff+time.Duration(rand.Int64N(int64(backoff/2))))
		backoff = min(backoff*2, l.opts.RetryMax)
	}
	for _, m := range l.pending {
		if err := m.Ack(); err != nil {
			// The rows are stored; a redelivery collapses by event_id.
			l.log.Warn().Err(err).Msg("acking message")
		}
	}
	l.stats.Batches++
	l.stats.Loaded += len(l.pending)
	l.log.Info().Int("events", len(l.pending)).Int("listings", len(l.batch.Listings)).
		Int("vendors", len(l.batch.Vendors)).Int("captures", len(l.batch.Captures)).
		Dur("took", time.Since(start)).Msg("batch loaded")
	l.pending = l.pending[:0]
	l.batch = warehouse.Batch{}
	return nil
}

// finalFlush flushes within a deadline of its own after ctx ended; what it
// cannot insert stays unacked and is redelivered to the next loader.
func (l *Loader) finalFlush() error {
	if len(l.pending) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := l.flush(ctx); err != nil {
		l.log.Warn().Err(err).Int("events", len(l.pending)).Msg("final flush failed; events stay in the stream for redelivery")
	}
	return nil
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
	for {
		info, err := cons.Info(ctx)
		if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("waiting for the loader: %w (last error: %v)", ctx.Err(), err)
			}
			return fmt.Errorf("waiting for the loader: %w (%d pending, %d unacked)", ctx.Err(), info.NumPending, info.NumAckPending)
		case <-time.After(poll):
		}
	}
}
