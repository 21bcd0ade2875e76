package capture

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/counternet/counternet/internal/fetch"
)

// The write path: Put encodes outside the store's lock, appends under it,
// and waits for a sync that one Put (the leader) does for every Put written
// so far, so 64 pages arriving together cost a few fsyncs, not 128 in a
// row.

// Put archives p (which must have a response: Status > 0) fetched for
// source, and returns where its response record is.
func (s *Store) Put(source string, p *fetch.Page) (Record, error) {
	if p == nil || p.Status == 0 {
		return Record{}, errors.New("capturing page: no response to capture")
	}
	sum := sha256.Sum256(p.Body)
	sha := hex.EncodeToString(sum[:])
	recs, err := encode(p, sha)
	if err != nil {
		return Record{}, fmt.Errorf("capturing %s: %w", p.FinalURL, err)
	}
	rec, w, err := s.write(source, p, sha, recs)
	if err != nil {
		return Record{}, fmt.Errorf("capturing %s: %w", p.FinalURL, err)
	}
	if err := s.wait(w); err != nil {
		return Record{}, fmt.Errorf("capturing %s: %w", p.FinalURL, err)
	}
	return rec, nil
}

// write appends the encoded records of p to its source's WARC file and
// their index line to the index, and returns the waiter for their sync.
func (s *Store) write(source string, p *fetch.Page, sha string, recs [][]byte) (Record, *waiter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Record{}, nil, ErrClosed
	}
	date := p.FetchedAt.UTC()
	if date.IsZero() {
		date = time.Now().UTC()
	}
	wf, err := s.file(source, date.Format("20060102"))
	if err != nil {
		return Record{}, nil, err
	}
	rec := Record{SHA256: sha, Path: filepath.Join(s.dir, wf.rel), Bytes: int64(len(p.Body))}
	all := bytes.Join(recs, nil)
	rec.Offset = wf.size + int64(len(recs[0]))
	rec.Length = int64(len(recs[1]))
	if _, err := wf.f.Write(all); err != nil {
		// Part of the records may be in the file now, so its size is no
		// longer known: the next Put starts a new file rather than index
		// its records at wrong offsets. Puts written to it before are
		// still synced (or fail) with it.
		s.retired = append(s.retired, wf)
		delete(s.files, sourceDir(source))
		return Record{}, nil, fmt.Errorf("writing %s: %w", wf.rel, err)
	}
	wf.size += int64(len(all))
	index, err := s.index(sha, wf.rel, rec.Offset, rec.Length)
	if err != nil {
		return Record{}, nil, err
	}
	w := &waiter{wf: wf, index: index}
	s.pending = append(s.pending, w)
	return rec, w, nil
}

// wait returns once w's records and index line are synced to disk (by this
// Put or by one that synced them with its own), with the error of their
// files' sync.
func (s *Store) wait(w *waiter) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if !w.done {
		_ = s.syncBatch() // w is in this batch; its own error is in w.err
	}
	return w.err
}

// syncBatch syncs every file the pending Puts wrote to, once each, tells
// each Put the error of its files, and closes the retired files. s.syncMu
// is held. It returns the first error.
func (s *Store) syncBatch() error {
	s.mu.Lock()
	batch, retired, retiredIndexes := s.pending, s.retired, s.retiredIndexes
	s.pending, s.retired, s.retiredIndexes = nil, nil, nil
	s.mu.Unlock()
	// Each file once, WARC files first, several at a time: a batch of
	// pages touches up to one index file per page.
	errs := map[*os.File]error{}
	var order []*os.File
	for _, w := range batch {
		if _, ok := errs[w.wf.f]; !ok {
			errs[w.wf.f] = nil
			order = append(order, w.wf.f)
		}
	}
	warcs := len(order)
	for _, w := range batch {
		if _, ok := errs[w.index]; !ok {
			errs[w.index] = nil
			order = append(order, w.index)
		}
	}
	results := make([]error, len(order))
	syncAll(order[:warcs], results[:warcs])
	syncAll(order[warcs:], results[warcs:])
	for i, f := range order {
		if results[i] != nil {
			errs[f] = fmt.Errorf("syncing %s: %w", f.Name(), results[i])
		}
	}
	var first error
	for _, w := range batch {
		w.err = errors.Join(errs[w.wf.f], errs[w.index])
		w.done = true
		if first == nil {
			first = w.err
		}
	}
	for _, wf := range retired {
		// Synced above when a Put of this batch wrote to it, and by an
		// earlier batch otherwise: closing loses nothing.
		_ = wf.f.Close()
	}
	for _, f := range retiredIndexes {
		_ = f.Close()
	}
	return first
}

// syncAll syncs files, up to 16 at a time, with each one's error in errs.
func syncAll(files []*os.File, errs []error) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, 16)
	for i, f := range files {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			errs[i] = f.Sync()
			<-slots
		}()
	}
	wg.Wait()
}

// file returns the source's current WARC file, rotating it on a new day or
// past the size limit. s.mu is held.
func (s *Store) file(source, day string) (*warcFile, error) {
	key := sourceDir(source)
	wf := s.files[key]
	if wf != nil && wf.day == day && wf.size < s.opts.MaxFileBytes {
		return wf, nil
	}
	if wf != nil {
		// Closed by the next sync, once what was written to it is synced.
		s.retired = append(s.retired, wf)
		delete(s.files, key)
	}
	dir := filepath.Join(s.dir, key)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	n, err := nextNumber(dir, day)
	if err != nil {
		return nil, err
	}
	for ; ; n++ {
		rel := filepath.Join(key, fmt.Sprintf("%s-%d.warc.gz", day, n))
		f, err := os.OpenFile(filepath.Join(s.dir, rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // another process took this number
		}
		if err != nil {
			return nil, fmt.Errorf("creating warc file: %w", err)
		}
		info, err := warcinfo(rel)
		if err == nil {
			_, err = f.Write(info)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("writing warcinfo to %s: %w", rel, err)
		}
		wf = &warcFile{f: f, rel: rel, size: int64(len(info)), day: day}
		s.files[key] = wf
		return wf, nil
	}
}

// nextNumber returns one more than the highest n of dir/<day>-<n>.warc.gz.
func nextNumber(dir, day string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("listing %s: %w", dir, err)
	}
	n := 1
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), day+"-")
		if !ok {
			continue
		}
		if v, err := strconv.Atoi(strings.TrimSuffix(rest, ".warc.gz")); err == nil && v >= n {
			n = v + 1
		}
	}
	return n, nil
}

// index appends one index line, whole (one write to a file opened for
// appending), to the hash's index file and returns the file; the Put syncs
// it (wait). s.mu is held.
func (s *Store) index(sha, rel string, off, length int64) (*os.File, error) {
	path := filepath.Join(s.dir, "index", sha[:2]+".idx")
	f := s.indexes[path]
	if f == nil {
		var err error
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
			return nil, fmt.Errorf("opening index: %w", err)
		}
		s.indexes[path] = f
	}
	line := fmt.Sprintf("%s %s %d %d\n", sha, filepath.ToSlash(rel), off, length)
	if _, err := f.WriteString(line); err != nil {
		// Closed once the Puts written to it are synced; the next Put
		// opens it again.
		delete(s.indexes, path)
		s.retiredIndexes = append(s.retiredIndexes, f)
		return nil, fmt.Errorf("writing index: %w", err)
	}
	return f, nil
}
