package chain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// DialFunc opens a connection; in production a direct dial or the Tor
// dialer.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// transport sends HTTP requests to one chain source with the collector's
// manners: a minimum gap between request starts, bounded concurrency, a
// timeout per attempt, a bounded body, and retries with backoff.
type transport struct {
	client  *http.Client
	opts    SourceConfig
	gap     time.Duration
	sem     chan struct{}
	mu      sync.Mutex
	next    time.Time
	log     zerolog.Logger
	retryOn func(status int) bool
	// requests counts HTTP attempts, for the sync's report.
	requests int64
}

func newTransport(cfg SourceConfig, dial DialFunc, log zerolog.Logger, retryOn func(int) bool) *transport {
	tr := &http.Transport{
		DialContext:            dial,
		MaxIdleConnsPerHost:    cfg.Concurrency,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     false,
	}
	var gap time.Duration
	if cfg.Rate > 0 {
		gap = time.Duration(float64(time.Second) / cfg.Rate)
	}
	return &transport{
		client:  &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		opts:    cfg,
		gap:     gap,
		sem:     make(chan struct{}, cfg.Concurrency),
		log:     log,
		retryOn: retryOn,
	}
}

// response is one answer: status and a body of at most MaxResponseBytes.
type response struct {
	status int
	body   []byte
}

// do sends the request built by build (called once per attempt), retrying
// network errors and the statuses retryOn accepts. It returns the last
// response whatever its status, or an error wrapping ErrUnavailable when
// no attempt produced a response, or ErrTooLarge.
func (t *transport) do(ctx context.Context, what string, build func(ctx context.Context) (*http.Request, error)) (*response, error) {
	var lastErr error
	for attempt := 0; ; attempt++ {
		res, after, err := t.attempt(ctx, build)
		switch {
		case err == nil && !t.retryOn(res.status):
			return res, nil
		case errors.Is(err, ErrTooLarge), ctx.Err() != nil:
			if ctx.Err() != nil && err == nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("%s: %w", what, err)
		case err == nil:
			lastErr = fmt.Errorf("http status %d", res.status)
		default:
			lastErr = err
		}
		if attempt >= t.opts.Retries {
			return nil, fmt.Errorf("%s: %w after %d attempts: %w", what, ErrUnavailable, attempt+1, lastErr)
		}
		wait := t.backoff(attempt+1, after)
		t.log.Debug().Str("what", what).Int("attempt", attempt+1).Dur("wait", wait).Err(lastErr).Msg("chain source retry")
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
}

func (t *transport) attempt(ctx context.Context, build func(ctx context.Context) (*http.Request, error)) (*response, time.Duration, error) {
	if err := t.acquire(ctx); err != nil {
		return nil, 0, err
	}
	defer func() { <-t.sem }()
	actx, cancel := context.WithTimeout(ctx, t.opts.Timeout)
	defer cancel()
	req, err := build(actx)
	if err != nil {
		return nil, 0, err
	}
	t.mu.Lock()
	t.requests++
	t.mu.Unlock()
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, t.opts.MaxResponseBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading response: %w", err)
	}
	if int64(len(body)) > t.opts.MaxResponseBytes {
		return nil, 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, t.opts.MaxResponseBytes)
	}
	return &response{status: resp.StatusCode, body: body}, retryAfter(resp.Header.Get("Retry-After")), nil
}

// Requests is the number of HTTP attempts sent so far.
func (t *transport) Requests() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// acquire takes a concurrency slot, then waits for the next start time,
// reserving the one after it.
func (t *transport) acquire(ctx context.Context) error {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if t.gap <= 0 {
		return nil
	}
	t.mu.Lock()
	now := time.Now()
	at := t.next
	if at.Before(now) {
		at = now
	}
	t.next = at.Add(t.gap)
	t.mu.Unlock()
	if wait := at.Sub(now); wait > 0 {
		if err := sleep(ctx, wait); err != nil {
			<-t.sem
			return err
		}
	}
	return nil
}

// backoff is the wait before retry n (1-based): min(BackoffMax,
// BackoffBase*2^(n-1)) with jitter over its upper half, or the server's
// Retry-After when longer (capped at BackoffMax).
func (t *transport) backoff(n int, after time.Duration) time.Duration {
	d := t.opts.BackoffBase
	for i := 1; i < n && d < t.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, t.opts.BackoffMax)
	half := d / 2
	d = half + rand.N(half+1)
	if after > d {
		d = min(after, t.opts.BackoffMax)
	}
	return d
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(at))
	}
	return 0
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

// close releases idle connections.
func (t *transport) close() { t.client.CloseIdleConnections() }

// netDialer is the direct dialer of sources not reached through Tor.
var netDialer = net.Dialer{Timeout: 30 * time.Second}
