package capture_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/fetch"
)

func page(body string) *fetch.Page {
	h := http.Header{}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", "12")
	h.Add("Set-Cookie", "session=secret")
	return &fetch.Page{
		URL:       "http://market.onion/listing/1",
		FinalURL:  "http://market.onion/listing/1?page=1",
		Status:    200,
		Header:    h,
		Body:      []byte(body),
		FetchedAt: time.Date(2025, 3, 1, 12, 0, 0, 123, time.UTC),
		Duration:  1500 * time.Millisecond,
		Attempts:  2,
		Outcome:   fetch.OutcomeOK,
	}
}

func shaOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// members splits a capture file into its decompressed gzip members.
func members(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	br := bytes.NewReader(raw)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		zr.Multistream(false)
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
		if err := zr.Reset(br); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "captures")
	s, err := capture.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("store dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	body := "<html><body>Listing 1: 10g, ships from NL</body></html>"
	rec, err := s.Put(page(body))
	if err != nil {
		t.Fatal(err)
	}
	sha := shaOf(body)
	if rec.SHA256 != sha || rec.Bytes != int64(len(body)) {
		t.Errorf("record = %+v, want sha %s and %d bytes", rec, sha, len(body))
	}
	if want := filepath.Join(dir, sha[:2], sha+".warc.gz"); rec.Path != want {
		t.Errorf("path = %s, want %s", rec.Path, want)
	}
	if fi, err := os.Stat(rec.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	got, err := s.Get(sha)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != body {
		t.Errorf("Get = %q, want %q", got, body)
	}

	recs := members(t, rec.Path)
	if len(recs) != 2 {
		t.Fatalf("file has %d gzip members, want 2 (one per record)", len(recs))
	}
	resp, meta := recs[0], recs[1]
	for _, want := range []string{
		"WARC/1.1\r\n", "WARC-Type: response\r\n", "WARC-Record-ID: <urn:uuid:",
		"WARC-Date: 2025-03-01T12:00:00Z\r\n",
		"WARC-Target-URI: http://market.onion/listing/1?page=1\r\n",
		"Content-Type: application/http;msgtype=response\r\n",
		"WARC-Payload-Digest: sha256:" + sha + "\r\n", "WARC-Block-Digest: sha256:",
		"HTTP/1.1 200 OK\r\n", "Content-Type: text/html; charset=utf-8\r\n",
		"X-Counternet-Original-Content-Encoding: gzip\r\n",
		"\r\n\r\n" + body + "\r\n\r\n",
	} {
		if !strings.Contains(resp, want) {
			t.Errorf("response record lacks %q", want)
		}
	}
	for _, banned := range []string{"Set-Cookie", "secret", "\r\nContent-Encoding:", "Content-Length: 12\r\n"} {
		if strings.Contains(resp, banned) {
			t.Errorf("response record contains %q", banned)
		}
	}
	for _, want := range []string{
		"WARC-Type: metadata\r\n", "WARC-Refers-To: <urn:uuid:", "Content-Type: application/warc-fields\r\n",
		"outcome: ok\r\n", "truncated: false\r\n", "attempts: 2\r\n",
		"requested-uri: http://market.onion/listing/1\r\n",
	} {
		if !strings.Contains(meta, want) {
			t.Errorf("metadata record lacks %q", want)
		}
	}
}

func TestIdempotent(t *testing.T) {
	dir := t.TempDir()
	s, err := capture.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Put(page("same body"))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(first.Path)
	p := page("same body")
	p.URL, p.FinalURL = "http://mirror.onion/x", "http://mirror.onion/x"
	second, err := s.Put(p)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("records differ: %+v vs %+v", first, second)
	}
	after, _ := os.ReadFile(first.Path)
	if !bytes.Equal(before, after) {
		t.Error("second Put rewrote the evidence")
	}
	var files []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if len(files) != 1 {
		t.Errorf("store holds %v, want one file", files)
	}
}

func TestTampered(t *testing.T) {
	body := "<html>original listing</html>"
	sha := shaOf(body)
	tests := []struct {
		name   string
		tamper func(t *testing.T, s *capture.Store, path string)
	}{
		{"body rewritten, digests recomputed", func(t *testing.T, s *capture.Store, path string) {
			// A well-formed capture of another body, placed under this hash.
			other, err := capture.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			rec, err := other.Put(page("<html>forged listing!</html>"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(rec.Path)
			os.WriteFile(path, b, 0o600)
		}},
		{"body rewritten, digests kept", func(t *testing.T, s *capture.Store, path string) {
			recs := members(t, path)
			forged := strings.Replace(recs[0], "original", "modified", 1)
			var buf bytes.Buffer
			for _, r := range []string{forged, recs[1]} {
				zw := gzip.NewWriter(&buf)
				zw.Write([]byte(r))
				zw.Close()
			}
			os.WriteFile(path, buf.Bytes(), 0o600)
		}},
		{"compressed byte flipped", func(t *testing.T, s *capture.Store, path string) {
			b, _ := os.ReadFile(path)
			b[len(b)/3] ^= 0x01
			os.WriteFile(path, b, 0o600)
		}},
		{"file cut short", func(t *testing.T, s *capture.Store, path string) {
			b, _ := os.ReadFile(path)
			os.WriteFile(path, b[:len(b)/2], 0o600)
		}},
		{"not gzip", func(t *testing.T, s *capture.Store, path string) {
			os.WriteFile(path, []byte("WARC/1.1\r\n"), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := capture.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			rec, err := s.Put(page(body))
			if err != nil {
				t.Fatal(err)
			}
			tt.tamper(t, s, rec.Path)
			_, err = s.Get(sha)
			if !errors.Is(err, capture.ErrTampered) {
				t.Errorf("Get = %v, want ErrTampered", err)
			}
		})
	}
}

func TestGetBadHashes(t *testing.T) {
	s, err := capture.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sha  string
		want error
	}{
		{"../../../../etc/passwd", capture.ErrBadHash},
		{"../" + strings.Repeat("a", 61), capture.ErrBadHash},
		{strings.Repeat("a", 62) + "/x", capture.ErrBadHash},
		{strings.Repeat("A", 64), capture.ErrBadHash},
		{strings.Repeat("a", 63), capture.ErrBadHash},
		{strings.Repeat("g", 64), capture.ErrBadHash},
		{"", capture.ErrBadHash},
		{strings.Repeat("a", 64), capture.ErrNotFound},
	}
	for _, tt := range tests {
		if _, err := s.Get(tt.sha); !errors.Is(err, tt.want) {
			t.Errorf("Get(%q) = %v, want %v", tt.sha, err, tt.want)
		}
	}
}

func TestPutWithoutResponse(t *testing.T) {
	s, err := capture.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(&fetch.Page{URL: "http://x.onion/", Outcome: fetch.OutcomeError}); err == nil {
		t.Error("Put of a page without a response succeeded")
	}
	if _, err := s.Put(nil); err == nil {
		t.Error("Put(nil) succeeded")
	}
}

func TestTruncatedAndEmptyBodies(t *testing.T) {
	s, err := capture.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"", "partial \r\n\r\n with blank lines\r\n\r\n"} {
		p := page(body)
		p.Truncated, p.Outcome = true, fetch.OutcomeTruncated
		rec, err := s.Put(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(rec.SHA256)
		if err != nil || string(got) != body {
			t.Errorf("Get = %q, %v; want %q", got, err, body)
		}
		if !strings.Contains(members(t, rec.Path)[1], "truncated: true\r\n") {
			t.Error("metadata does not record the truncation")
		}
	}
}
