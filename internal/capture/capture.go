// Package capture keeps raw responses as evidence: each fetched page is
// written as a gzip-compressed WARC/1.1 file named by the SHA-256 of its body,
// and can be read back by that hash, verified against it. A record's
// provenance (capture_sha256 in every event) points here.
//
// Layout: <dir>/<sha[0:2]>/<sha>.warc.gz, files 0600, directories 0700. Each
// file holds a "response" record (HTTP status line, headers without cookies,
// the body as received after decompression) and a "metadata" record (outcome,
// truncation, attempts), one gzip member per record as WARC tools expect.
// Digests are labelled "sha256:<lowercase hex>".
package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
)

// Limits on reading a capture back.
const (
	maxHeaderLine   = 16 << 10
	maxHeaderFields = 64
	maxBlock        = 1 << 30
)

// Record says where a page was stored.
type Record struct {
	SHA256 string // lowercase hex SHA-256 of the body
	Path   string // the WARC file
	Bytes  int64  // body length
}

// Store is a directory of captures. It is safe for concurrent use, also by
// several processes sharing the directory.
type Store struct {
	dir string
}

// Open returns the store in dir, creating it (mode 0700) if needed.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening capture store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("opening capture store %s: %w", dir, err)
	}
	return &Store{dir: abs}, nil
}

// Dir returns the store's absolute directory.
func (s *Store) Dir() string { return s.dir }

// Path returns where the capture with hash sha is (or would be) stored.
func (s *Store) Path(sha string) (string, error) {
	if !validSHA(sha) {
		return "", fmt.Errorf("%w: %q", ErrBadHash, sha)
	}
	return filepath.Join(s.dir, sha[:2], sha+".warc.gz"), nil
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

// Put stores p (which must have a response: Status > 0) and returns its
// record. Storing a body already in the store writes nothing and returns the
// existing file: the first capture of a body is the evidence.
func (s *Store) Put(p *fetch.Page) (Record, error) {
	if p == nil || p.Status == 0 {
		return Record{}, errors.New("capturing page: no response to capture")
	}
	sum := sha256.Sum256(p.Body)
	sha := hex.EncodeToString(sum[:])
	rec := Record{SHA256: sha, Bytes: int64(len(p.Body))}
	path, err := s.Path(sha)
	if err != nil {
		return Record{}, err
	}
	rec.Path = path
	if _, err := os.Stat(path); err == nil {
		return rec, nil
	}
	sub := filepath.Dir(path)
	if err := os.MkdirAll(sub, 0o700); err != nil {
		return Record{}, fmt.Errorf("capturing %s: %w", p.FinalURL, err)
	}
	var buf bytes.Buffer
	if err := encode(&buf, p, sha); err != nil {
		return Record{}, fmt.Errorf("capturing %s: %w", p.FinalURL, err)
	}
	if err := writeAtomic(sub, path, buf.Bytes()); err != nil {
		return Record{}, fmt.Errorf("capturing %s: %w", p.FinalURL, err)
	}
	return rec, nil
}

// writeAtomic writes data to a temporary file in dir and renames it to path,
// so a reader never sees a partial capture.
func writeAtomic(dir, path string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, ".tmp-*.warc.gz")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Get returns the body stored under sha after checking it against sha and
// the file's digests. It returns ErrBadHash for a malformed sha, ErrNotFound
// when there is no such capture and ErrTampered when it does not verify.
func (s *Store) Get(sha string) ([]byte, error) {
	path, err := s.Path(sha)
	if err != nil {
		return nil, fmt.Errorf("reading capture: %w", err)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading capture %s: %w", sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading capture %s: %w", sha, err)
	}
	defer f.Close()
	body, err := decodeResponse(f)
	if err != nil {
		return nil, fmt.Errorf("reading capture %s: %w: %w", sha, ErrTampered, err)
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != sha {
		return nil, fmt.Errorf("reading capture %s: %w: body hashes to %s", sha, ErrTampered, got)
	}
	return body, nil
}

// field is one WARC header field.
type field struct{ name, value string }

// encode writes p's response and metadata records, one gzip member each.
func encode(w io.Writer, p *fetch.Page, sha string) error {
	date := p.FetchedAt.UTC()
	if date.IsZero() {
		date = time.Now().UTC()
	}
	respID, err := recordID()
	if err != nil {
		return err
	}
	metaID, err := recordID()
	if err != nil {
		return err
	}
	target := clean(p.FinalURL)
	if target == "" {
		target = clean(p.URL)
	}

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
		return err
	}
	block.WriteString("\r\n")
	block.Write(p.Body)

	if err := writeRecord(w, []field{
		{"WARC-Type", "response"},
		{"WARC-Record-ID", respID},
		{"WARC-Date", date.Format(time.RFC3339)},
		{"WARC-Target-URI", target},
		{"Content-Type", "application/http;msgtype=response"},
		{"WARC-Payload-Digest", "sha256:" + sha},
		{"WARC-Block-Digest", digest(block.Bytes())},
	}, block.Bytes()); err != nil {
		return err
	}

	var meta bytes.Buffer
	fmt.Fprintf(&meta, "requested-uri: %s\r\n", clean(p.URL))
	fmt.Fprintf(&meta, "outcome: %s\r\n", clean(p.Outcome))
	if p.Blocked != "" {
		fmt.Fprintf(&meta, "blocked: %s\r\n", clean(p.Blocked))
	}
	fmt.Fprintf(&meta, "truncated: %t\r\n", p.Truncated)
	fmt.Fprintf(&meta, "attempts: %d\r\n", p.Attempts)
	fmt.Fprintf(&meta, "fetched-at: %s\r\n", date.Format(time.RFC3339Nano))
	fmt.Fprintf(&meta, "duration-ms: %d\r\n", p.Duration.Milliseconds())
	return writeRecord(w, []field{
		{"WARC-Type", "metadata"},
		{"WARC-Record-ID", metaID},
		{"WARC-Refers-To", respID},
		{"WARC-Date", date.Format(time.RFC3339)},
		{"WARC-Target-URI", target},
		{"Content-Type", "application/warc-fields"},
		{"WARC-Block-Digest", digest(meta.Bytes())},
	}, meta.Bytes())
}

