package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Message is one event ready to publish.
type Message struct {
	Subject string
	ID      string // event id, sent as Nats-Msg-Id
	Data    []byte
	Header  map[string]string // optional headers, e.g. HeaderReason on dead letters
}

// Encode marshals an event into a Message on subject with id.
func Encode(subject, id string, v any) (Message, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return Message{}, fmt.Errorf("encoding event %s: %w", id, err)
	}
	return Message{Subject: subject, ID: id, Data: data}, nil
}

// Failure names one event JetStream did not acknowledge, and why.
type Failure struct {
	ID      string
	Subject string
	Err     error
}

// ErrNotStored marks a publish in which some events were not acknowledged
// by JetStream after every retry.
var ErrNotStored = errors.New("events not stored")

// NotStoredError lists the events that were not stored.
type NotStoredError struct{ Failures []Failure }

func (e *NotStoredError) Error() string {
	ids := make([]string, 0, min(len(e.Failures), 5))
	for _, f := range e.Failures[:min(len(e.Failures), 5)] {
		ids = append(ids, f.ID)
	}
	more := ""
	if len(e.Failures) > 5 {
		more = fmt.Sprintf(" and %d more", len(e.Failures)-5)
	}
	return fmt.Sprintf("%d %v (%s%s): %v", len(e.Failures), ErrNotStored, strings.Join(ids, ", "), more, e.Failures[0].Err)
}

func (e *NotStoredError) Unwrap() error { return ErrNotStored }

// Publisher publishes events and waits for their JetStream acks.
type Publisher struct {
	js      jetstream.JetStream
	window  int
	retries int
	timeout time.Duration
}

// Publisher returns a publisher bounded to window outstanding publishes,
// retrying unacknowledged events up to retries times, each attempt waiting at
// most timeout for its acks.
func (c *Conn) Publisher(window, retries int, timeout time.Duration) *Publisher {
	if window <= 0 {
		window = 1024
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Publisher{js: c.JS, window: window, retries: retries, timeout: timeout}
}

// Publish sends every message with its id as Nats-Msg-Id, so a retried
// message is stored once, and returns when each was acknowledged. When some
// were not, after retries, it returns a *NotStoredError naming them (errors.Is
// ErrNotStored); nothing is dropped silently.
func (p *Publisher) Publish(ctx context.Context, msgs []Message) error {
	pending := msgs
	var failures []Failure
	for attempt := 0; attempt <= p.retries && len(pending) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return &NotStoredError{Failures: failures}
			case <-time.After(time.Duration(attempt) * 250 * time.Millisecond):
			}
		}
		// Retried by message, not by id: messages sharing an id (or
		// having none) are each sent again.
		failures, pending = p.publishOnce(ctx, pending)
	}
	if len(failures) > 0 {
		return &NotStoredError{Failures: failures}
	}
	return nil
}

type inflight struct {
	msg Message
	fut jetstream.PubAckFuture
}

// notStored collects the messages of one attempt that were not acked, and
// why.
type notStored struct {
	failures []Failure
	msgs     []Message
}

func (n *notStored) add(m Message, err error) {
	n.failures = append(n.failures, Failure{ID: m.ID, Subject: m.Subject, Err: err})
	n.msgs = append(n.msgs, m)
}

// publishOnce publishes msgs in windows of p.window, the next window going
// out while the acks of the previous one come back, and returns those not
// acked: why, and the messages themselves.
func (p *Publisher) publishOnce(ctx context.Context, msgs []Message) ([]Failure, []Message) {
	var (
		failed notStored
		prev   []inflight
	)
	for start := 0; start < len(msgs); start += p.window {
		chunk := msgs[start:min(start+p.window, len(msgs))]
		fl := make([]inflight, 0, len(chunk))
		for _, m := range chunk {
			nm := &nats.Msg{Subject: m.Subject, Data: m.Data}
			if len(m.Header) > 0 {
				nm.Header = make(nats.Header, len(m.Header)+1)
				for k, v := range m.Header {
					nm.Header.Set(k, v)
				}
			}
			fut, err := p.js.PublishMsgAsync(nm, jetstream.WithMsgID(m.ID), jetstream.WithStallWait(p.timeout))
			if err != nil {
				failed.add(m, err)
				continue
			}
			fl = append(fl, inflight{msg: m, fut: fut})
		}
		p.await(ctx, prev, &failed)
		prev = fl
	}
	p.await(ctx, prev, &failed)
	return failed.failures, failed.msgs
}

// await waits at most p.timeout for the acks of fl and adds the events not
// acknowledged to failed.
func (p *Publisher) await(ctx context.Context, fl []inflight, failed *notStored) {
	if len(fl) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	for _, f := range fl {
		select {
		case <-f.fut.Ok():
		case err := <-f.fut.Err():
			failed.add(f.msg, err)
		case <-wctx.Done():
			select {
			case <-f.fut.Ok():
			default:
				failed.add(f.msg, fmt.Errorf("no ack within %s: %w", p.timeout, wctx.Err()))
			}
		}
	}
}
