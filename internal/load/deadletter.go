package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
)

// Bounds on what a dead letter keeps of its message.
const (
	// MaxDeadPayload is the most of a message kept on the dead-letter stream;
	// a longer one (only an oversize message can be) is cut and marked with
	// HeaderTruncated.
	MaxDeadPayload = 2 * event.MaxMessage
	// MaxDeadRowPayload is the most of a message kept in the dead_letters
	// table.
	MaxDeadRowPayload = 8 << 10
	// maxReason bounds the reason text.
	maxReason = 1024
)

// Headers a dead letter carries on the dead-letter stream besides
// bus.HeaderReason and bus.HeaderSubject.
const (
	HeaderStream    = "Counternet-Stream"     // stream the message came from
	HeaderStreamSeq = "Counternet-Stream-Seq" // its sequence there
	HeaderReceived  = "Counternet-Received"   // when that stream stored it, RFC 3339
	HeaderBytes     = "Counternet-Bytes"      // its full size
	HeaderTruncated = "Counternet-Truncated"  // "1" when the payload was cut at MaxDeadPayload
	// HeaderEnvelope and HeaderEnvelopeEvent name, for one event of an
	// envelope, the envelope's id and the event's position in it (from 1);
	// the payload is then that event alone.
	HeaderEnvelope      = "Counternet-Envelope"
	HeaderEnvelopeEvent = "Counternet-Envelope-Event"
)

// DeadLetter is one message the loader could not load, and why.
type DeadLetter struct {
	Stream     string    // event stream it came from
	StreamSeq  uint64    // its sequence there
	Subject    string    // subject it was published on
	Reason     string    // why it could not be loaded
	Schema     string    // its "schema" field, when readable
	EventID    string    // its "event_id" field, when readable
	ReceivedAt time.Time // when the event stream stored it
	Payload    []byte    // the message, possibly cut (see Bytes)
	Bytes      int       // full size of the message
	DeadSeq    uint64    // sequence on the dead-letter stream (when read from it)
	// Envelope and EnvelopeEvent are set for one event of an envelope: the
	// envelope's id and the event's position in it, from 1. Payload is
	// then the event alone; the rest of the envelope was loaded.
	Envelope      string
	EnvelopeEvent int
}

// Truncated reports whether Payload holds less than the whole message.
func (d DeadLetter) Truncated() bool { return len(d.Payload) < d.Bytes }

func newDeadLetter(msg jetstream.Msg, reason error) DeadLetter {
	data := msg.Data()
	d := DeadLetter{Subject: msg.Subject(), Reason: event.Cut(reason.Error(), maxReason), Payload: data, Bytes: len(data)}
	if md, err := msg.Metadata(); err == nil {
		d.Stream, d.StreamSeq, d.ReceivedAt = md.Stream, md.Sequence.Stream, md.Timestamp.UTC()
	}
	if len(data) <= event.MaxMessage {
		var h event.Header
		if json.Unmarshal(data, &h) == nil {
			d.Schema, d.EventID = event.Cut(h.Schema, 128), event.Cut(h.EventID, 128)
		}
	}
	return d
}

// message is d as published on the dead-letter stream. Its id derives from
// the original's stream sequence (and, for an event of an envelope, its
// position there), so dead-lettering it again stores it once.
func (d DeadLetter) message(data []byte) bus.Message {
	h := map[string]string{
		bus.HeaderReason:  d.Reason,
		bus.HeaderSubject: d.Subject,
		HeaderStream:      d.Stream,
		HeaderStreamSeq:   strconv.FormatUint(d.StreamSeq, 10),
		HeaderReceived:    d.ReceivedAt.Format(time.RFC3339Nano),
		HeaderBytes:       strconv.Itoa(len(data)),
	}
	if len(data) > MaxDeadPayload {
		data = data[:MaxDeadPayload]
		h[HeaderTruncated] = "1"
	}
	id := fmt.Sprintf("dead-%s-%d", d.Stream, d.StreamSeq)
	if d.EnvelopeEvent > 0 {
		h[HeaderEnvelope] = d.Envelope
		h[HeaderEnvelopeEvent] = strconv.Itoa(d.EnvelopeEvent)
		id += "-" + strconv.Itoa(d.EnvelopeEvent)
	}
	return bus.Message{
		Subject: bus.DeadLetterPrefix + "." + d.Subject,
		ID:      id,
		Data:    data,
		Header:  h,
	}
}

// Table records dead letters in the ClickHouse tables dead_letters (see
// migration 0040_dead_letters) and dead_letter_events (0080). It
// implements DeadLetterTable.
type Table struct {
	conn driver.Conn
}

// NewTable returns a recorder writing to dead_letters and
// dead_letter_events in conn's default database.
func NewTable(conn driver.Conn) *Table { return &Table{conn: conn} }

