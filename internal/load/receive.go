package load

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The receiving side of the loader: pulling messages, keeping those held
// in a batch from being redelivered, and the acknowledgement bodies.

// idlePoll is how long RunUntilIdle waits for a message before it flushes
// and asks the consumer whether anything is left.
const idlePoll = 250 * time.Millisecond

// receive starts pulling messages from the consumer into the returned
// channel, keeping at most about 2×FetchMax of them prefetched: the
// iterator pulls more only as messages are taken from it. stop ends the
// pulling (it is idempotent); messages pulled but not taken are released
// for redelivery, and the channel is closed. The channel also closes when
// the iterator ends by itself (the consumer was deleted, the connection
// closed); ended then says why, and is nil after stop.
func (l *Loader) receive() (in <-chan jetstream.Msg, stop func(), ended func() error, err error) {
	it, err := l.cons.Messages(jetstream.PullMaxMessages(l.opts.FetchMax))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("pulling messages: %w", err)
	}
	msgs := make(chan jetstream.Msg, l.opts.FetchMax)
	quit := make(chan struct{})
	done := make(chan struct{})
	var endErr error // set before msgs is closed
	go func() {
		defer close(done)
		defer close(msgs)
		var last error
		for {
			m, err := it.Next()
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				select {
				case <-quit:
				default:
					endErr = fmt.Errorf("pulling messages: %w", cmp.Or(last, err))
				}
				return
			}
			if err != nil {
				last = err
				l.log.Warn().Err(err).Msg("pulling messages; retrying")
				select {
				case <-quit:
					return
				case <-time.After(time.Second):
				}
				continue
			}
			last = nil
			select {
			case msgs <- m:
			case <-quit:
				_ = m.Nak()
				return
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(quit)
			it.Stop()
			<-done
			for m := range msgs { // pulled, never batched: let them go to the next loader now
				_ = m.Nak()
			}
		})
	}
	// Read only once msgs is closed, which happens after endErr is set.
	ended = func() error { return endErr }
	return msgs, stop, ended, nil
}

// handOff gives b to the inserter, keeping its messages from being
// redelivered while the previous batch is still being inserted. It returns
// false when ctx ended first (b is then still the caller's).
func (l *Loader) handOff(ctx context.Context, jobs chan<- *batch, b *batch, keepAlive time.Duration) bool {
	t := time.NewTicker(keepAlive)
	defer t.Stop()
	for {
		select {
		case jobs <- b:
			return true
		case <-ctx.Done():
			return false
		case <-t.C:
			l.inProgress(b)
		}
	}
}

// keepAliveInterval is how often messages waiting for an insert are marked
// in progress: well within the consumer's ack wait.
func (l *Loader) keepAliveInterval() time.Duration {
	if ci := l.cons.CachedInfo(); ci != nil && ci.Config.AckWait > 0 {
		return max(ci.Config.AckWait/3, 100*time.Millisecond)
	}
	return 10 * time.Second
}

// JetStream's acknowledgement bodies.
var (
	ackBody        = []byte("+ACK")
	inProgressBody = []byte("+WPI")
)

func (l *Loader) inProgress(b *batch) {
	for _, reply := range b.acks {
		_ = l.sinks.Acks.Publish(reply, inProgressBody)
	}
	for _, m := range b.held {
		_ = m.InProgress()
	}
	for _, d := range b.dead {
		if d.inner == nil {
			_ = d.msg.InProgress()
		}
	}
}
