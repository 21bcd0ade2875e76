// Package capture keeps raw responses as evidence: every fetched response
// is appended to a rotating WARC/1.1 file of its source as a "request"
// record (what was asked, without cookies), a "response" record (status
// line, headers without Set-Cookie, the body as received after transfer
// decompression) and a "metadata" record (outcome, class, truncation,
// attempts, charset), and indexed by the SHA-256 of its body so it can be
// read back by that hash, verified against it. A record's provenance
// (capture_sha256 in every event) points here.
//
// Layout, files 0600 and directories 0700:
//
//	<dir>/<source>/<YYYYMMDD>-<n>.warc.gz   one gzip member per record; a new file
//	                                       each UTC day and past Options.MaxFileBytes
//	<dir>/index/<sha256[0:2]>.idx           "<sha256> <file> <offset> <length>" per response
//
// WARC-Target-URI is the final URL as an RFC 3986 URI (bytes a URI cannot
// hold %-escaped, fragment dropped); the URL as asked for is in the
// metadata record.
//
// Each WARC file starts with a warcinfo record. Digests follow what
// standard WARC tools (warcio, gowarc, pywb) verify: WARC-Block-Digest and
// WARC-Payload-Digest are "sha1:<base32>"; the SHA-256 of the payload, the
// capture's address, is in the extension field Counternet-Payload-SHA256
// (lowercase hex) and in the metadata record. Every Put writes new records,
// even for a body already stored: each fetch is its own observation; Get
// returns the first that verifies.
package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/counternet/counternet/internal/fetch"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound marks a hash with no capture in the store.
	ErrNotFound = errors.New("capture not found")
	// ErrTampered marks a capture that no longer matches its hash: the body,
	// a digest or the WARC framing was changed or damaged.
	ErrTampered = errors.New("capture does not match its hash")
	// ErrBadHash marks a string that is not a lowercase hex SHA-256.
	ErrBadHash = errors.New("invalid sha256")
	// ErrClosed marks a Put on a closed store.
	ErrClosed = errors.New("capture store closed")
)

// DefaultMaxFileBytes is where a WARC file is rotated when Options leave it 0.
const DefaultMaxFileBytes = 1 << 30

// Limits on reading a capture back.
const (
	maxHeaderLine   = 16 << 10
	maxHeaderFields = 64
	maxBlock        = 1 << 30
	maxIndexLine    = 4 << 10
)

// Software names the writer in warcinfo records.
const Software = "counternet capture"

// Record says where a response was stored.
type Record struct {
	SHA256 string // lowercase hex SHA-256 of the body
	Path   string // the WARC file
	Offset int64  // where the response record's gzip member starts
	Length int64  // length of that member
	Bytes  int64  // body length
}

// Options configure a Store.
type Options struct {
	// MaxFileBytes rotates a source's WARC file once it is this large.
	MaxFileBytes int64
}

// Store is a directory of WARC files and their index. It is safe for
// concurrent use; several processes may share a directory (each writes its
// own files, index lines are appended whole).
type Store struct {
	dir  string
	opts Options

	mu     sync.Mutex
	files  map[string]*warcFile // by source
	closed bool
	// pending are the Puts written and not yet synced; retired the files
	// no longer written to (rotated, failed, closed store), closed once
	// synced. Both under mu.
	pending []*waiter
	retired []*warcFile
	// indexes are the index files open for appending, by path (at most
	// 256: one per first byte of a hash).
	indexes        map[string]*os.File
	retiredIndexes []*os.File

	// syncMu makes one Put at a time the leader that syncs what every
	// Put written so far wrote, with one fsync per file: concurrent Puts
	// share their fsyncs instead of queueing one behind the other.
	syncMu sync.Mutex
}

// waiter is one Put waiting for its records and index line to be on disk.
type waiter struct {
	wf    *warcFile
	index *os.File // its index file
	done  bool     // under syncMu
	err   error    // under syncMu
}

// warcFile is the open WARC file of one source.
type warcFile struct {
	f    *os.File
	rel  string // path relative to the store
	size int64
	day  string
}

