package load

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/warehouse"
)

// The loader's hot path decodes listing events with a decoder written for
// their schema: one pass over the bytes, no reflection, strings taken as
// substrings of one copy of the message. Whatever it is not sure to decode
// exactly as encoding/json would (another schema, a null, an escaped key, a
// key in other case, a repeated key, invalid UTF-8, a \u surrogate, a
// malformed document) it hands to event.Decode, which stays the reference:
// a fuzz test holds the two to the same result.

// errFallback says "let event.Decode decide"; it never leaves this file.
var errFallback = errors.New("not decoded by the fast path")

// decodeInto decodes and validates one message published on subject and
// appends it to the slice of b its schema belongs in, like event.Decode
// would, or returns why it must not be stored (see wellFormed). The listing
// fast path decodes in place, its strings pointing into data: data must not
// be modified afterwards (a JetStream message's data never is).
func decodeInto(b *warehouse.Batch, subject string, data []byte) error {
	return decodeFrom(b, new(scratch), origin{subject: subject}, data)
}

// origin is where an event came from: alone on a subject, or inside an
// envelope of a source, where an event of type T is held to the subject it
// would have had alone, event.Subject(T, source).
type origin struct {
	subject string // the subject of an event that came alone
	source  string // the envelope's source
	listing string // event.Subject(TypeListing, source), made once per envelope
}

func envelopeOrigin(source string) origin {
	return origin{source: source, listing: event.Subject(event.TypeListing, source)}
}

// subjectFor is the subject an event of typ is checked against.
func (o origin) subjectFor(typ string) string {
	switch {
	case o.subject != "":
		return o.subject
	case typ == event.TypeListing:
		return o.listing
	}
	return event.Subject(typ, o.source)
}

// decodeFrom is decodeInto for an event from o, the fast path keeping
// what it makes in sc (see scratch), which must outlive b's listings.
func decodeFrom(b *warehouse.Batch, sc *scratch, o origin, data []byte) error {
	if len(data) <= event.MaxMessage {
		ls := append(b.Listings, event.Listing{})
		l := &ls[len(ls)-1]
		if decodeListingTo(l, data, sc) == nil {
			if err := listingWellFormed(o.subjectFor(event.TypeListing), l); err != nil {
				*l = event.Listing{}
				return err
			}
			b.Listings = ls
			return nil
		}
		*l = event.Listing{} // drop what the fast path left there
	}
	d, err := event.Decode(data)
	if err != nil {
		return err
	}
	if err := wellFormed(o.subjectFor(d.Type()), d); err != nil {
		return err
	}
	switch {
	case d.Listing != nil:
		b.Listings = append(b.Listings, *d.Listing)
	case d.Vendor != nil:
		b.Vendors = append(b.Vendors, *d.Vendor)
	case d.Capture != nil:
		b.Captures = append(b.Captures, *d.Capture)
	case d.Run != nil:
		b.Runs = append(b.Runs, *d.Run)
	case d.Post != nil:
		b.Posts = append(b.Posts, *d.Post)
	case d.Thread != nil:
		b.Threads = append(b.Threads, *d.Thread)
	default:
		// Photo events travel on their own subjects (addImage takes them
		// there); one anywhere else is refused, never dropped.
		return fmt.Errorf("%w: a %s event is loaded from its own subject, not here", event.ErrInvalid, d.Type())
	}
	return nil
}

// decodeListing decodes a listing event into the zero listing l, or
// returns errFallback. l's strings share data's memory.
func decodeListing(l *event.Listing, data []byte) error {
	return decodeListingTo(l, data, new(scratch))
}

// decodeListingTo is decodeListing keeping l's lists and unescaped strings
// in sc.
func decodeListingTo(l *event.Listing, data []byte, sc *scratch) error {
	if len(data) == 0 || len(data) > event.MaxMessage {
		return errFallback
	}
	d := scanner{s: unsafe.String(&data[0], len(data)), sc: sc}
	if err := d.listing(l); err != nil {
		return err
	}
	d.ws()
	if d.i != len(d.s) || l.Schema != event.SchemaListing {
		return errFallback
	}
	if err := l.Validate(); err != nil {
		return errFallback
	}
	return nil
}

