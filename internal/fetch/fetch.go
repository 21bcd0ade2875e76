// Package fetch gets pages over a dial function (in production the Tor
// dialer): whole-request timeouts, a bound on the body size that also holds
// for compressed bodies, retries with exponential backoff and jitter, a
// minimum gap and a concurrency limit per host, same-host redirects only, and
// a classification of pages that are not data (captcha, DDoS queue, login
// wall). It keeps no cookies and never logs bodies, cookies or credentials.
package fetch

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Sentinel errors, checked with errors.Is. Errors from the dial function
// (such as tor.ErrProxyDown) stay in the chain too.
var (
	// ErrTooLarge marks a body cut at Options.MaxBytes. It is informational:
	// Get returns such a page with Truncated set and a nil error; Page.Err
	// reports it.
	ErrTooLarge = errors.New("response body too large")
	// ErrBlocked marks a page classified as a captcha, a DDoS-protection
	// queue, a login wall or rate limiting rather than data.
	ErrBlocked = errors.New("blocked by site")
	// ErrHTTPStatus marks a 4xx or 5xx answer (after retries where they apply).
	ErrHTTPStatus = errors.New("http error status")
	// ErrRedirectLoop marks more than Options.MaxRedirects redirects, or a
	// redirect back to a URL already visited.
	ErrRedirectLoop = errors.New("too many redirects")
	// ErrOffHostRedirect marks a redirect to another host than the one asked
	// for; it is never followed.
	ErrOffHostRedirect = errors.New("redirect to another host")
	// ErrEncoding marks a body whose Content-Encoding is not supported or
	// does not decode.
	ErrEncoding = errors.New("undecodable content encoding")
)

// Outcomes of a Get, as recorded in Page.Outcome and capture events.
const (
	OutcomeOK        = "ok"
	OutcomeTruncated = "truncated"
	OutcomeHTTPError = "http_error"
	OutcomeBlocked   = "blocked"
	OutcomeError     = "error"
)

// Defaults for zero Options fields.
const (
	DefaultTimeout      = 60 * time.Second
	DefaultMaxBytes     = 8 << 20
	DefaultMaxRedirects = 5
	DefaultRetries      = 3
	DefaultBackoffBase  = 500 * time.Millisecond
	DefaultBackoffMax   = 30 * time.Second
	DefaultConcurrency  = 2
)

// maxHeaderBytes bounds response headers.
const maxHeaderBytes = 64 << 10