// Open returns the store in dir, creating it (mode 0700) if needed, with
// default options.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith returns the store in dir with opts.
func OpenWith(dir string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening capture store %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, "index"), 0o700); err != nil {
		return nil, fmt.Errorf("opening capture store %s: %w", dir, err)
	}
	if err := os.Chmod(abs, 0o700); err != nil {
		return nil, fmt.Errorf("opening capture store %s: %w", dir, err)
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	return &Store{dir: abs, opts: opts, files: map[string]*warcFile{}, indexes: map[string]*os.File{}}, nil
}

// Dir returns the store's absolute directory.
func (s *Store) Dir() string { return s.dir }

// Close syncs and closes the open WARC files. It is idempotent; Put fails
// after it.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	for k, wf := range s.files {
		s.retired = append(s.retired, wf)
		delete(s.files, k)
	}
	s.mu.Unlock()
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	errs := []error{s.syncBatch()}
	s.mu.Lock()
	for path, f := range s.indexes {
		errs = append(errs, f.Close())
		delete(s.indexes, path)
	}
	s.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing capture store: %w", err)
	}
	return nil
}

func validSHA(sha string) bool {
	if len(sha) != 64 {
		return false
	}
	for i := 0; i < len(sha); i++ {
		c := sha[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// sourceDir keeps a source name to safe path characters.
func sourceDir(source string) string {
	if source == "" {
		return "_"
	}
	b := []byte(strings.ToLower(source))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			b[i] = '_'
		}
	}
	if len(b) > 100 {
		b = b[:100]
	}
	return string(b)
}

// Location is one indexed response record.
type Location struct {
	File   string // absolute path of the WARC file
	Offset int64
	Length int64
}

// Locate returns every indexed record of sha, oldest first.
func (s *Store) Locate(sha string) ([]Location, error) {
	if !validSHA(sha) {
		return nil, fmt.Errorf("locating capture: %w: %q", ErrBadHash, sha)
	}
	f, err := os.Open(filepath.Join(s.dir, "index", sha[:2]+".idx"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("locating capture %s: %w", sha, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 512), maxIndexLine)
	var out []Location
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 || fields[0] != sha {
			continue
		}
		off, err1 := strconv.ParseInt(fields[2], 10, 64)
		n, err2 := strconv.ParseInt(fields[3], 10, 64)
		rel := filepath.FromSlash(fields[1])
		if err1 != nil || err2 != nil || off < 0 || n <= 0 || !filepath.IsLocal(rel) {
			continue
		}
		out = append(out, Location{File: filepath.Join(s.dir, rel), Offset: off, Length: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading index of %s: %w", sha, err)
	}
	return out, nil
}

// Response is an archived response as read back and verified.
type Response struct {
	SHA256    string
	TargetURI string
	Date      string // WARC-Date
	RecordID  string
	Truncated string // WARC-Truncated, "" when whole
	File      string
	Offset    int64
	// Head is the HTTP status line and headers as archived, CRLF-separated,
	// ending with the blank line.
	Head []byte
	Body []byte
}

// Get returns the body stored under sha after checking it against sha and
// the record's digests. It returns ErrBadHash for a malformed sha,
// ErrNotFound when there is no such capture and ErrTampered when none of
// its records verifies.
func (s *Store) Get(sha string) ([]byte, error) {
	r, err := s.Response(sha)
	if err != nil {
		return nil, err
	}
	return r.Body, nil
}

// Response returns the archived response stored under sha, verified as Get
// does.
func (s *Store) Response(sha string) (*Response, error) {
	locs, err := s.Locate(sha)
	if err != nil {
		return nil, fmt.Errorf("reading capture: %w", err)
	}
	if len(locs) == 0 {
		return nil, fmt.Errorf("reading capture %s: %w", sha, ErrNotFound)
	}
	var errs []error
	for _, l := range locs {
		r, err := readAt(l, sha)
		if err == nil {
			return r, nil
		}
		errs = append(errs, fmt.Errorf("%s@%d: %w", filepath.Base(l.File), l.Offset, err))
	}
	return nil, fmt.Errorf("reading capture %s: %w: %w", sha, ErrTampered, errors.Join(errs...))
}

// readAt reads and verifies the response record at l. Its errors do not
// name l; the caller does.
func readAt(l Location, sha string) (*Response, error) {
	f, err := os.Open(l.File)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(l.Offset, io.SeekStart); err != nil {
		return nil, err
	}
	fields, block, err := readRecord(io.LimitReader(f, l.Length))
	if err != nil {
		return nil, err
	}
	if t := fields["warc-type"]; t != "response" {
		return nil, fmt.Errorf("record is %q, want response", t)
	}
	i := bytes.Index(block, []byte("\r\n\r\n"))
	if i < 0 {
		return nil, errors.New("response block has no end of headers")
	}
	payload := block[i+4:]
	if !verify(fields["warc-payload-digest"], payload) {
		return nil, fmt.Errorf("payload digest mismatch (header %q)", fields["warc-payload-digest"])
	}
	sum := sha256.Sum256(payload)
	if got := hex.EncodeToString(sum[:]); got != sha || fields["counternet-payload-sha256"] != sha {
		return nil, fmt.Errorf("body hashes to %s", got)
	}
	return &Response{
		SHA256: sha, TargetURI: fields["warc-target-uri"], Date: fields["warc-date"],
		RecordID: fields["warc-record-id"], Truncated: fields["warc-truncated"],
		File: l.File, Offset: l.Offset, Head: block[:i+4], Body: payload,
	}, nil
}

// Files returns the WARC files of the store, sorted, relative to Dir.
func (s *Store) Files() ([]string, error) {
	var out []string
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".warc.gz") {
			rel, _ := filepath.Rel(s.dir, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing warc files: %w", err)
	}
	sort.Strings(out)
	return out, nil
}

// field is one WARC header field.
type field struct{ name, value string }

// encode returns p's request, response and metadata records, each its own
// gzip member.
func encode(p *fetch.Page, sha string) ([][]byte, error) {
	date := p.FetchedAt.UTC()
	if date.IsZero() {
		date = time.Now().UTC()
	}
	var ids [3]string
	for i := range ids {
		id, err := recordID()
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	reqID, respID, metaID := ids[0], ids[1], ids[2]
	target := targetURI(p.FinalURL)
	if target == "" {
		target = targetURI(p.URL)
	}
	warcDate := date.Format(time.RFC3339)

	// Request: what was sent, Cookie left out (see metadata cookies-sent).
	var reqBlock bytes.Buffer
	method := p.Method
	if method == "" {
		method = http.MethodGet
	}
	fmt.Fprintf(&reqBlock, "%s %s HTTP/1.1\r\n", clean(method), requestTarget(target))
	rh := p.Request.Clone()
	if rh == nil {
		rh = http.Header{}
	}
	host := rh.Get("Host")
	rh.Del("Host")
	if host == "" {
		host = hostOf(target)
	}
	fmt.Fprintf(&reqBlock, "Host: %s\r\n", clean(host))
	if err := rh.WriteSubset(&reqBlock, map[string]bool{"Cookie": true, "Authorization": true, "Proxy-Authorization": true}); err != nil {
		return nil, err
	}
	reqBlock.WriteString("\r\n")

	var block bytes.Buffer
	fmt.Fprintf(&block, "HTTP/1.1 %d %s\r\n", p.Status, http.StatusText(p.Status))
	h := http.Header{}
	for k, v := range p.Header {
		h[k] = v
	}
	if ce := h.Get("Content-Encoding"); ce != "" {
		// Body is stored decoded; say what the wire carried.
		h.Set("X-Counternet-Original-Content-Encoding", ce)
	}
	h.Set("Content-Length", strconv.Itoa(len(p.Body)))
	if err := h.WriteSubset(&block, map[string]bool{
		"Set-Cookie": true, "Set-Cookie2": true, "Content-Encoding": true, "Transfer-Encoding": true,
	}); err != nil {
		return nil, err
	}
	block.WriteString("\r\n")
	block.Write(p.Body)

	respFields := []field{
		{"WARC-Type", "response"},
		{"WARC-Record-ID", respID},
		{"WARC-Date", warcDate},
		{"WARC-Target-URI", target},
		{"WARC-Concurrent-To", reqID},
		{"Content-Type", "application/http;msgtype=response"},
		{"WARC-Block-Digest", digest(block.Bytes())},
		{"WARC-Payload-Digest", digest(p.Body)},
		{"Counternet-Payload-SHA256", sha},
	}
	if p.Truncated {
		respFields = append(respFields, field{"WARC-Truncated", "length"})
	}
	var meta bytes.Buffer
	fmt.Fprintf(&meta, "requested-uri: %s\r\n", clean(p.URL))
	fmt.Fprintf(&meta, "payload-sha256: %s\r\n", sha)
	fmt.Fprintf(&meta, "outcome: %s\r\n", clean(p.Outcome))
	fmt.Fprintf(&meta, "class: %s\r\n", clean(p.Class()))
	if p.Blocked != "" {
		fmt.Fprintf(&meta, "blocked: %s\r\n", clean(p.Blocked))
	}
	fmt.Fprintf(&meta, "truncated: %t\r\n", p.Truncated)
	fmt.Fprintf(&meta, "attempts: %d\r\n", p.Attempts)
	fmt.Fprintf(&meta, "cookies-sent: %t\r\n", p.CookiesSent)
	if p.Charset != "" {
		fmt.Fprintf(&meta, "charset: %s\r\n", clean(p.Charset))
	}
	if p.CharsetFlag != "" {
		fmt.Fprintf(&meta, "charset-flag: %s\r\n", clean(p.CharsetFlag))
	}
	fmt.Fprintf(&meta, "fetched-at: %s\r\n", date.Format(time.RFC3339Nano))
	fmt.Fprintf(&meta, "duration-ms: %d\r\n", p.Duration.Milliseconds())

	var out [][]byte
	for _, r := range []struct {
		fields []field
		block  []byte
	}{
		{[]field{
			{"WARC-Type", "request"}, {"WARC-Record-ID", reqID}, {"WARC-Date", warcDate},
			{"WARC-Target-URI", target}, {"WARC-Concurrent-To", respID},
			{"Content-Type", "application/http;msgtype=request"},
			{"WARC-Block-Digest", digest(reqBlock.Bytes())},
		}, reqBlock.Bytes()},
		{respFields, block.Bytes()},
		{[]field{
			{"WARC-Type", "metadata"}, {"WARC-Record-ID", metaID}, {"WARC-Refers-To", respID},
			{"WARC-Date", warcDate}, {"WARC-Target-URI", target},
			{"Content-Type", "application/warc-fields"},
			{"WARC-Block-Digest", digest(meta.Bytes())},
		}, meta.Bytes()},
	} {
		b, err := member(r.fields, r.block)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// warcinfo returns the record that opens a WARC file.
func warcinfo(filename string) ([]byte, error) {
	id, err := recordID()
	if err != nil {
		return nil, err
	}
	block := []byte("software: " + Software + "\r\nformat: WARC File Format 1.1\r\n" +
		"conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n" +
		"description: responses fetched through Tor by counternet; cookies are not archived\r\n")
	return member([]field{
		{"WARC-Type", "warcinfo"}, {"WARC-Record-ID", id},
		{"WARC-Date", time.Now().UTC().Format(time.RFC3339)},
		{"WARC-Filename", filepath.Base(filename)},
		{"Content-Type", "application/warc-fields"},
		{"WARC-Block-Digest", digest(block)},
	}, block)
}

// gzipWriters holds the gzip writers members reuse (a writer's compressor
// is most of a megabyte: one per member made the collector's evidence
// writes its heaviest CPU and garbage); gzipSlots bounds how many exist.
var (
	gzipSlots   = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	gzipWriters = make(chan *gzip.Writer, cap(gzipSlots))
)

// member returns one WARC record as its own gzip member.
func member(fields []field, block []byte) ([]byte, error) {
	var head bytes.Buffer
	head.WriteString("WARC/1.1\r\n")
	for _, f := range fields {
		head.WriteString(f.name + ": " + f.value + "\r\n")
	}
	head.WriteString("Content-Length: " + strconv.Itoa(len(block)) + "\r\n\r\n")

	var buf bytes.Buffer
	buf.Grow(len(block)/3 + 512)
	gzipSlots <- struct{}{}
	var zw *gzip.Writer
	select {
	case zw = <-gzipWriters:
		zw.Reset(&buf)
	default:
		zw = gzip.NewWriter(&buf)
	}
	defer func() {
		gzipWriters <- zw
		<-gzipSlots
	}()
	for _, b := range [][]byte{head.Bytes(), block, []byte("\r\n\r\n")} {
		if _, err := zw.Write(b); err != nil {
			return nil, fmt.Errorf("writing warc record: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("writing warc record: %w", err)
	}
	return buf.Bytes(), nil
}

// readRecord reads one gzip member holding one WARC record, checks its
// block digest and returns its header fields (lower-case names) and block.
func readRecord(r io.Reader) (map[string]string, []byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("decompressing: %w", err)
	}
	zr.Multistream(false)
	br := bufio.NewReaderSize(zr, maxHeaderLine)
	line, err := readLine(br)
	if err != nil {
		return nil, nil, err
	}
	if line != "WARC/1.1" && line != "WARC/1.0" {
		return nil, nil, fmt.Errorf("not a warc record: %.40q", line)
	}
	fields := make(map[string]string)
	for n := 0; ; n++ {
		line, err := readLine(br)
		if err != nil {
			return nil, nil, err
		}
		if line == "" {
			break
		}
		if n >= maxHeaderFields {
			return nil, nil, errors.New("too many warc header fields")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, fmt.Errorf("malformed warc header line %.40q", line)
		}
		fields[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	n, err := strconv.ParseInt(fields["content-length"], 10, 64)
	if err != nil || n < 0 || n > maxBlock {
		return nil, nil, fmt.Errorf("bad warc content-length %q", fields["content-length"])
	}
	block, err := io.ReadAll(io.LimitReader(br, n))
	if err != nil {
		return nil, nil, fmt.Errorf("reading block: %w", err)
	}
	if int64(len(block)) != n {
		return nil, nil, fmt.Errorf("block is %d bytes, header says %d", len(block), n)
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(br, 8)); err != nil {
		return nil, nil, fmt.Errorf("reading record end: %w", err)
	}
	if !verify(fields["warc-block-digest"], block) {
		return nil, nil, fmt.Errorf("block digest mismatch (header %q)", fields["warc-block-digest"])
	}
	return fields, block, nil
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errors.New("warc header line too long")
	}
	if err != nil {
		return "", fmt.Errorf("reading warc header: %w", err)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// digest is the WARC digest standard tools expect: "sha1:" and the SHA-1 in
// base32.
func digest(b []byte) string {
	sum := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

// verify checks a "sha1:<base32>" or "sha256:<hex>" digest label.
func verify(label string, b []byte) bool {
	alg, val, ok := strings.Cut(label, ":")
	if !ok {
		return false
	}
	switch strings.ToLower(alg) {
	case "sha1":
		return digest(b) == "sha1:"+strings.ToUpper(val)
	case "sha256":
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:]) == strings.ToLower(val)
	}
	return false
}

// recordID returns a fresh "<urn:uuid:...>" (random, version 4).
func recordID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", fmt.Errorf("making record id: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return "<urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + ">", nil
}

// requestTarget is the path and query of a URL for a request line.
func requestTarget(rawURL string) string {
	if i := strings.Index(rawURL, "://"); i >= 0 {
		rest := rawURL[i+3:]
		if j := strings.IndexAny(rest, "/?"); j >= 0 {
			t := rest[j:]
			if strings.HasPrefix(t, "?") {
				t = "/" + t
			}
			return t
		}
		return "/"
	}
	return rawURL
}

func hostOf(rawURL string) string {
	if i := strings.Index(rawURL, "://"); i >= 0 {
		rest := rawURL[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			return rest[:j]
		}
		return rest
	}
	return ""
}

// targetURI is rawURL as WARC-Target-URI wants it, an RFC 3986 URI: the
// fragment (never sent) dropped, and every byte a URI cannot hold (space,
// control, non-ASCII, any of < > " { | } \ ^ `, a "%" not starting an
// escape) %-escaped. A valid URI is returned unchanged. Without it a URL with a
// raw space (a careless redirect's query) breaks the request line and the
// space-separated CDX lines replay tools index captures by.
func targetURI(rawURL string) string {
	if i := strings.IndexByte(rawURL, '#'); i >= 0 {
		rawURL = rawURL[:i]
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(rawURL); i++ {
		c := rawURL[i]
		switch {
		case c == '%' && i+2 < len(rawURL) && isHex(rawURL[i+1]) && isHex(rawURL[i+2]):
			b.WriteByte(c)
		case c > ' ' && c < 0x7f && c != '%' && !strings.ContainsRune("<>\"{|}\\^`", rune(c)):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// clean keeps a value on one header line.
func clean(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
