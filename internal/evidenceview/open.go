package evidenceview

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/counternet/counternet/internal/capture"
)

// Evidence is a captured response read back from the evidence store and
// verified against its SHA-256.
type Evidence struct {
	SHA256 string
	// URL is the final URL fetched (WARC-Target-URI); Mirror its host.
	URL    string
	Mirror string
	// Source is the collector source whose WARC file holds the record
	// (the market or forum name as the store keeps it on disk).
	Source string
	// CapturedAt is when the response arrived (WARC-Date), UTC.
	CapturedAt time.Time
	// Status and ContentType are from the archived response head.
	Status      int
	ContentType string
	// Truncated is the WARC-Truncated reason ("length"), "" when whole.
	Truncated string
	// RecordID is the WARC-Record-ID of the response record; File (relative
	// to the store) and Offset say where it is.
	RecordID string
	File     string
	Offset   int64
	Body     []byte

	verified bool
}

// Open reads the capture with SHA-256 sha from store, verified by
// capture.Store.Response (it wraps capture.ErrBadHash, ErrNotFound or
// ErrTampered when the capture cannot be shown as evidence).
func Open(store *capture.Store, sha string) (*Evidence, error) {
	r, err := store.Response(sha)
	if err != nil {
		return nil, fmt.Errorf("opening evidence: %w", err)
	}
	ev := &Evidence{
		SHA256: r.SHA256, URL: r.TargetURI, Truncated: r.Truncated, RecordID: r.RecordID,
		Offset: r.Offset, Body: r.Body, verified: true,
	}
	if rel, err := filepath.Rel(store.Dir(), r.File); err == nil {
		ev.File = filepath.ToSlash(rel)
		ev.Source = filepath.Base(filepath.Dir(rel))
	}
	if u, err := url.Parse(r.TargetURI); err == nil {
		ev.Mirror = u.Host
	}
	if t, err := time.Parse(time.RFC3339Nano, r.Date); err == nil {
		ev.CapturedAt = t.UTC()
	} else {
		return nil, fmt.Errorf("opening evidence %s: WARC-Date %q: %w", sha, r.Date, err)
	}
	head, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(r.Head)), nil)
	if err != nil {
		return nil, fmt.Errorf("opening evidence %s: reading the archived response head: %w", sha, err)
	}
	head.Body.Close()
	ev.Status = head.StatusCode
	ev.ContentType = head.Header.Get("Content-Type")
	return ev, nil
}

// Sanitized returns the evidence's body through Sanitize with its archived
// Content-Type.
func (ev *Evidence) Sanitized() ([]byte, Report, error) {
	return Sanitize(ev.Body, ev.ContentType)
}
