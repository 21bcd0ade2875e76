package event

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// An envelope carries the events of one page (or of a batch of pages) of
// one source as one bus message, so that a loader receives and acks one
// message per page instead of one per event. It is published on
// Subject(TypeEnvelope, source) with its envelope id as Nats-Msg-Id, and
// is JSON lines: a header line (EnvelopeHeader: schema, id, source, capture
// hash, pipeline, part, parts, event count), then one line per event, each
// the event exactly as it would be published alone, keeping its own
// event_id (duplicates collapse by it in ClickHouse). encoding/json never
// writes a raw newline, so a line is an event; a malformed event spoils
// only its own line.
//
// The subject rule for the events inside: an event of type T in an
// envelope of source S is checked as if it had arrived alone on
// Subject(T, S) (see Check), so an envelope cannot carry another source's
// events. An envelope is bounded (EnvelopeTarget, MaxEnvelope, well under
// the server's 1 MiB max payload); a page with more events is split into
// parts, each its own envelope.
//
// Versioning: the envelope follows the rule at the top of this package:
// header fields are only ever added within v1; the events inside keep
// their own schema names and versions.
const (
	SchemaEnvelope = "counternet.envelope.v1"
	TypeEnvelope   = "envelope"
	// EnvelopeTarget is the size Pack fills an envelope up to; an event
	// larger than it travels alone in its part.
	EnvelopeTarget = 256 << 10
	// MaxEnvelope is the largest envelope a loader accepts: an event of
	// MaxMessage with its header fits.
	MaxEnvelope = MaxMessage + 64<<10
	// MaxEnvelopeEvents bounds the events of one envelope.
	MaxEnvelopeEvents = 4096
	// maxEnvelopeHeader bounds the header line.
	maxEnvelopeHeader = 4 << 10
)

// EnvelopeHeader is the first line of an envelope.
type EnvelopeHeader struct {
	Schema     string `json:"schema"`
	EnvelopeID string `json:"envelope_id"`
	Source     string `json:"source"`
	// CaptureSHA256 and Pipeline name the page the events came from (the
	// capture's hash and the site file's name@version); empty for a batch
	// of events of several pages.
	CaptureSHA256 string `json:"capture_sha256,omitempty"`
	Pipeline      string `json:"pipeline,omitempty"`
	Part          int    `json:"part"`   // 1-based
	Parts         int    `json:"parts"`  // parts the page's events were split into
	Events        int    `json:"events"` // event lines that follow
}

// Encoded is one event encoded as JSON (one line, no newline), with its id.
type Encoded struct {
	ID   string
	Data []byte
}

// Envelope is one part of a page's events, ready to publish.
type Envelope struct {
	Header   EnvelopeHeader
	Subject  string
	Data     []byte
	EventIDs []string // the ids of the events inside, in order
}

