package capture_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	req := http.Header{}
	req.Set("Host", "market.onion")
	req.Set("User-Agent", "counternet-test")
	req.Set("Cookie", "session=secret")
	return &fetch.Page{
		URL:         "http://market.onion/listing/1",
		FinalURL:    "http://market.onion/listing/1?page=1",
		Status:      200,
		Header:      h,
		Body:        []byte(body),
		FetchedAt:   time.Date(2025, 3, 1, 12, 0, 0, 123, time.UTC),
		Duration:    1500 * time.Millisecond,
		Attempts:    2,
		Outcome:     fetch.OutcomeOK,
		Method:      http.MethodGet,
		Request:     req,
		CookiesSent: true,
	}
}

func shaOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha1B32(b []byte) string {
	sum := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

// members splits a WARC file into its decompressed gzip members.
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

// header returns a WARC header field of a record.
func header(rec, name string) string {
	head, _, _ := strings.Cut(rec, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(l, ": "); ok && strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func TestRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "captures")
	s, err := capture.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body := "<html>listing one</html>"
	rec, err := s.Put("harbor", page(body))
	if err != nil {
		t.Fatal(err)
	}
	if rec.SHA256 != shaOf(body) || rec.Bytes != int64(len(body)) {
		t.Errorf("record = %+v", rec)
	}
	if want := filepath.Join(dir, "harbor", "20250301-1.warc.gz"); rec.Path != want {
		t.Errorf("path = %s, want %s", rec.Path, want)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "harbor"): 0o700, rec.Path: 0o600,
		filepath.Join(dir, "index"): 0o700, filepath.Join(dir, "index", rec.SHA256[:2]+".idx"): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	recs := members(t, rec.Path)
	if len(recs) != 4 {
		t.Fatalf("%d records, want warcinfo, request, response, metadata", len(recs))
	}
	for i, typ := range []string{"warcinfo", "request", "response", "metadata"} {
		if got := header(recs[i], "WARC-Type"); got != typ {
			t.Errorf("record %d is %q, want %q", i, got, typ)
		}
		if !strings.HasPrefix(recs[i], "WARC/1.1\r\n") || !strings.HasSuffix(recs[i], "\r\n\r\n") {
			t.Errorf("record %d framing wrong", i)
		}
		_, block, _ := strings.Cut(recs[i], "\r\n\r\n")
		block = strings.TrimSuffix(block, "\r\n\r\n")
		if got := header(recs[i], "WARC-Block-Digest"); got != sha1B32([]byte(block)) {
			t.Errorf("record %d block digest %s, want %s", i, got, sha1B32([]byte(block)))
		}
	}
	req, resp, meta := recs[1], recs[2], recs[3]
	if !strings.Contains(req, "GET /listing/1?page=1 HTTP/1.1\r\nHost: market.onion\r\n") ||
		!strings.Contains(req, "User-Agent: counternet-test") {
		t.Errorf("request record:\n%s", req)
	}
	if strings.Contains(req+resp+meta, "secret") {
		t.Error("a cookie value was archived")
	}
	if header(resp, "WARC-Target-URI") != "http://market.onion/listing/1?page=1" ||
		header(resp, "WARC-Date") != "2025-03-01T12:00:00Z" ||
		header(resp, "WARC-Payload-Digest") != sha1B32([]byte(body)) ||
		header(resp, "Counternet-Payload-SHA256") != rec.SHA256 ||
		header(resp, "WARC-Concurrent-To") != header(req, "WARC-Record-ID") {
		t.Errorf("response record header:\n%s", resp)
	}
	if !strings.Contains(resp, "X-Counternet-Original-Content-Encoding: gzip") || strings.Contains(resp, "\r\nContent-Encoding:") {
		t.Errorf("content encoding not recorded as decoded:\n%s", resp)
	}
	if !strings.Contains(meta, "cookies-sent: true") || !strings.Contains(meta, "class: ok") {
		t.Errorf("metadata:\n%s", meta)
	}
	r, err := s.Response(rec.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Body) != body || !strings.HasPrefix(string(r.Head), "HTTP/1.1 200 OK\r\n") ||
		r.TargetURI != "http://market.onion/listing/1?page=1" || r.Offset != rec.Offset {
		t.Errorf("response = %+v", r)
	}
	got, err := s.Get(rec.SHA256)
	if err != nil || string(got) != body {
		t.Errorf("Get = %q, %v", got, err)
	}
}

func TestEveryFetchArchivedAndFilesRotate(t *testing.T) {
	dir := t.TempDir()
	s, err := capture.OpenWith(dir, capture.Options{MaxFileBytes: 2 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			body := fmt.Sprintf("<html>page %d %s</html>", i%10, strings.Repeat("x", 500))
			if _, err := s.Put("nebula", page(body)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := s.Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Errorf("files = %v, want rotation at 2 KiB", files)
	}
	responses := 0
	for _, f := range files {
		recs := members(t, filepath.Join(dir, f))
		if header(recs[0], "WARC-Type") != "warcinfo" {
			t.Errorf("%s does not start with warcinfo", f)
		}
		for _, r := range recs {
			if header(r, "WARC-Type") == "response" {
				responses++
			}
		}
	}
	if responses != 20 {
		t.Errorf("%d responses archived, want every one of 20 fetches", responses)
	}
	for i := range 10 {
		body := fmt.Sprintf("<html>page %d %s</html>", i, strings.Repeat("x", 500))
		locs, err := s.Locate(shaOf(body))
		if err != nil || len(locs) != 2 {
			t.Errorf("page %d: %d locations, %v; want 2", i, len(locs), err)
		}
		if got, err := s.Get(shaOf(body)); err != nil || string(got) != body {
			t.Errorf("page %d: Get = %v", i, err)
		}
	}
	if _, err := s.Put("nebula", page("late")); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
}

func TestTampered(t *testing.T) {
	body := "<html>original listing</html>"
	sha := shaOf(body)
	tests := []struct {
		name   string
		tamper func(t *testing.T, path string, rec capture.Record)
	}{
		{"body rewritten, digests kept", func(t *testing.T, path string, rec capture.Record) {
			recs := members(t, path)
			var buf bytes.Buffer
			for i, r := range recs {
				if i == 2 {
					r = strings.Replace(r, "original", "modified", 1)
				}
				zw := gzip.NewWriter(&buf)
				zw.Write([]byte(r))
				zw.Close()
			}
			os.WriteFile(path, buf.Bytes(), 0o600)
		}},
		{"compressed byte flipped", func(t *testing.T, path string, rec capture.Record) {
			b, _ := os.ReadFile(path)
			b[rec.Offset+rec.Length/2] ^= 0x01
			os.WriteFile(path, b, 0o600)
		}},
		{"file cut short", func(t *testing.T, path string, rec capture.Record) {
			b, _ := os.ReadFile(path)
			os.WriteFile(path, b[:rec.Offset+rec.Length/2], 0o600)
		}},
		{"not gzip", func(t *testing.T, path string, rec capture.Record) {
			os.WriteFile(path, []byte("WARC/1.1\r\n"), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := capture.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			rec, err := s.Put("m", page(body))
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			tt.tamper(t, rec.Path, rec)
			if _, err = s.Get(sha); !errors.Is(err, capture.ErrTampered) {
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
	for _, h := range []string{"", "abc", strings.Repeat("A", 64), "../" + strings.Repeat("a", 61), strings.Repeat("g", 64)} {
		if _, err := s.Get(h); !errors.Is(err, capture.ErrBadHash) {
			t.Errorf("Get(%q) = %v, want ErrBadHash", h, err)
		}
	}
	if _, err := s.Get(shaOf("never stored")); !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func TestPutWithoutResponse(t *testing.T) {
	s, err := capture.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put("m", &fetch.Page{URL: "http://x.onion/", Outcome: fetch.OutcomeError}); err == nil {
		t.Error("Put of a page without a response succeeded")
	}
	if _, err := s.Put("m", nil); err == nil {
		t.Error("Put(nil) succeeded")
	}
}

func TestTruncatedAndEmptyBodies(t *testing.T) {
	s, err := capture.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cut := page(strings.Repeat("y", 1000))
	cut.Truncated, cut.Outcome = true, fetch.OutcomeTruncated
	rec, err := s.Put("m", cut)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Response(rec.SHA256)
	if err != nil || r.Truncated != "length" || len(r.Body) != 1000 {
		t.Errorf("truncated capture = %+v, %v", r, err)
	}
	empty := page("")
	empty.Status = 204
	rec, err = s.Put("m", empty)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(rec.SHA256); err != nil || len(got) != 0 {
		t.Errorf("empty body = %q, %v", got, err)
	}
}