// writeRecord writes one WARC record as its own gzip member.
func writeRecord(w io.Writer, fields []field, block []byte) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	bw.WriteString("WARC/1.1\r\n")
	for _, f := range fields {
		bw.WriteString(f.name + ": " + f.value + "\r\n")
	}
	bw.WriteString("Content-Length: " + strconv.Itoa(len(block)) + "\r\n\r\n")
	bw.Write(block)
	bw.WriteString("\r\n\r\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing warc record: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("writing warc record: %w", err)
	}
	return nil
}

// decodeResponse reads the first record, which must be the response, checks
// its block and payload digests, and returns the payload.
func decodeResponse(r io.Reader) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("decompressing: %w", err)
	}
	br := bufio.NewReaderSize(zr, maxHeaderLine)
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	if line != "WARC/1.1" && line != "WARC/1.0" {
		return nil, fmt.Errorf("not a warc record: %.40q", line)
	}
	fields := make(map[string]string)
	for n := 0; ; n++ {
		line, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		if n >= maxHeaderFields {
			return nil, errors.New("too many warc header fields")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("malformed warc header line %.40q", line)
		}
		fields[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	if t := fields["warc-type"]; t != "response" {
		return nil, fmt.Errorf("first record is %q, want response", t)
	}
	n, err := strconv.ParseInt(fields["content-length"], 10, 64)
	if err != nil || n < 0 || n > maxBlock {
		return nil, fmt.Errorf("bad warc content-length %q", fields["content-length"])
	}
	block, err := io.ReadAll(io.LimitReader(br, n))
	if err != nil {
		return nil, fmt.Errorf("reading block: %w", err)
	}
	if int64(len(block)) != n {
		return nil, fmt.Errorf("block is %d bytes, header says %d", len(block), n)
	}
	if want := fields["warc-block-digest"]; digest(block) != want {
		return nil, fmt.Errorf("block digest mismatch (header %q)", want)
	}
	i := bytes.Index(block, []byte("\r\n\r\n"))
	if i < 0 {
		return nil, errors.New("response block has no end of headers")
	}
	payload := block[i+4:]
	if want := fields["warc-payload-digest"]; digest(payload) != want {
		return nil, fmt.Errorf("payload digest mismatch (header %q)", want)
	}
	return payload, nil
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

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
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

// clean keeps a value on one header line.
func clean(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