// Options configure a Client. Zero fields take the defaults above.
type Options struct {
	// UserAgent is sent with every request (Go's default when empty).
	UserAgent string
	// Timeout bounds one attempt: connecting, redirects, headers and body.
	Timeout time.Duration
	// MaxBytes bounds the body after decompression; a longer body is cut
	// there and the page marked Truncated.
	MaxBytes int64
	// MaxRedirects is how many same-host redirects one attempt follows;
	// negative follows none (any redirect is then ErrRedirectLoop).
	MaxRedirects int
	// Retries is how many times a failed attempt is repeated (network
	// errors, 429, 5xx, DDoS queues); negative disables retries.
	Retries int
	// BackoffBase and BackoffMax shape the wait before retry n:
	// min(BackoffMax, BackoffBase*2^(n-1)), with jitter over its upper half.
	// A Retry-After header, capped at BackoffMax, lengthens the wait.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Delay is the minimum gap between the starts of two requests to one
	// host (0: none).
	Delay time.Duration
	// Concurrency is how many requests run at once against one host.
	Concurrency int
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	switch {
	case o.MaxRedirects == 0:
		o.MaxRedirects = DefaultMaxRedirects
	case o.MaxRedirects < 0:
		o.MaxRedirects = 0
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.BackoffMax < o.BackoffBase {
		o.BackoffMax = o.BackoffBase
	}
	if o.Delay < 0 {
		o.Delay = 0
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	return o
}

// Page is the result of a Get. Header is as the server sent it (so
// Content-Encoding and Content-Length describe the wire, not Body), minus
// Set-Cookie: cookies are never kept.
type Page struct {
	URL       string // as asked for
	FinalURL  string // after redirects
	Status    int    // 0 when no response arrived
	Header    http.Header
	Body      []byte // decompressed, at most MaxBytes
	Truncated bool
	FetchedAt time.Time // when the final response's headers arrived, UTC
	Duration  time.Duration
	Attempts  int
	Outcome   string // one of the Outcome constants
	// Blocked is the Classify kind when Outcome is "blocked", else empty.
	Blocked string
}

// Err returns the sentinel error matching the page's outcome: nil for ok,
// ErrTooLarge for truncated, ErrBlocked, ErrHTTPStatus; for "error" it
// returns nil (Get's error carries the cause).
func (p *Page) Err() error {
	switch p.Outcome {
	case OutcomeTruncated:
		return ErrTooLarge
	case OutcomeBlocked:
		return ErrBlocked
	case OutcomeHTTPError:
		return ErrHTTPStatus
	}
	return nil
}

// Client fetches pages. It is safe for concurrent use.
type Client struct {
	opts Options
	log  zerolog.Logger
	tr   *http.Transport
	hc   *http.Client

	mu    sync.Mutex
	hosts map[string]*hostLimit
}

// New returns a Client that opens every connection with dial. No proxy from
// the environment is used, no cookie jar is kept, HTTP/2 is not attempted.
func New(dial func(ctx context.Context, network, addr string) (net.Conn, error), opts Options, log zerolog.Logger) *Client {
	o := opts.withDefaults()
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dial,
		DisableCompression:     true,
		ForceAttemptHTTP2:      false,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    o.Concurrency,
		MaxConnsPerHost:        o.Concurrency,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  o.Timeout,
		TLSHandshakeTimeout:    min(o.Timeout, 30*time.Second),
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	return &Client{
		opts: o,
		log:  log,
		tr:   tr,
		hc: &http.Client{
			Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // redirects are followed by attempt
			},
		},
		hosts: make(map[string]*hostLimit),
	}
}

// Close releases idle connections. The Client stays usable.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Get fetches rawURL (http or https), following same-host redirects and
// retrying as Options say. It always returns a non-nil Page, whose Outcome
// says what happened. The error is nil for "ok" and "truncated"; otherwise it
// wraps ErrBlocked, ErrHTTPStatus, ErrRedirectLoop, ErrOffHostRedirect,
// ErrEncoding, ctx's error or the dial error (e.g. tor.ErrProxyDown).
func (c *Client) Get(ctx context.Context, rawURL string) (*Page, error) {
	start := time.Now()
	p := &Page{URL: rawURL, FinalURL: rawURL, Outcome: OutcomeError}
	u, err := url.Parse(rawURL)
	if err == nil {
		err = checkURL(u)
	}
	if err != nil {
		p.Duration = time.Since(start)
		return p, fmt.Errorf("fetching %s: %w", rawURL, err)
	}
	for attempt := 1; ; attempt++ {
		p.Attempts = attempt
		res, err := c.attempt(ctx, u)
		retry, after := c.shouldRetry(ctx, res, err)
		if !retry || attempt > c.opts.Retries {
			p.Duration = time.Since(start)
			return c.finish(p, res, err)
		}
		wait := c.backoff(attempt, after)
		ev := c.log.Warn().Str("url", rawURL).Int("attempt", attempt).Dur("wait", wait)
		if res != nil {
			ev = ev.Int("status", res.status).Str("blocked", res.blocked)
		}
		if err != nil {
			ev = ev.Err(err)
		}
		ev.Msg("fetch attempt failed, retrying")
		if err := sleep(ctx, wait); err != nil {
			p.Duration = time.Since(start)
			return c.finish(p, nil, err)
		}
	}
}

// finish fills p from the last attempt and returns it with its error.
func (c *Client) finish(p *Page, res *response, err error) (*Page, error) {
	if res != nil {
		p.FinalURL = res.url
		p.Status = res.status
		p.Header = res.header
		p.Body = res.body
		p.Truncated = res.truncated
		p.FetchedAt = res.fetchedAt
	}
	switch {
	case err != nil:
		p.Outcome = OutcomeError
		err = fmt.Errorf("fetching %s: %w", p.URL, err)
	case res.blocked != "":
		p.Outcome = OutcomeBlocked
		p.Blocked = res.blocked
		err = fmt.Errorf("fetching %s: %w: %s (status %d)", p.URL, ErrBlocked, res.blocked, res.status)
	case res.status >= 400:
		p.Outcome = OutcomeHTTPError
		err = fmt.Errorf("fetching %s: %w %d", p.URL, ErrHTTPStatus, res.status)
	case res.truncated:
		p.Outcome = OutcomeTruncated
	default:
		p.Outcome = OutcomeOK
	}
	ev := c.log.Debug().Str("url", p.URL).Str("outcome", p.Outcome).Int("status", p.Status).
		Int("attempts", p.Attempts).Int("bytes", len(p.Body)).Dur("duration", p.Duration)
	if err != nil {
		ev = ev.Err(err)
	}
	ev.Msg("fetched")
	return p, err
}

// shouldRetry decides whether an attempt is repeated; after is a wait the
// server asked for (Retry-After), or 0.
func (c *Client) shouldRetry(ctx context.Context, res *response, err error) (bool, time.Duration) {
	if ctx.Err() != nil {
		return false, 0
	}
	if err != nil {
		switch {
		case errors.Is(err, ErrRedirectLoop), errors.Is(err, ErrOffHostRedirect), errors.Is(err, ErrEncoding):
			return false, 0
		}
		return true, 0 // network errors, proxy down, attempt timeout
	}
	switch {
	case res.status == http.StatusTooManyRequests, res.status >= 500,
		res.blocked == BlockQueue, res.blocked == BlockRateLimit:
		return true, res.retryAfter
	}
	return false, 0
}

// backoff returns the wait before retry n (1-based).
func (c *Client) backoff(n int, after time.Duration) time.Duration {
	d := c.opts.BackoffBase
	for i := 1; i < n && d < c.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.opts.BackoffMax)
	half := d / 2
	d = half + rand.N(half+1)
	if after > d {
		d = min(after, c.opts.BackoffMax)
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q not supported", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("url has no host")
	}
	return nil
}