// Record inserts rows, their payloads cut at MaxDeadRowPayload, into
// dead_letter_events, where a row is keyed by its stream, stream sequence
// and position in its envelope, so that two bad events of one envelope are
// two rows; and into dead_letters as before, keyed by stream and sequence
// alone (the events of one envelope collapse there). A row recorded twice
// collapses in both. It returns nil only when both inserts succeeded.
func (t *Table) Record(ctx context.Context, rows []DeadLetter) error {
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		if r.EnvelopeEvent < 0 || r.EnvelopeEvent > math.MaxUint32 {
			return fmt.Errorf("recording %d dead letters: envelope event %d out of range", len(rows), r.EnvelopeEvent)
		}
	}
	if err := t.insert(ctx, "dead_letter_events", "envelope_event, envelope, ", rows, func(r DeadLetter) []any {
		return []any{uint32(r.EnvelopeEvent), r.Envelope}
	}); err != nil {
		return err
	}
	return t.insert(ctx, "dead_letters", "", rows, func(DeadLetter) []any { return nil })
}

// insert writes rows into table, the columns both tables have after
// extraCols, whose values extra gives.
func (t *Table) insert(ctx context.Context, table, extraCols string, rows []DeadLetter, extra func(DeadLetter) []any) error {
	b, err := t.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+extraCols+"stream, stream_seq, subject, reason, schema, event_id, "+
		"received_at, payload, payload_bytes, payload_truncated, dead_subject)")
	if err != nil {
		return fmt.Errorf("recording %d dead letters in %s: %w", len(rows), table, err)
	}
	defer b.Close()
	for _, r := range rows {
		payload := r.Payload[:min(len(r.Payload), MaxDeadRowPayload)]
		var cut uint8
		if len(payload) < r.Bytes {
			cut = 1
		}
		received := r.ReceivedAt
		if received.Before(time.Unix(0, 0)) {
			received = time.Unix(0, 0)
		}
		vals := append(extra(r), r.Stream, r.StreamSeq, r.Subject, r.Reason, r.Schema, r.EventID, received,
			string(payload), uint64(r.Bytes), cut, bus.DeadLetterPrefix+"."+r.Subject)
		if err := b.Append(vals...); err != nil {
			return fmt.Errorf("recording %d dead letters in %s: %w", len(rows), table, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("recording %d dead letters in %s: %w", len(rows), table, err)
	}
	return nil
}

// ErrNoDeadLetter reports a dead-letter sequence that holds no message.
var ErrNoDeadLetter = errors.New("no such dead letter")

// ReadDeadLetters returns up to limit dead letters from the dead-letter
// stream, starting at its sequence from (1 for the oldest), oldest first.
func ReadDeadLetters(ctx context.Context, js jetstream.JetStream, from uint64, limit int) ([]DeadLetter, error) {
	st, err := js.Stream(ctx, bus.DeadLetterStream)
	if err != nil {
		return nil, fmt.Errorf("reading dead letters: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading dead letters: %w", err)
	}
	var out []DeadLetter
	seq := max(from, info.State.FirstSeq)
	for ; seq <= info.State.LastSeq && len(out) < limit; seq++ {
		d, err := readDeadLetter(ctx, st, seq)
		if errors.Is(err, ErrNoDeadLetter) {
			continue // deleted or expired
		}
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// ReadDeadLetter returns the dead letter at sequence seq of the dead-letter
// stream, or ErrNoDeadLetter.
func ReadDeadLetter(ctx context.Context, js jetstream.JetStream, seq uint64) (DeadLetter, error) {
	st, err := js.Stream(ctx, bus.DeadLetterStream)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("reading dead letter %d: %w", seq, err)
	}
	return readDeadLetter(ctx, st, seq)
}

func readDeadLetter(ctx context.Context, st jetstream.Stream, seq uint64) (DeadLetter, error) {
	m, err := st.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return DeadLetter{}, fmt.Errorf("reading dead letter %d: %w", seq, ErrNoDeadLetter)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("reading dead letter %d: %w", seq, err)
	}
	d := DeadLetter{
		DeadSeq: seq,
		Stream:  m.Header.Get(HeaderStream),
		Subject: m.Header.Get(bus.HeaderSubject),
		Reason:  m.Header.Get(bus.HeaderReason),
		Payload: m.Data,
		Bytes:   len(m.Data),
	}
	d.StreamSeq, _ = strconv.ParseUint(m.Header.Get(HeaderStreamSeq), 10, 64)
	if n, err := strconv.Atoi(m.Header.Get(HeaderBytes)); err == nil {
		d.Bytes = n
	}
	d.ReceivedAt, _ = time.Parse(time.RFC3339Nano, m.Header.Get(HeaderReceived))
	d.Envelope = m.Header.Get(HeaderEnvelope)
	d.EnvelopeEvent, _ = strconv.Atoi(m.Header.Get(HeaderEnvelopeEvent))
	if len(m.Data) <= event.MaxMessage {
		var h event.Header
		if json.Unmarshal(m.Data, &h) == nil {
			d.Schema, d.EventID = h.Schema, h.EventID
		}
	}
	return d, nil
}
