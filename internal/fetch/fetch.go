// Package fetch gets pages over a dial function (in production the Tor
// dialer): whole-request timeouts, a bound on the body size that also holds
// for compressed bodies, retries with exponential backoff and jitter, a
// minimum gap and a concurrency limit per host, same-host redirects only, and
// a classification of pages that are not data (captcha, DDoS queue, login
// wall, not found), header, idle and total timeouts against slowloris
// servers, refusal of non-HTML content types and of redirects from an onion
// to a clearnet host, and charset detection for pages that are not UTF-8.
//
// The dial function can be swapped while the client is in use (SetDial), so
// a crawl can move to a fresh Tor identity after repeated failures. Cookies
// are only sent when a jar is given (Options.Jar, for authenticated
// markets, see ReadCookies); Set-Cookie never reaches a Page, and bodies,
// cookies and credentials are never logged.
package fetch

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/tor"
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
	// ErrClearnetRedirect marks a redirect from an onion host to a host
	// outside .onion; it also matches ErrOffHostRedirect. It is never
	// followed unless Options.AllowClearnet is set.
	ErrClearnetRedirect = fmt.Errorf("%w from an onion to a clearnet host", ErrOffHostRedirect)
	// ErrContentType marks a 2xx response whose content type is not one of
	// Options.ContentTypes (binary junk, images, archives): its body is not
	// read.
	ErrContentType = errors.New("content type refused")
	// ErrTimeout marks an attempt cut by Options.Timeout, HeaderTimeout or
	// IdleTimeout (a slow or trickling server); the context's
	// DeadlineExceeded or the connection's timeout stays in the chain.
	ErrTimeout = errors.New("fetch timed out")
)

// Outcomes of a Get, as recorded in Page.Outcome and capture events.
const (
	OutcomeOK        = "ok"
	OutcomeTruncated = "truncated"
	OutcomeHTTPError = "http_error"
	OutcomeBlocked   = "blocked"
	OutcomeError     = "error"
	// OutcomeRefused is a response whose content type was refused: its
	// status and headers are kept, its body is not read.
	OutcomeRefused = "refused"
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
	DefaultIdleTimeout  = 30 * time.Second
)

// DefaultContentTypes are the media types a Client reads by default.
var DefaultContentTypes = []string{"text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml"}

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
	// HeaderTimeout bounds the wait for response headers once the request
	// is sent (default: Timeout).
	HeaderTimeout time.Duration
	// IdleTimeout bounds the silence between two reads on a connection
	// (default 30s); a server trickling bytes is cut by Timeout.
	IdleTimeout time.Duration
	// ContentTypes are the media types whose 2xx bodies are read (default
	// DefaultContentTypes); a response without a Content-Type is sniffed.
	ContentTypes []string
	// Jar holds the cookies sent with requests (nil: none are sent or kept).
	// Cookies a server sets go into the jar, never into a Page.
	Jar http.CookieJar
	// AllowHosts are other hosts a redirect may go to (for example the
	// site's other mirrors), beside the host asked for.
	AllowHosts []string
	// AllowClearnet lets a redirect leave .onion for an allowed host.
	AllowClearnet bool
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
	if o.HeaderTimeout <= 0 || o.HeaderTimeout > o.Timeout {
		o.HeaderTimeout = o.Timeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if len(o.ContentTypes) == 0 {
		o.ContentTypes = DefaultContentTypes
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
	// Request is the request line's method and the headers sent with the
	// final request, without Cookie (see CookiesSent).
	Method  string
	Request http.Header
	// CookiesSent says whether the jar added cookies to the final request.
	CookiesSent bool
	// Charset is the character encoding the body was found to be in
	// (WHATWG name, e.g. "utf-8", "windows-1252"); CharsetFlag is "" when
	// it was declared and the body matches it, else one of the Charset
	// flags. Body stays as received; Text decodes it.
	Charset     string
	CharsetFlag string
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
	case OutcomeRefused:
		return ErrContentType
	}
	return nil
}