type scanner struct {
	s   string
	i   int
	sc  *scratch
	tmp [16]string // the elements of a list being read, before sc holds them
}

func (d *scanner) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips whitespace and the byte c, or fails.
func (d *scanner) consume(c byte) bool {
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object calls field for each key of an object, the scanner placed at the
// key's value. field reads the value of a key it knows and returns the key's
// index in known, or returns -1 without reading anything. A key seen twice,
// or an unknown one that matches a known key but for case (encoding/json
// would take it), falls back.
func (d *scanner) object(known []string, field func(key string) (int, error)) error {
	if !d.consume('{') {
		return errFallback
	}
	if d.consume('}') {
		return nil
	}
	var seen uint64
	for {
		d.ws()
		key, err := d.str()
		if err != nil {
			return err
		}
		if !d.consume(':') {
			return errFallback
		}
		d.ws()
		idx, err := field(key)
		switch {
		case err != nil:
			return err
		case idx < 0:
			for _, k := range known {
				if strings.EqualFold(k, key) {
					return errFallback
				}
			}
			if err := d.skip(0); err != nil {
				return err
			}
		case seen&(1<<idx) != 0:
			return errFallback
		default:
			seen |= 1 << idx
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return nil
		}
		return errFallback
	}
}

func (d *scanner) strs() ([]string, error) {
	if !d.consume('[') {
		return nil, errFallback
	}
	if d.consume(']') {
		return []string{}, nil
	}
	out := d.tmp[:0]
	for {
		d.ws()
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			return d.sc.strs.copy(out), nil
		}
		return nil, errFallback
	}
}

// str reads a JSON string at the current position (whitespace skipped by
// the caller). Without escapes it is a substring of the message.
func (d *scanner) str() (string, error) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", errFallback
	}
	start := d.i + 1
	ascii := true
	// Eight bytes at a time while none of them is a quote, a backslash or a
	// control byte; a word with one is read byte by byte.
	for j := start; j < len(d.s); {
		if j+8 <= len(d.s) {
			if w := load64(d.s, j); !special(w) {
				ascii = ascii && w&hi == 0
				j += 8
				continue
			}
		}
		for end := min(j+8, len(d.s)); j < end; j++ {
			switch c := d.s[j]; {
			case c == '"':
				d.i = j + 1
				s := d.s[start:j]
				if !ascii && !utf8.ValidString(s) {
					return "", errFallback
				}
				return s, nil
			case c == '\\':
				return d.escaped(start, j)
			case c < 0x20:
				return "", errFallback
			case c >= 0x80:
				ascii = false
			}
		}
	}
	return "", errFallback
}

// Word-at-a-time tests on eight bytes of a string, little-endian: lo has
// 0x01 and hi 0x80 in every byte.
const (
	lo = 0x0101010101010101
	hi = 0x8080808080808080
)

// load64 reads s[j:j+8] as a little-endian word, in one load.
func load64(s string, j int) uint64 {
	w := s[j : j+8]
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(w), 8))
}

// special reports whether any byte of w is '"', '\\' or below 0x20: the
// word tests "has a zero byte" ((x-lo) &^ x & hi) and "has a byte below n"
// ((x-lo*n) &^ x & hi), exact for whether any byte matches.
func special(w uint64) bool {
	quote := w ^ (lo * '"')
	slash := w ^ (lo * '\\')
	return ((quote-lo)&^quote|(slash-lo)&^slash|(w-lo*0x20)&^w)&hi != 0
}

