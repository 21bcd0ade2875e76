package capture_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/fetch"
)

// warcioDir holds check.mjs and the pinned warcio.js (package-lock.json).
const warcioDir = "testdata/warcio"

// checkLine is one JSON line of check.mjs.
type checkLine struct {
	Kind string `json:"kind"`
	File string `json:"file"`

	// kind "record"
	Offset        int64    `json:"offset"`
	Length        int64    `json:"length"`
	Type          string   `json:"type"`
	TargetURI     string   `json:"target_uri"`
	Date          string   `json:"date"`
	RecordID      string   `json:"record_id"`
	ConcurrentTo  string   `json:"concurrent_to"`
	RefersTo      string   `json:"refers_to"`
	ContentLength int64    `json:"content_length"`
	PayloadDigest string   `json:"payload_digest"`
	PayloadSHA256 string   `json:"payload_sha256"`
	Truncated     string   `json:"truncated"`
	HTTPStatus    int      `json:"http_status"`
	PayloadLength int      `json:"payload_length"`
	BlockOK       bool     `json:"block_ok"`
	PayloadOK     *bool    `json:"payload_ok"`
	SHA256OK      *bool    `json:"sha256_ok"`
	EncodingOK    *bool    `json:"encoding_ok"`
	Errors        []string `json:"errors"`

	// kind "cdx" (warcio.js's CDX indexer; offset and length as above)
	URL    string `json:"url"`
	Status int    `json:"status"`
	Digest string `json:"digest"`
	Mime   string `json:"mime"`

	// kind "summary"
	Files   int            `json:"files"`
	Records int            `json:"records"`
	ByType  map[string]int `json:"by_type"`
	CDX     int            `json:"cdx"`
	Failed  int            `json:"failed"`
}

// warcioCheck runs check.mjs on files and returns its lines, its stderr and
// whether it exited 0.
func warcioCheck(t *testing.T, files []string) ([]checkLine, string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "node", append([]string{"check.mjs"}, files...)...)
	cmd.Dir = warcioDir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running node check.mjs: %v\n%s", err, stderr.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("node check.mjs did not finish in 60s\n%s", stderr.String())
	}
	var lines []checkLine
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l checkLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("check.mjs printed %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading check.mjs output: %v", err)
	}
	return lines, stderr.String(), err == nil
}

// warcioVersion returns the "version" of a package.json or lock entry.
func warcioVersion(t *testing.T, path string, lock bool) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var v struct {
		Version  string `json:"version"`
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if lock {
		return v.Packages["node_modules/warcio"].Version
	}
	return v.Version
}

// needWarcio makes sure node runs and the warcio.js of package-lock.json is
// installed in warcioDir, installing it with npm ci if not.
func needWarcio(t *testing.T) {
	t.Helper()
	const hint = "the WARC interoperability test needs Node.js >= 18 and npm " +
		"(Debian: apt-get install -y nodejs npm); it installs warcio.js itself with " +
		"npm ci --prefix internal/capture/testdata/warcio"
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node not found: %s", hint)
	}
	want := warcioVersion(t, filepath.Join(warcioDir, "package-lock.json"), true)
	if want == "" {
		t.Fatalf("%s/package-lock.json pins no warcio version", warcioDir)
	}
	if warcioVersion(t, filepath.Join(warcioDir, "node_modules", "warcio", "package.json"), false) == want {
		return
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("npm not found and %s/node_modules missing: %s", warcioDir, hint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = warcioDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("installing warcio.js with npm ci in %s: %v\n%s\n%s", warcioDir, err, out, hint)
	}
	if got := warcioVersion(t, filepath.Join(warcioDir, "node_modules", "warcio", "package.json"), false); got != want {
		t.Fatalf("npm ci installed warcio %q, package-lock.json pins %q", got, want)
	}
}