// Classes of page: what a response is, decided before any extraction.
// Only ClassOK pages are extracted.
const (
	ClassOK        = "ok"
	ClassTooLarge  = "too_large" // cut at MaxBytes: kept, not parsed as whole
	ClassQueue     = BlockQueue  // DDoS-protection filter or queue (EndGame style)
	ClassCaptcha   = BlockCaptcha
	ClassLogin     = BlockLogin // login wall
	ClassRateLimit = BlockRateLimit
	ClassNotFound  = "not_found" // 404 or 410
	ClassRefused   = "refused"   // content type refused
	ClassError     = "error"     // no usable answer, or another error status
)

// Class returns the page's class (one of the Class constants).
func (p *Page) Class() string {
	switch p.Outcome {
	case OutcomeOK:
		return ClassOK
	case OutcomeTruncated:
		return ClassTooLarge
	case OutcomeBlocked:
		return p.Blocked
	case OutcomeRefused:
		return ClassRefused
	case OutcomeHTTPError:
		if p.Status == http.StatusNotFound || p.Status == http.StatusGone {
			return ClassNotFound
		}
	}
	return ClassError
}

// DialFunc opens a connection; in production a tor.IdentityDialer's
// DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Client fetches pages. It is safe for concurrent use.
type Client struct {
	opts Options
	log  zerolog.Logger
	tr   *http.Transport
	hc   *http.Client
	dial atomic.Pointer[DialFunc]

	mu    sync.Mutex
	hosts map[string]*hostLimit
}

// New returns a Client that opens every connection with dial. No proxy from
// the environment is used, no cookie jar is kept, HTTP/2 is not attempted.
func New(dial func(ctx context.Context, network, addr string) (net.Conn, error), opts Options, log zerolog.Logger) *Client {
	o := opts.withDefaults()
	c := &Client{opts: o, log: log, hosts: make(map[string]*hostLimit)}
	c.SetDial(dial)
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            c.dialIdle,
		DisableCompression:     true,
		ForceAttemptHTTP2:      false,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    o.Concurrency,
		MaxConnsPerHost:        o.Concurrency,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  o.HeaderTimeout,
		TLSHandshakeTimeout:    min(o.Timeout, 30*time.Second),
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	c.tr = tr
	c.hc = &http.Client{
		Transport: tr,
		Jar:       o.Jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // redirects are followed by attempt
		},
	}
	return c
}

// SetDial makes every new connection use dial (for example a fresh Tor
// identity) and closes the idle connections opened with the previous one,
// so no later request reuses the old identity's circuits. Requests in
// flight finish on their connections.
func (c *Client) SetDial(dial DialFunc) {
	c.dial.Store(&dial)
	if c.tr != nil {
		c.tr.CloseIdleConnections()
	}
}

// dialIdle dials with the current dial function and bounds every read on
// the connection by Options.IdleTimeout.
func (c *Client) dialIdle(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (*c.dial.Load())(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &idleConn{Conn: conn, idle: c.opts.IdleTimeout}, nil
}

// idleConn sets a read deadline before every read: a peer silent for longer
// than idle fails the read with a timeout.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
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
		p.Method, p.Request, p.CookiesSent = res.method, res.request, res.cookiesSent
		p.Charset, p.CharsetFlag = res.charset, res.charsetFlag
	}
	switch {
	case err != nil:
		p.Outcome = OutcomeError
		err = fmt.Errorf("fetching %s: %w", p.URL, err)
	case res.refused:
		p.Outcome = OutcomeRefused
		err = fmt.Errorf("fetching %s: %w: %q (status %d)", p.URL, ErrContentType, res.header.Get("Content-Type"), res.status)
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
		case errors.Is(err, ErrRedirectLoop), errors.Is(err, ErrOffHostRedirect), errors.Is(err, ErrEncoding),
			errors.Is(err, ErrContentType):
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
	url         string
	status      int
	header      http.Header
	body        []byte
	truncated   bool
	refused     bool
	fetchedAt   time.Time
	blocked     string
	retryAfter  time.Duration
	method      string
	request     http.Header
	cookiesSent bool
	charset     string
	charsetFlag string
}