// response is the outcome of one attempt that got an answer.
type response struct {
	url        string
	status     int
	header     http.Header
	body       []byte
	truncated  bool
	fetchedAt  time.Time
	blocked    string
	retryAfter time.Duration
}

// attempt fetches u once, following same-host redirects, within
// Options.Timeout.
func (c *Client) attempt(ctx context.Context, u *url.URL) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	cur := u
	visited := map[string]bool{u.String(): true}
	for hops := 0; ; hops++ {
		res, loc, err := c.do(ctx, cur)
		if err != nil {
			return nil, err
		}
		if loc == "" {
			return res, nil
		}
		if hops >= c.opts.MaxRedirects {
			return nil, fmt.Errorf("%w: stopped after %d redirects at %s", ErrRedirectLoop, hops, cur)
		}
		next, err := cur.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("following redirect from %s: %w", cur, err)
		}
		next.Fragment = ""
		if err := checkURL(next); err != nil {
			return nil, fmt.Errorf("%w: %s redirects to %s: %w", ErrOffHostRedirect, cur, next, err)
		}
		if !strings.EqualFold(next.Host, u.Host) {
			return nil, fmt.Errorf("%w: %s redirects to %s", ErrOffHostRedirect, cur, next.Host)
		}
		if visited[next.String()] {
			return nil, fmt.Errorf("%w: %s redirects back to %s", ErrRedirectLoop, cur, next)
		}
		visited[next.String()] = true
		cur = next
	}
}