// market serves the pages a collector meets: plain and gzip-encoded HTML,
// a page past the size cap, a 404, binary junk labelled HTML, an image the
// client refuses, an empty 204, redirects (one to a Location with a raw
// space and UTF-8) and non-ASCII header values.
func market(t *testing.T) *httptest.Server {
	t.Helper()
	junk := make([]byte, 3000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(rng.UintN(256))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/listing/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "secret-session"})
		fmt.Fprint(w, "<html><body><h1>Listing 1</h1><p>2 g, 40 USD</p></body></html>")
	})
	mux.HandleFunc("/listing/gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprintf(zw, "<html><body>%s</body></html>", strings.Repeat("<p>compressed listing</p>", 200))
		zw.Close()
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<html>%s</html>", strings.Repeat("x", 64<<10))
	})
	mux.HandleFunc("/junk", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(junk)
	})
	mux.HandleFunc("/logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(junk)
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/search?q=caf%C3%A9+bl%C3%A5&page=2", http.StatusFound)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		// A Location with a raw space and raw UTF-8, as careless sites send.
		w.Header().Set("Location", "/search?q=caf\xc3\xa9 bar&page=3#results")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Vendor", "Café Blå 日本")
		w.Header().Set("X-Latin1", "caf\xe9")
		fmt.Fprintf(w, "<html>results for %s — ¥ €</html>", r.URL.Query().Get("q"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html>no such listing</html>")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestWARCFilesOpenInWarcio writes captures of real fetches with the real
// Store and reads every file back with webrecorder's warcio.js
// (testdata/warcio/check.mjs): every record must parse, the digests of what
// warcio.js reads must match the headers the writer put in, target URIs
// must be URIs, and warcio.js's CDX indexer must index each response where
// the store's own index says it is.
func TestWARCFilesOpenInWarcio(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node and warcio.js")
	}
	needWarcio(t)

	srv := market(t)
	addr := srv.Listener.Addr().String()
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	client := fetch.New(dial, fetch.Options{
		UserAgent: "counternet-test", Timeout: 5 * time.Second, MaxBytes: 16 << 10, Retries: -1,
	}, zerolog.Nop())
	t.Cleanup(client.Close)

	dir := t.TempDir()
	// Small files so that both sources rotate and every file is checked
	// from its own warcinfo on.
	store, err := capture.OpenWith(dir, capture.Options{MaxFileBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const harbor = "http://harborv3qs7mdmwkx5yvq3r4l2nxz6t6fhq7b5ojjnbk7k2w5vqzwlsyd.onion"
	const nebula = "http://nebulae4dbcxn3qtkqk2h5hj4m7t7lbqhwm2f6p2yyzhzqv7bdd3xkqd.onion"
	pages := []struct {
		source, url string
		status      int
		finalURL    string
		truncated   bool
		bodyLen     int // -1: not checked
	}{
		{"harbor", harbor + "/listing/1", 200, "", false, -1},
		{"harbor", harbor + "/listing/gz", 200, "", false, len("<html><body></body></html>") + 200*len("<p>compressed listing</p>")},
		{"harbor", harbor + "/huge", 200, "", true, 16 << 10},
		{"harbor", harbor + "/nope", 404, "", false, -1},
		{"nebula", nebula + "/junk", 200, "", false, 3000},
		{"nebula", nebula + "/logo.png", 200, "", false, 0},
		{"nebula", nebula + "/empty", 204, "", false, 0},
		{"nebula", nebula + "/old", 200, nebula + "/search?q=caf%C3%A9+bl%C3%A5&page=2", false, -1},
		// Archived as a URI: raw space and UTF-8 %-escaped.
		{"nebula", nebula + "/moved", 400, nebula + "/search?q=caf\xc3\xa9 bar&page=3", false, -1},
		{"nebula", nebula + "/listing/1", 200, "", false, -1},
	}
	// What WARC-Target-URI must say where it is not the final URL as is.
	escaped := map[string]string{
		nebula + "/search?q=caf\xc3\xa9 bar&page=3": nebula + "/search?q=caf%C3%A9%20bar&page=3",
	}
	type put struct {
		rec    capture.Record
		page   *fetch.Page
		target string
	}
	var puts []put
	for _, p := range pages {
		pg, err := client.Get(context.Background(), p.url)
		if pg == nil || pg.Status == 0 {
			t.Fatalf("fetching %s: no response: %v", p.url, err)
		}
		want := p.finalURL
		if want == "" {
			want = p.url
		}
		if pg.Status != p.status || pg.FinalURL != want || pg.Truncated != p.truncated ||
			(p.bodyLen >= 0 && len(pg.Body) != p.bodyLen) {
			t.Fatalf("fetching %s: status %d, final %s, truncated %t, %d bytes (%v)",
				p.url, pg.Status, pg.FinalURL, pg.Truncated, len(pg.Body), err)
		}
		rec, err := store.Put(p.source, pg)
		if err != nil {
			t.Fatal(err)
		}
		target := pg.FinalURL
		if e, ok := escaped[target]; ok {
			target = e
		}
		puts = append(puts, put{rec, pg, target})
	}
	// Pages no fetch makes but Put takes: a status without reason phrase,
	// odd header keys and values, a fragment, a CR/LF in the URL.
	odd := http.Header{"X_odd": {"a"}, "Empty": {""}, "Multi": {"1", "2"}}
	for _, p := range []struct {
		page   *fetch.Page
		target string
	}{
		{&fetch.Page{URL: nebula + "/cf", Status: 520, Header: odd, Body: []byte("origin down"), Outcome: fetch.OutcomeHTTPError},
			nebula + "/cf"},
		{&fetch.Page{URL: nebula + "/item?id=7#reviews", Status: 200, Body: []byte("<p>x</p>"), Outcome: fetch.OutcomeOK},
			nebula + "/item?id=7"},
		{&fetch.Page{URL: nebula + "/a b", FinalURL: nebula + "/y\r\nWARC-Type: revisit", Status: 200, Body: []byte("y"),
			Outcome: fetch.OutcomeOK}, nebula + "/y%0D%0AWARC-Type:%20revisit"},
	} {
		rec, err := store.Put("odd", p.page)
		if err != nil {
			t.Fatal(err)
		}
		puts = append(puts, put{rec, p.page, p.target})
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	rels, err := store.Files()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, rel := range rels {
		files = append(files, filepath.Join(dir, rel))
	}
	if len(files) < 4 {
		t.Fatalf("files = %v, want both sources rotated", rels)
	}

	for _, f := range files {
		if recs := members(t, f); strings.Contains(strings.Join(recs, ""), "secret-session") {
			t.Errorf("%s archives a cookie", f)
		}
	}

	lines, stderr, ok := warcioCheck(t, files)
	if !ok {
		t.Fatalf("warcio.js check failed:\n%s", stderr)
	}
	var sum checkLine
	records := map[string]checkLine{}   // by record id
	responses := map[string]checkLine{} // by file and offset
	cdx := map[string]checkLine{}       // by file and offset
	for _, l := range lines {
		switch l.Kind {
		case "record":
			records[l.RecordID] = l
			if l.Type == "response" {
				responses[fmt.Sprintf("%s@%d", l.File, l.Offset)] = l
			}
			if len(l.Errors) > 0 || !l.BlockOK {
				t.Errorf("%s@%d (%s): %v", l.File, l.Offset, l.Type, l.Errors)
			}
		case "cdx":
			cdx[fmt.Sprintf("%s@%d", l.File, l.Offset)] = l
		case "summary":
			sum = l
		}
	}
	t.Logf("warcio.js read %d files, %d records %v, %d cdx lines", sum.Files, sum.Records, sum.ByType, sum.CDX)
	wantTypes := map[string]int{"warcinfo": len(files), "request": len(puts), "response": len(puts), "metadata": len(puts)}
	if sum.Files != len(files) || sum.Failed != 0 || sum.Records != len(files)+3*len(puts) || len(records) != sum.Records ||
		fmt.Sprint(sum.ByType) != fmt.Sprint(wantTypes) || sum.CDX != len(puts) {
		t.Errorf("summary = %+v, want %d files and types %v", sum, len(files), wantTypes)
	}

	for _, p := range puts {
		// By path: each source has its own directory, and the same file
		// name (date and sequence) can occur in two of them.
		key := fmt.Sprintf("%s@%d", p.rec.Path, p.rec.Offset)
		resp, ok := responses[key]
		if !ok {
			t.Errorf("%s: warcio.js found no response record at %s", p.page.URL, key)
			continue
		}
		wantTrunc := ""
		if p.page.Truncated {
			wantTrunc = "length"
		}
		if resp.TargetURI != p.target || resp.HTTPStatus != p.page.Status || resp.Length != p.rec.Length ||
			resp.PayloadSHA256 != p.rec.SHA256 || resp.PayloadLength != len(p.page.Body) || resp.Truncated != wantTrunc ||
			resp.PayloadOK == nil || !*resp.PayloadOK || resp.SHA256OK == nil || !*resp.SHA256OK ||
			resp.EncodingOK == nil || !*resp.EncodingOK {
			t.Errorf("%s: warcio.js read response %+v, want target %s, status %d, sha256 %s, %d bytes, length %d",
				p.page.URL, resp, p.target, p.page.Status, p.rec.SHA256, len(p.page.Body), p.rec.Length)
		}
		req, ok := records[resp.ConcurrentTo]
		if !ok || req.Type != "request" || req.TargetURI != p.target || req.ConcurrentTo != resp.RecordID {
			t.Errorf("%s: request record %+v, want one concurrent to %s", p.page.URL, req, resp.RecordID)
		}
		var meta checkLine
		for _, l := range records {
			if l.RefersTo == resp.RecordID {
				meta = l
			}
		}
		if meta.Type != "metadata" || meta.TargetURI != p.target {
			t.Errorf("%s: metadata record %+v, want one referring to %s", p.page.URL, meta, resp.RecordID)
		}
		c, ok := cdx[key]
		if !ok || c.URL != p.target || c.Status != p.page.Status || "sha1:"+c.Digest != resp.PayloadDigest ||
			c.Length != p.rec.Length {
			t.Errorf("%s: warcio.js cdx line %+v, want url, status, digest and length of its response", p.page.URL, c)
		}
	}

	// The check is not vacuous: a body changed under unchanged digests, a
	// decoded body still labelled gzip, a file cut short must fail it.
	const ce = "Content-Encoding: gzip\r\nX-Pad: "
	orig := "X-Counternet-Original-Content-Encoding: gzip"
	last := puts[len(puts)-1].rec
	for _, tt := range []struct {
		name string
		warc []byte
		want []string
	}{
		{"body changed", rewriteMember(t, puts[0].rec, "Listing 1", "Listing 9"),
			[]string{"WARC-Payload-Digest", "Counternet-Payload-SHA256"}},
		{"decoded body labelled gzip", rewriteMember(t, puts[1].rec, orig, ce+strings.Repeat("x", len(orig)-len(ce))),
			[]string{"WARC-Block-Digest", "Content-Encoding gzip declared, payload does not decode"}},
		{"file cut short", cut(t, last.Path, last.Offset+last.Length/2), []string{"not whole gzip"}},
	} {
		tampered := filepath.Join(t.TempDir(), "tampered.warc.gz")
		if err := os.WriteFile(tampered, tt.warc, 0o600); err != nil {
			t.Fatal(err)
		}
		_, stderr, ok := warcioCheck(t, []string{tampered})
		for _, w := range tt.want {
			if ok || !strings.Contains(stderr, w) {
				t.Errorf("%s: check passed %t, want %q in stderr:\n%s", tt.name, ok, w, stderr)
			}
		}
	}
}

// cut returns the first n bytes of the file at path.
func cut(t *testing.T, path string, n int64) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw[:n]
}

// rewriteMember returns rec's WARC file with old replaced by new in the
// response record at rec.Offset, its gzip member rebuilt, digests unchanged.
func rewriteMember(t *testing.T, rec capture.Record, old, new string) []byte {
	t.Helper()
	raw, err := os.ReadFile(rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	member := raw[rec.Offset : rec.Offset+rec.Length]
	zr, err := gzip.NewReader(bytes.NewReader(member))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Contains(plain, []byte(old)) {
		t.Fatalf("response member: %v, %q not found", err, old)
	}
	var buf bytes.Buffer
	buf.Write(raw[:rec.Offset])
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Replace(plain, []byte(old), []byte(new), 1))
	zw.Close()
	buf.Write(raw[rec.Offset+rec.Length:])
	return buf.Bytes()
}

func TestTargetURIIsAURI(t *testing.T) {
	tests := []struct{ final, want string }{
		{"http://m.onion/listing/1?page=2&sort=asc", "http://m.onion/listing/1?page=2&sort=asc"},
		{"http://m.onion/a%20b/%C3%A9?q=%41;x=(1)*'!$,~", "http://m.onion/a%20b/%C3%A9?q=%41;x=(1)*'!$,~"},
		{"http://[::1]:8080/x", "http://[::1]:8080/x"},
		{"http://m.onion/search?q=caf\xc3\xa9 bar", "http://m.onion/search?q=caf%C3%A9%20bar"},
		{"http://m.onion/item#reviews", "http://m.onion/item"},
		{"http://m.onion/p?x={1}|<2>\"^`\\", "http://m.onion/p?x=%7B1%7D%7C%3C2%3E%22%5E%60%5C"},
		{"http://m.onion/100%zz?d=50%", "http://m.onion/100%25zz?d=50%25"},
		{"http://m.onion/y\r\nWARC-Type: revisit\x00\x7f", "http://m.onion/y%0D%0AWARC-Type:%20revisit%00%7F"},
	}
	s, err := capture.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, tt := range tests {
		body := fmt.Sprintf("page %d", i)
		rec, err := s.Put("m", &fetch.Page{URL: "http://m.onion/", FinalURL: tt.final, Status: 200, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Response(rec.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if r.TargetURI != tt.want {
			t.Errorf("target of %q = %q, want %q", tt.final, r.TargetURI, tt.want)
		}
	}
}