// escaped finishes a string with escapes that began at start; esc is the
// position of its first backslash.
func (d *scanner) escaped(start, esc int) (string, error) {
	b := append(d.sc.buf[:0], d.s[start:esc]...)
	defer func() { d.sc.buf = b[:0] }()
	j := esc
	for j < len(d.s) {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			if !utf8.Valid(b) {
				return "", errFallback
			}
			return d.sc.text.copy(unsafe.String(unsafe.SliceData(b), len(b))), nil
		case c < 0x20:
			return "", errFallback
		case c != '\\':
			b = append(b, c)
			j++
			continue
		}
		if j+1 >= len(d.s) {
			return "", errFallback
		}
		switch e := d.s[j+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if j+6 > len(d.s) {
				return "", errFallback
			}
			r, err := strconv.ParseUint(d.s[j+2:j+6], 16, 32)
			if err != nil || !isHex4(d.s[j+2:j+6]) || (r >= 0xD800 && r < 0xE000) {
				return "", errFallback
			}
			b = utf8.AppendRune(b, rune(r))
			j += 6
			continue
		default:
			return "", errFallback
		}
		j += 2
	}
	return "", errFallback
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// num reads a JSON number into a float64 as encoding/json does.
func (d *scanner) num() (float64, error) {
	start := d.i
	j := d.i
	if j < len(d.s) && d.s[j] == '-' {
		j++
	}
	switch {
	case j < len(d.s) && d.s[j] == '0':
		j++
	case j < len(d.s) && d.s[j] >= '1' && d.s[j] <= '9':
		for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
			j++
		}
	default:
		return 0, errFallback
	}
	if j < len(d.s) && d.s[j] == '.' {
		j++
		if j >= len(d.s) || d.s[j] < '0' || d.s[j] > '9' {
			return 0, errFallback
		}
		for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
			j++
		}
	}
	if j < len(d.s) && (d.s[j] == 'e' || d.s[j] == 'E') {
		j++
		if j < len(d.s) && (d.s[j] == '+' || d.s[j] == '-') {
			j++
		}
		if j >= len(d.s) || d.s[j] < '0' || d.s[j] > '9' {
			return 0, errFallback
		}
		for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
			j++
		}
	}
	f, err := strconv.ParseFloat(d.s[start:j], 64)
	if err != nil {
		return 0, errFallback
	}
	d.i = j
	return f, nil
}

func (d *scanner) boolean() (bool, error) {
	switch {
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return true, nil
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return false, nil
	}
	return false, errFallback
}

// time reads an RFC 3339 time the way time.Time's UnmarshalJSON does.
func (d *scanner) time() (time.Time, error) {
	start := d.i
	if _, err := d.str(); err != nil {
		return time.Time{}, err
	}
	var t time.Time
	if err := t.UnmarshalJSON([]byte(d.s[start:d.i])); err != nil {
		return time.Time{}, errFallback
	}
	return t, nil
}

// maxDepth bounds the nesting of unknown values the fast path skips.
const maxDepth = 32

// skip passes over one value of a field this build does not know.
func (d *scanner) skip(depth int) error {
	if depth > maxDepth || d.i >= len(d.s) {
		return errFallback
	}
	switch c := d.s[d.i]; {
	case c == '"':
		_, err := d.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.num()
		return err
	case c == 't' || c == 'f':
		_, err := d.boolean()
		return err
	case c == 'n':
		if strings.HasPrefix(d.s[d.i:], "null") {
			d.i += 4
			return nil
		}
		return errFallback
	case c == '[':
		d.i++
		if d.consume(']') {
			return nil
		}
		for {
			d.ws()
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if d.consume(',') {
				continue
			}
			if d.consume(']') {
				return nil
			}
			return errFallback
		}
	case c == '{':
		d.i++
		if d.consume('}') {
			return nil
		}
		for {
			d.ws()
			if _, err := d.str(); err != nil {
				return err
			}
			if !d.consume(':') {
				return errFallback
			}
			d.ws()
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if d.consume(',') {
				continue
			}
			if d.consume('}') {
				return nil
			}
			return errFallback
		}
	}
	return errFallback
}
