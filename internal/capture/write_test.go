package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/fetch"
)

// TestFailedWriteStartsNewFile checks that after a write that may have left
// part of its records in a WARC file, later captures of that source go to a
// new file and read back by their hash: none is indexed at an offset the
// torn write moved.
func TestFailedWriteStartsNewFile(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pg := func(body string) *fetch.Page {
		return &fetch.Page{
			URL: "http://market.onion/", FinalURL: "http://market.onion/", Status: 200,
			Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte(body),
			FetchedAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), Outcome: fetch.OutcomeOK,
		}
	}
	first, err := s.Put("alpha", pg("<p>first</p>"))
	if err != nil {
		t.Fatal(err)
	}
	// A torn write: stray bytes at the end of the file, and the handle
	// failing.
	wf := s.files[sourceDir("alpha")]
	stray, err := os.OpenFile(first.Path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stray.WriteString("torn record"); err != nil {
		t.Fatal(err)
	}
	stray.Close()
	wf.f.Close()
	if _, err := s.Put("alpha", pg("<p>lost</p>")); err == nil {
		t.Fatal("Put on a failing file succeeded")
	}

	third, err := s.Put("alpha", pg("<p>third</p>"))
	if err != nil {
		t.Fatalf("Put after a failed write: %v", err)
	}
	if third.Path == first.Path {
		t.Errorf("capture after a failed write went to the same file %s", third.Path)
	}
	for _, r := range []Record{first, third} {
		if _, err := s.Get(r.SHA256); err != nil {
			t.Errorf("Get(%s): %v", r.SHA256, err)
		}
	}
	lost := sha256.Sum256([]byte("<p>lost</p>"))
	if _, err := s.Get(hex.EncodeToString(lost[:])); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of the failed capture = %v, want ErrNotFound", err)
	}
}

// TestConcurrentPutsShareSyncs puts many pages at once (the collector's 64
// fetches in flight), as the group sync serves them, and reads every one
// back by its hash from a store reopened after Close.
func TestConcurrentPutsShareSyncs(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	recs := make([]Record, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			var err error
			recs[i], err = s.Put("alpha", &fetch.Page{
				URL: "http://market.onion/", FinalURL: "http://market.onion/", Status: 200,
				Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<p>page " + strconv.Itoa(i) + "</p>"),
				FetchedAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), Outcome: fetch.OutcomeOK,
			})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Put("alpha", &fetch.Page{Status: 200, FinalURL: "http://market.onion/"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, rec := range recs {
		body, err := r.Get(rec.SHA256)
		if err != nil || string(body) != "<p>page "+strconv.Itoa(i)+"</p>" {
			t.Fatalf("page %d: %q, %v", i, body, err)
		}
	}
}