// attempt fetches u once, following same-host redirects, within
// Options.Timeout. A timeout of the attempt (not of ctx) wraps ErrTimeout.
func (c *Client) attempt(ctx context.Context, u *url.URL) (*response, error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	res, err := c.follow(actx, u)
	if err != nil && ctx.Err() == nil && !errors.Is(err, ErrTimeout) &&
		(actx.Err() != nil || isNetTimeout(err)) {
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return res, err
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// redirectAllowed checks a redirect from u's host to next's.
func (c *Client) redirectAllowed(from *url.URL, next *url.URL) error {
	if tor.IsOnion(from.Hostname()) && !tor.IsOnion(next.Hostname()) && !c.opts.AllowClearnet {
		return fmt.Errorf("%w: %s redirects to %s", ErrClearnetRedirect, from, next.Host)
	}
	if strings.EqualFold(next.Host, from.Host) {
		return nil
	}
	for _, h := range c.opts.AllowHosts {
		if strings.EqualFold(next.Host, h) || strings.EqualFold(next.Hostname(), h) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s redirects to %s", ErrOffHostRedirect, from, next.Host)
}

func (c *Client) follow(ctx context.Context, u *url.URL) (*response, error) {
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
			return res, fmt.Errorf("%w: stopped after %d redirects at %s", ErrRedirectLoop, hops, cur)
		}
		// A redirect the collector does not follow returns its response
		// with the error, so the page is kept as evidence (a market pointing
		// away from Tor is worth keeping) and never used as data.
		next, err := cur.Parse(loc)
		if err != nil {
			return res, fmt.Errorf("following redirect from %s: %w", cur, err)
		}
		next.Fragment = ""
		if err := checkURL(next); err != nil {
			return res, fmt.Errorf("%w: %s redirects to %s: %w", ErrOffHostRedirect, cur, next, err)
		}
		if err := c.redirectAllowed(u, next); err != nil {
			return res, err
		}
		if visited[next.String()] {
			return res, fmt.Errorf("%w: %s redirects back to %s", ErrRedirectLoop, cur, next)
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
	sent := req.Header.Clone()
	sent.Set("Host", u.Host)
	cookies := c.opts.Jar != nil && len(c.opts.Jar.Cookies(u)) > 0
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

	header := resp.Header.Clone()
	header.Del("Set-Cookie")
	header.Del("Set-Cookie2")
	if isRedirect(resp.StatusCode) {
		if loc := resp.Header.Get("Location"); loc != "" {
			// The redirect is kept with its (bounded) body: when it leads
			// where the collector will not go (a clearnet host), it is the
			// evidence of where the market pointed.
			body, truncated, err := readBody(resp, min(redirectBody, c.opts.MaxBytes))
			if err != nil {
				body, truncated = nil, false
			}
			return &response{
				url: u.String(), status: resp.StatusCode, header: header, fetchedAt: fetchedAt,
				method: http.MethodGet, request: sent, cookiesSent: cookies, body: body, truncated: truncated,
			}, loc, nil
		}
	}
	res := &response{
		url:         u.String(),
		status:      resp.StatusCode,
		header:      header,
		fetchedAt:   fetchedAt,
		retryAfter:  retryAfter(resp.Header.Get("Retry-After"), fetchedAt),
		method:      http.MethodGet,
		request:     sent,
		cookiesSent: cookies,
	}
	ct := resp.Header.Get("Content-Type")
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok2xx && ct != "" && !c.acceptable(ct) {
		// Binary junk is not downloaded: the connection is dropped unread.
		res.refused = true
		return res, "", nil
	}
	body, truncated, err := readBody(resp, c.opts.MaxBytes)
	if err != nil {
		return nil, "", err
	}
	if ok2xx && ct == "" && !c.acceptable(http.DetectContentType(body)) {
		res.refused = true
		return res, "", nil
	}
	res.body, res.truncated = body, truncated
	res.charset, res.charsetFlag = detectCharset(body, ct)
	res.blocked = Classify(resp.StatusCode, body)
	return res, "", nil
}

// redirectBody bounds the body of a redirect kept as evidence.
const redirectBody = 64 << 10

// acceptable reports whether a Content-Type is one of Options.ContentTypes.
func (c *Client) acceptable(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	for _, a := range c.opts.ContentTypes {
		if strings.EqualFold(mt, a) {
			return true
		}
	}
	return false
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
		if isNetTimeout(err) {
			return nil, false, fmt.Errorf("%w: reading body after %d bytes: %w", ErrTimeout, len(body), err)
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
