package bus

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/counternet/counternet/internal/event"
)

// Outbox keeps on disk the events JetStream did not acknowledge after every
// retry, so that a bus outage longer than a run loses nothing: the run
// reports them by id and spools them here, and the next run publishes them
// before anything else. Each spool is one file of JSON lines (one message
// each), written to a temporary name, synced and renamed, mode 0600; a file
// is removed only once every message in it was acknowledged. Messages keep
// their ids, so a spooled event that did reach the stream after all is
// stored once (Nats-Msg-Id within the duplicate window, event_id in
// ClickHouse after it).
type Outbox struct {
	dir string
	mu  sync.Mutex // one spool or flush at a time within this process
	seq int
}

// OpenOutbox opens (creating it, mode 0700) the outbox directory dir.
func OpenOutbox(dir string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening outbox: %w", err)
	}
	return &Outbox{dir: dir}, nil
}

// Dir is the outbox directory.
func (o *Outbox) Dir() string { return o.dir }

// Spool writes msgs to a new file of the outbox and returns its path.
func (o *Outbox) Spool(msgs []Message) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	name := fmt.Sprintf("%020d-%d-%d.jsonl", time.Now().UnixNano(), os.Getpid(), o.seq)
	path := filepath.Join(o.dir, name)
	if err := writeSpool(path, msgs); err != nil {
		return "", fmt.Errorf("spooling %d events to the outbox: %w", len(msgs), err)
	}
	return path, nil
}

// writeSpool writes msgs to path atomically: a temporary file, synced,
// then renamed over path.
func writeSpool(path string, msgs []Message) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, m := range msgs {
		if err := enc.Encode(m); err != nil {
			f.Close()
			os.Remove(tmp)
			return err
		}
	}
	if err := w.Flush(); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// files lists the spool files, oldest first.
func (o *Outbox) files() ([]string, error) {
	entries, err := os.ReadDir(o.dir)
	if err != nil {
		return nil, fmt.Errorf("reading outbox: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".jsonl") {
			out = append(out, filepath.Join(o.dir, e.Name()))
		}
	}
	slices.Sort(out)
	return out, nil
}

// readSpool reads the messages of one spool file, each line bounded by
// MaxSpoolLine.
func readSpool(path string) ([]Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var msgs []Message
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), MaxSpoolLine)
	for line := 1; sc.Scan(); line++ {
		var m Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		msgs = append(msgs, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return msgs, nil
}

// MaxSpoolLine bounds one line of a spool file: a message of the largest
// size an event may have, base64-encoded, with its subject and headers.
const MaxSpoolLine = 8 << 20

// Pending counts the events waiting in the outbox (an envelope counts
// the events inside it).
func (o *Outbox) Pending() (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	files, err := o.files()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range files {
		msgs, err := readSpool(f)
		if err != nil {
			return n, fmt.Errorf("reading outbox: %w", err)
		}
		n += countEvents(msgs)
	}
	return n, nil
}

// Flush publishes the outbox's messages through p, oldest spool first, and
// removes each file once all its messages were acknowledged. When some of a
// file's messages were not, the file is rewritten with just those and Flush
// returns the publish error (a *NotStoredError); nothing is removed that was
// not stored. A file it cannot read is left as it is, named in the error,
// and the files after it are still flushed. It returns how many events
// were published (an envelope counts the events inside it).
func (o *Outbox) Flush(ctx context.Context, p interface {
	Publish(context.Context, []Message) error
}) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	files, err := o.files()
	if err != nil {
		return 0, err
	}
	published := 0
	var errs []error // files left unread
	for _, path := range files {
		msgs, err := readSpool(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("flushing outbox: %w", err))
			continue
		}
		perr := p.Publish(ctx, msgs)
		var nse *NotStoredError
		switch {
		case perr == nil:
			if err := os.Remove(path); err != nil {
				return published, errors.Join(append(errs, fmt.Errorf("flushing outbox: %w", err))...)
			}
			published += countEvents(msgs)
		case errors.As(perr, &nse):
			failed := nse.ids()
			left := slices.DeleteFunc(slices.Clone(msgs), func(m Message) bool { return !failed[m.ID] })
			if err := writeSpool(path, left); err != nil {
				return published, errors.Join(append(errs, perr, fmt.Errorf("rewriting %s: %w", path, err))...)
			}
			return published + countEvents(msgs) - countEvents(left), errors.Join(append(errs, perr)...)
		default:
			return published, errors.Join(append(errs, perr)...)
		}
	}
	return published, errors.Join(errs...)
}

// Spooling publishes through P, and spools to Outbox whatever P reports not
// stored. Its error is still the *NotStoredError naming those events (a
// run reports them as not on the bus), with the spool file added.
type Spooling struct {
	P interface {
		Publish(context.Context, []Message) error
	}
	Outbox *Outbox
}

// Publish publishes msgs, spooling the ones not stored.
func (s Spooling) Publish(ctx context.Context, msgs []Message) error {
	err := s.P.Publish(ctx, msgs)
	var nse *NotStoredError
	if !errors.As(err, &nse) {
		return err
	}
	failed := nse.ids()
	var left []Message
	for _, m := range msgs {
		if failed[m.ID] {
			left = append(left, m)
			delete(failed, m.ID) // a message listed twice is spooled once
		}
	}
	path, serr := s.Outbox.Spool(left)
	if serr != nil {
		return errors.Join(err, serr)
	}
	return fmt.Errorf("%w; %s kept in %s, published first by the next run", err, plural(countEvents(left), "event"), path)
}

// ids is the set of event ids e names.
func (e *NotStoredError) ids() map[string]bool {
	ids := make(map[string]bool, len(e.Failures))
	for _, f := range e.Failures {
		ids[f.ID] = true
	}
	return ids
}

// countEvents counts the events of msgs: the events inside an envelope
// (as its header says, when it reads), one for any other message.
func countEvents(msgs []Message) int {
	n := 0
	for _, m := range msgs {
		if event.IsEnvelopeSubject(m.Subject) {
			if h, _, err := event.OpenEnvelope(m.Subject, m.Data); err == nil {
				n += h.Events
				continue
			}
		}
		n++
	}
	return n
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
