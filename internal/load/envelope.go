package load

import (
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/counternet/counternet/internal/event"
)

// innerEvent is one event of an envelope that cannot be loaded.
type innerEvent struct {
	envelope string // the envelope's id
	index    int    // the event's position in the envelope, from 1
	line     []byte // the event as it was in the envelope
}

// addEnvelope decodes the events of an envelope into b. An envelope whose
// header is wrong (see event.OpenEnvelope) is set aside whole as a dead
// letter. Otherwise each event is held to the subject it would have had
// alone (its type and the envelope's source); one that fails is set aside
// as a dead letter of its own, with the reason, and the others are loaded.
// The envelope is acked only after all its rows are stored (and its bad
// events with them).
func (l *Loader) addEnvelope(b *batch, msg jetstream.Msg) {
	h, rest, err := event.OpenEnvelope(msg.Subject(), msg.Data())
	if err != nil {
		b.dead = append(b.dead, deadMsg{msg: msg, reason: err})
		return
	}
	o := envelopeOrigin(h.Source)
	bad := false
	for i := 1; len(rest) > 0; i++ {
		var line []byte
		line, rest = event.NextLine(rest)
		listings := len(b.rows.Listings)
		if err := decodeFrom(&b.rows, &b.sc, o, line); err != nil {
			b.dead = append(b.dead, deadMsg{msg: msg, reason: err,
				inner: &innerEvent{envelope: h.EnvelopeID, index: i, line: line}})
			bad = true
			continue
		}
		if len(b.rows.Listings) > listings {
			b.texts.own(&b.rows.Listings[listings])
		}
		b.events++
	}
	if bad {
		b.held = append(b.held, msg)
	} else {
		b.acks = append(b.acks, msg.Reply())
	}
}

// newInnerDeadLetter is the dead letter of the event in of envelope msg.
func newInnerDeadLetter(msg jetstream.Msg, in *innerEvent, reason error) DeadLetter {
	d := DeadLetter{
		Subject:       msg.Subject(),
		Reason:        event.Cut(fmt.Sprintf("event %d of envelope %s: %v", in.index, in.envelope, reason), maxReason),
		Payload:       in.line,
		Bytes:         len(in.line),
		Envelope:      in.envelope,
		EnvelopeEvent: in.index,
	}
	if md, err := msg.Metadata(); err == nil {
		d.Stream, d.StreamSeq, d.ReceivedAt = md.Stream, md.Sequence.Stream, md.Timestamp.UTC()
	}
	if len(in.line) <= event.MaxMessage {
		var h event.Header
		if json.Unmarshal(in.line, &h) == nil {
			d.Schema, d.EventID = event.Cut(h.Schema, 128), event.Cut(h.EventID, 128)
		}
	}
	return d
}