// EnvelopeID derives an envelope's id from the source, the capture hash,
// the pipeline version, the part and the ids of the events it carries: the
// same events packed again get the same id (a retried or spooled envelope
// is stored once), and a page fetched again, whose events have other ids
// (their observation time differs), never has its envelope taken for a
// duplicate, even with the same content hash.
func EnvelopeID(source, captureSHA, pipeline string, part, parts int, eventIDs []string) string {
	h := sha256.New()
	for _, s := range []string{TypeEnvelope, source, captureSHA, pipeline, strconv.Itoa(part), strconv.Itoa(parts)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, id := range eventIDs {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Pack puts the encoded events of one source into as few envelopes as fit
// EnvelopeTarget and MaxEnvelopeEvents, in order. captureSHA and pipeline
// name the page (empty for several pages). It refuses an event that is
// empty or spans lines, and an empty source.
func Pack(source, captureSHA, pipeline string, evs []Encoded) ([]Envelope, error) {
	if source == "" {
		return nil, errors.New("packing events: envelope without a source")
	}
	var groups [][]Encoded
	size := 0
	for _, e := range evs {
		if len(e.Data) == 0 || bytes.IndexByte(e.Data, '\n') >= 0 {
			return nil, fmt.Errorf("packing event %s: not one line of JSON", e.ID)
		}
		n := len(groups)
		if n == 0 || size+len(e.Data)+1 > EnvelopeTarget-maxEnvelopeHeader || len(groups[n-1]) >= MaxEnvelopeEvents {
			groups = append(groups, nil)
			size, n = 0, n+1
		}
		groups[n-1] = append(groups[n-1], e)
		size += len(e.Data) + 1
	}
	out := make([]Envelope, len(groups))
	subject := Subject(TypeEnvelope, source)
	for i, g := range groups {
		ids := make([]string, len(g))
		size := 0
		for j, e := range g {
			ids[j] = e.ID
			size += len(e.Data) + 1
		}
		h := EnvelopeHeader{
			Schema: SchemaEnvelope, Source: source, CaptureSHA256: captureSHA, Pipeline: pipeline,
			Part: i + 1, Parts: len(groups), Events: len(g),
		}
		h.EnvelopeID = EnvelopeID(source, captureSHA, pipeline, h.Part, h.Parts, ids)
		head, err := json.Marshal(h)
		if err != nil {
			return nil, fmt.Errorf("packing events: %w", err)
		}
		if len(head) > maxEnvelopeHeader {
			return nil, fmt.Errorf("packing events: envelope header of %d bytes over %d", len(head), maxEnvelopeHeader)
		}
		data := make([]byte, 0, len(head)+1+size)
		data = append(append(data, head...), '\n')
		for _, e := range g {
			data = append(append(data, e.Data...), '\n')
		}
		out[i] = Envelope{Header: h, Subject: subject, Data: data, EventIDs: ids}
	}
	return out, nil
}

// IsEnvelopeSubject reports whether subject is an envelope's.
func IsEnvelopeSubject(subject string) bool {
	const p = SubjectPrefix + "." + TypeEnvelope + "."
	return len(subject) > len(p) && subject[:len(p)] == p
}

// OpenEnvelope reads the header of an envelope that arrived on subject and
// returns it with the event lines that follow (each ending in a newline;
// see NextLine). It checks what can be checked without the events: size,
// schema, the subject against the source, the part and that exactly
// Events lines follow; an error wraps ErrInvalid and says which.
func OpenEnvelope(subject string, data []byte) (EnvelopeHeader, []byte, error) {
	var h EnvelopeHeader
	if len(data) > MaxEnvelope {
		return h, nil, fmt.Errorf("%w: envelope of %d bytes over the %d byte limit", ErrInvalid, len(data), MaxEnvelope)
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 || nl > maxEnvelopeHeader {
		return h, nil, fmt.Errorf("%w: envelope without a header line of at most %d bytes", ErrInvalid, maxEnvelopeHeader)
	}
	if err := json.Unmarshal(data[:nl], &h); err != nil {
		return h, nil, fmt.Errorf("%w: decoding envelope header: %v", ErrInvalid, err)
	}
	rest := data[nl+1:]
	var errs []string
	if h.Schema != SchemaEnvelope {
		return h, nil, fmt.Errorf("%w %q for an envelope", ErrUnknownSchema, Cut(h.Schema, 80))
	}
	if want := Subject(TypeEnvelope, h.Source); subject != want || h.Source == "" {
		errs = append(errs, fmt.Sprintf("arrived on subject %q but its source makes %q", Cut(subject, 200), want))
	}
	if h.EnvelopeID == "" {
		errs = append(errs, "envelope_id empty")
	}
	if h.Part < 1 || h.Part > h.Parts {
		errs = append(errs, fmt.Sprintf("part %d of %d", h.Part, h.Parts))
	}
	if h.Events < 1 || h.Events > MaxEnvelopeEvents {
		errs = append(errs, fmt.Sprintf("%d events, want 1 to %d", h.Events, MaxEnvelopeEvents))
	}
	if lines := bytes.Count(rest, []byte{'\n'}); lines != h.Events || len(rest) == 0 || rest[len(rest)-1] != '\n' {
		errs = append(errs, fmt.Sprintf("%d events announced but %d complete lines follow", h.Events, lines))
	}
	if err := joinErrs("envelope", errs); err != nil {
		return h, nil, err
	}
	return h, rest, nil
}

// NextLine splits the first line off the event lines OpenEnvelope returned:
// the line without its newline, and what follows it.
func NextLine(rest []byte) (line, tail []byte) {
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return rest, nil
	}
	return rest[:i], rest[i+1:]
}

// Type is the event type of d (TypeListing, ...), or "" when none is set.
func (d Decoded) Type() string {
	switch {
	case d.Listing != nil:
		return TypeListing
	case d.Vendor != nil:
		return TypeVendor
	case d.Capture != nil:
		return TypeCapture
	case d.Run != nil:
		return TypeRun
	case d.Post != nil:
		return TypePost
	case d.Thread != nil:
		return TypeThread
	case d.Image != nil:
		return TypeImage
	case d.Escalation != nil:
		return TypeImageEscalation
	}
	return ""
}

// DecodeMessage decodes one message of the event stream, an envelope or a
// single event, into its events (each through Decode, not Check). It is
// for readers of the stream other than the loader: tests, tools.
func DecodeMessage(subject string, data []byte) ([]Decoded, error) {
	if !IsEnvelopeSubject(subject) {
		d, err := Decode(data)
		if err != nil {
			return nil, err
		}
		return []Decoded{d}, nil
	}
	h, rest, err := OpenEnvelope(subject, data)
	if err != nil {
		return nil, err
	}
	out := make([]Decoded, 0, h.Events)
	for i := 1; len(rest) > 0; i++ {
		var line []byte
		line, rest = NextLine(rest)
		d, err := Decode(line)
		if err != nil {
			return out, fmt.Errorf("event %d of envelope %s: %w", i, h.EnvelopeID, err)
		}
		out = append(out, d)
	}
	return out, nil
}