// do sends one request. For a redirect it returns the Location and drains
// the body; otherwise it reads and classifies the body.
func (c *Client) do(ctx context.Context, u *url.URL) (*response, string, error) {
	h := c.host(u.Host)
	if err := h.acquire(ctx, c.opts.Delay); err != nil {
		return nil, "", err
	}
	defer h.release()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("building request: %w", err)
	}
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Language", "en-US,en;q=0.5")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the caller's context already
		}
		return nil, "", err
	}
	defer resp.Body.Close()
	fetchedAt := time.Now().UTC()

	if isRedirect(resp.StatusCode) {
		if loc := resp.Header.Get("Location"); loc != "" {
			io.CopyN(io.Discard, resp.Body, 64<<10)
			return nil, loc, nil
		}
	}
	body, truncated, err := readBody(resp, c.opts.MaxBytes)
	if err != nil {
		return nil, "", err
	}
	header := resp.Header.Clone()
	header.Del("Set-Cookie")
	header.Del("Set-Cookie2")
	return &response{
		url:        u.String(),
		status:     resp.StatusCode,
		header:     header,
		body:       body,
		truncated:  truncated,
		fetchedAt:  fetchedAt,
		blocked:    Classify(resp.StatusCode, body),
		retryAfter: retryAfter(resp.Header.Get("Retry-After"), fetchedAt),
	}, "", nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// retryAfter parses a Retry-After value (seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// capReader reads at most n bytes and remembers whether it stopped there.
type capReader struct {
	r   io.Reader
	n   int64
	hit bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.hit = true
		return 0, io.EOF
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// readBody reads at most max decoded bytes; a gzip body is decoded with the
// same bound on its decompressed size, so a compression bomb is cut at max.
func readBody(resp *http.Response, max int64) ([]byte, bool, error) {
	// The wire is bounded too: a gzip stream can spin without producing
	// output. Past the wire bound the body counts as truncated.
	wire := &capReader{r: resp.Body, n: 2*max + 64<<10}
	var r io.Reader = wire
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(wire)
		if err != nil {
			if errors.Is(err, io.EOF) && resp.ContentLength <= 0 {
				return nil, false, nil // empty body labelled gzip
			}
			return nil, false, fmt.Errorf("%w: reading gzip header: %w", ErrEncoding, err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, false, fmt.Errorf("%w: %q", ErrEncoding, enc)
	}
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(body)) > max {
		return body[:max], true, nil
	}
	if err != nil {
		if wire.hit {
			return body, true, nil
		}
		if enc != "" && enc != "identity" && isCorrupt(err) {
			return nil, false, fmt.Errorf("%w: decoding gzip body: %w", ErrEncoding, err)
		}
		return nil, false, fmt.Errorf("reading body: %w", err)
	}
	return body, false, nil
}

// isCorrupt tells a malformed gzip stream from a cut connection.
func isCorrupt(err error) bool {
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return true
	}
	var ce flate.CorruptInputError
	return errors.As(err, &ce)
}

// hostLimit holds one host's concurrency slots and its request schedule.
type hostLimit struct {
	sem  chan struct{}
	mu   sync.Mutex
	next time.Time
}

func (c *Client) host(host string) *hostLimit {
	host = strings.ToLower(host)
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.hosts[host]
	if !ok {
		h = &hostLimit{sem: make(chan struct{}, c.opts.Concurrency)}
		c.hosts[host] = h
	}
	return h
}

// acquire takes a concurrency slot, then waits for the host's next start
// time, reserving the one after it.
func (h *hostLimit) acquire(ctx context.Context, delay time.Duration) error {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if delay <= 0 {
		return nil
	}
	h.mu.Lock()
	now := time.Now()
	at := h.next
	if at.Before(now) {
		at = now
	}
	h.next = at.Add(delay)
	h.mu.Unlock()
	if wait := at.Sub(now); wait > 0 {
		if err := sleep(ctx, wait); err != nil {
			h.release()
			return err
		}
	}
	return nil
}

func (h *hostLimit) release() { <-h.sem }
