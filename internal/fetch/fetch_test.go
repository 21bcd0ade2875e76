package fetch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/socksd"
	"github.com/counternet/counternet/internal/tor"
)

const (
	siteHost  = "siteaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion"
	otherHost = "otherbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.onion"
	siteURL   = "http://" + siteHost
)

// env is a fixture site reachable only through the stand-in SOCKS proxy.
type env struct {
	proxy  *socksd.Server
	mux    *http.ServeMux
	direct atomic.Int64 // requests that did not come through the proxy
	hits   sync.Map     // path -> *atomic.Int64
}

func (e *env) hit(path string) int64 {
	v, _ := e.hits.LoadOrStore(path, new(atomic.Int64))
	return v.(*atomic.Int64).Add(1)
}

func (e *env) count(path string) int64 {
	v, ok := e.hits.Load(path)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{mux: http.NewServeMux()}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !e.proxy.IsOutbound(r.RemoteAddr) {
			e.direct.Add(1)
			http.Error(w, "direct connections refused", http.StatusForbidden)
			return
		}
		e.hit(r.URL.Path)
		e.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(web.Close)
	addr := strings.TrimPrefix(web.URL, "http://")
	e.proxy = socksd.New(zerolog.Nop(), socksd.MapResolver(map[string]string{siteHost: addr, otherHost: addr}))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := e.proxy.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.proxy.Close() })
	return e
}

func testOptions() fetch.Options {
	return fetch.Options{
		UserAgent:   "counternet-test",
		Timeout:     5 * time.Second,
		MaxBytes:    64 << 10,
		Retries:     2,
		BackoffBase: 5 * time.Millisecond,
		BackoffMax:  20 * time.Millisecond,
	}
}

func (e *env) client(t *testing.T, opts fetch.Options) *fetch.Client {
	t.Helper()
	d := tor.NewDialer(e.proxy.Addr()).ForIdentity("site", "run-1")
	c := fetch.New(d.DialContext, opts, zerolog.Nop())
	t.Cleanup(c.Close)
	return c
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestGet(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1") // must be ignored
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	e := newEnv(t)
	big := bytes.Repeat([]byte("x"), 200<<10)
	bomb := gzipped(t, make([]byte, 8<<20)) // 8 MiB of zeros in ~8 KiB
	small := []byte("<html><body>hello gzip</body></html>")
	e.mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "counternet-test" || r.Header.Get("Accept-Encoding") != "gzip" || r.Header.Get("Cookie") != "" {
			http.Error(w, "bad request headers", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "secret"})
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>listing</body></html>")
	})
	e.mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	e.mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html") // a bomb passes for a page
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	e.mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipped(t, small))
	})
	e.mux.HandleFunc("/brotli", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "br")
		w.Write([]byte{1, 2, 3})
	})
	e.mux.HandleFunc("/corrupt-gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		b := gzipped(t, small)
		b[len(b)-5] ^= 0xff // break the CRC
		w.Write(b)
	})
	for i := range 10 {
		e.mux.HandleFunc(fmt.Sprintf("/chain/%d", i), func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, fmt.Sprintf("/chain/%d", i+1), http.StatusFound)
		})
	}
	e.mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
	e.mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop/a", http.StatusMovedPermanently)
	})
	e.mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusSeeOther) })
	e.mux.HandleFunc("/offhost", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+otherHost+"/ok", http.StatusFound)
	})
	e.mux.HandleFunc("/clearnet", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.com/", http.StatusFound)
	})
	var flaky atomic.Int64
	e.mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "finally")
	})
	e.mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	e.mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) })
	e.mux.HandleFunc("/captcha", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><form action="/verify"><img src="/captcha.png"><input name="captcha_code"></form></html>`)
	})
	e.mux.HandleFunc("/queue", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<html><meta http-equiv="refresh" content="5">DDoS protection: you are in queue, please wait</html>`)
	})

	c := e.client(t, testOptions())
	tests := []struct {
		path         string
		wantOutcome  string
		wantErr      error
		wantStatus   int
		wantAttempts int
		wantBody     string // prefix
		wantLen      int    // when > 0
		wantFinal    string
		wantBlocked  string
		wantHits     map[string]int64
	}{
		{path: "/ok", wantOutcome: "ok", wantStatus: 200, wantAttempts: 1, wantBody: "<html><body>listing"},
		{path: "/big", wantOutcome: "truncated", wantStatus: 200, wantAttempts: 1, wantLen: 64 << 10},
		{path: "/bomb", wantOutcome: "truncated", wantStatus: 200, wantAttempts: 1, wantLen: 64 << 10},
		{path: "/gzip", wantOutcome: "ok", wantStatus: 200, wantAttempts: 1, wantBody: string(small)},
		{path: "/brotli", wantOutcome: "error", wantErr: fetch.ErrEncoding, wantAttempts: 1},
		{path: "/corrupt-gzip", wantOutcome: "error", wantErr: fetch.ErrEncoding, wantAttempts: 1},
		// A redirect not followed comes back as the page, kept as evidence.
		{path: "/chain/0", wantOutcome: "error", wantErr: fetch.ErrRedirectLoop, wantStatus: 302, wantAttempts: 1,
			wantHits: map[string]int64{"/chain/5": 1, "/chain/6": 0}},
		{path: "/loop/a", wantOutcome: "error", wantErr: fetch.ErrRedirectLoop, wantStatus: 301, wantAttempts: 1},
		{path: "/hop", wantOutcome: "ok", wantStatus: 200, wantAttempts: 1, wantFinal: siteURL + "/ok"},
		{path: "/offhost", wantOutcome: "error", wantErr: fetch.ErrOffHostRedirect, wantStatus: 302, wantAttempts: 1},
		{path: "/clearnet", wantOutcome: "error", wantErr: fetch.ErrOffHostRedirect, wantStatus: 302, wantAttempts: 1,
			wantBody: `<a href="https://example.com/">Found</a>`},
		{path: "/flaky", wantOutcome: "ok", wantStatus: 200, wantAttempts: 3, wantBody: "finally"},
		{path: "/missing", wantOutcome: "http_error", wantErr: fetch.ErrHTTPStatus, wantStatus: 404, wantAttempts: 1},
		{path: "/down", wantOutcome: "http_error", wantErr: fetch.ErrHTTPStatus, wantStatus: 500, wantAttempts: 3},
		{path: "/captcha", wantOutcome: "blocked", wantErr: fetch.ErrBlocked, wantStatus: 200, wantAttempts: 1, wantBlocked: "captcha"},
		{path: "/queue", wantOutcome: "blocked", wantErr: fetch.ErrBlocked, wantStatus: 503, wantAttempts: 3, wantBlocked: "queue"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			p, err := c.Get(context.Background(), siteURL+tt.path)
			if p == nil {
				t.Fatal("nil page")
			}
			if tt.wantErr == nil && err != nil {
				t.Fatalf("error = %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if p.Outcome != tt.wantOutcome {
				t.Errorf("outcome = %q, want %q", p.Outcome, tt.wantOutcome)
			}
			if p.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d", p.Status, tt.wantStatus)
			}
			if p.Attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", p.Attempts, tt.wantAttempts)
			}
			if !strings.HasPrefix(string(p.Body), tt.wantBody) {
				t.Errorf("body = %.60q, want prefix %.60q", p.Body, tt.wantBody)
			}
			if tt.wantLen > 0 && len(p.Body) != tt.wantLen {
				t.Errorf("body length = %d, want %d", len(p.Body), tt.wantLen)
			}
			if (tt.wantOutcome == "truncated") != p.Truncated {
				t.Errorf("truncated = %v", p.Truncated)
			}
			if tt.wantOutcome == "truncated" && !errors.Is(p.Err(), fetch.ErrTooLarge) {
				t.Errorf("Page.Err = %v, want ErrTooLarge", p.Err())
			}
			if tt.wantFinal != "" && p.FinalURL != tt.wantFinal {
				t.Errorf("final url = %q, want %q", p.FinalURL, tt.wantFinal)
			}
			if p.Blocked != tt.wantBlocked {
				t.Errorf("blocked = %q, want %q", p.Blocked, tt.wantBlocked)
			}
			if p.Status != 0 {
				if p.Header.Get("Set-Cookie") != "" {
					t.Error("Set-Cookie kept in page header")
				}
				if p.FetchedAt.IsZero() || p.FetchedAt.Location() != time.UTC {
					t.Errorf("fetched at = %v, want a UTC time", p.FetchedAt)
				}
			}
			for path, n := range tt.wantHits {
				if got := e.count(path); got != n {
					t.Errorf("%s hit %d times, want %d", path, got, n)
				}
			}
		})
	}
	if n := e.direct.Load(); n != 0 {
		t.Errorf("%d requests reached the site without the proxy", n)
	}
	if e.count("/ok") == 0 {
		t.Error("the off-host and same-host redirects never reached /ok")
	}
}

func TestProxyDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	d := tor.NewDialer(addr, tor.WithProxyTimeout(time.Second)).ForIdentity("site", "run-1")
	c := fetch.New(d.DialContext, testOptions(), zerolog.Nop())
	start := time.Now()
	p, err := c.Get(context.Background(), siteURL+"/ok")
	if !errors.Is(err, tor.ErrProxyDown) {
		t.Fatalf("error = %v, want tor.ErrProxyDown", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the proxy %s", err, addr)
	}
	if p.Outcome != fetch.OutcomeError || p.Attempts != 3 || p.Status != 0 {
		t.Errorf("outcome %q attempts %d status %d, want error after 3 attempts", p.Outcome, p.Attempts, p.Status)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("proxy down took %v to fail", time.Since(start))
	}
}

func TestTimeoutRetried(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	defer close(release)
	e.mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	opts := testOptions()
	opts.Timeout = 200 * time.Millisecond
	opts.Retries = 1
	p, err := e.client(t, opts).Get(context.Background(), siteURL+"/slow")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline error", err)
	}
	if p.Attempts != 2 || p.Outcome != fetch.OutcomeError {
		t.Errorf("attempts %d outcome %q", p.Attempts, p.Outcome)
	}
}

func TestCanceledDuringBackoff(t *testing.T) {
	e := newEnv(t)
	e.mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", http.StatusBadGateway) })
	opts := testOptions()
	opts.BackoffBase = time.Hour
	opts.BackoffMax = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	p, err := e.client(t, opts).Get(ctx, siteURL+"/down")
	if !errors.Is(err, context.DeadlineExceeded) || p.Attempts != 1 {
		t.Fatalf("error = %v after %d attempts, want deadline after 1", err, p.Attempts)
	}
}

func TestPerHostDelayAndConcurrency(t *testing.T) {
	e := newEnv(t)
	var inflight, peak atomic.Int64
	var mu sync.Mutex
	var starts []time.Time
	e.mux.HandleFunc("/p", func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		fmt.Fprint(w, "ok")
	})
	opts := testOptions()
	opts.Delay = 50 * time.Millisecond
	opts.Concurrency = 1
	c := e.client(t, opts)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.Get(context.Background(), siteURL+"/p"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() != 1 {
		t.Errorf("peak concurrency = %d, want 1", peak.Load())
	}
	for i := 1; i < len(starts); i++ {
		// Slack for the proxy hop between the client's start and the handler.
		if gap := starts[i].Sub(starts[i-1]); gap < 40*time.Millisecond {
			t.Errorf("gap between requests %d and %d = %v, want >= 50ms", i-1, i, gap)
		}
	}
}

func TestBadURL(t *testing.T) {
	c := fetch.New(func(context.Context, string, string) (net.Conn, error) {
		t.Error("dialed for a bad url")
		return nil, errors.New("no")
	}, fetch.Options{}, zerolog.Nop())
	for _, u := range []string{"ftp://x.onion/", "http:///nohost", "::bad"} {
		p, err := c.Get(context.Background(), u)
		if err == nil || p.Outcome != fetch.OutcomeError {
			t.Errorf("Get(%q) = %q, %v; want an error", u, p.Outcome, err)
		}
	}
}

func TestClassify(t *testing.T) {
	nav := strings.Repeat(`<a href="/x">x</a>`, 30)
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"plain listing", 200, `<html><h1>Listing</h1>` + nav + `</html>`, ""},
		{"captcha form", 200, `<form action="/check"><img src="/captcha/1.png"><input name="c"></form>`, fetch.BlockCaptcha},
		{"captcha class", 200, `<div class="h-captcha" data-sitekey="x"></div>`, fetch.BlockCaptcha},
		{"post mentioning captcha", 200, `<p>the captcha on that market is annoying</p>` + nav, ""},
		{"post mentioning captcha, few links", 200, `<p>the captcha on that market is annoying</p>`, ""},
		{"ddos queue 200 with refresh", 200, `<meta http-equiv="refresh" content="10"><p>DDoS protection active</p>`, fetch.BlockQueue},
		{"queue please wait", 200, `<p>You are in the queue. Please wait.</p>`, fetch.BlockQueue},
		{"post about ddos", 200, `<p>market X was under ddos all week</p>` + nav, ""},
		{"post about ddos, few links", 200, `<p>market X was under ddos all week</p>`, ""},
		{"ddos 503", 503, `<p>anti-DDoS check</p>`, fetch.BlockQueue},
		{"please wait 503", 503, `<p>Please wait...</p>`, fetch.BlockQueue},
		{"plain 503", 503, `<p>Service Unavailable</p>`, ""},
		{"captcha 403", 403, `Are you human? Solve the challenge.`, fetch.BlockCaptcha},
		{"plain 403", 403, `Forbidden`, ""},
		{"login 403", 403, `<form><input type="password" name="p"></form>`, fetch.BlockLogin},
		{"rate limit 429", 429, `Too Many Requests`, fetch.BlockRateLimit},
		{"queue 429", 429, `you are in queue`, fetch.BlockQueue},
		{"login wall", 200, `<h1>Login</h1><form method=post><input name=u><input type=password name=p></form>`, fetch.BlockLogin},
		{"sidebar login on listing", 200, `<form><input type="password"> Log in</form><h1>Listing</h1>` + nav, ""},
		{"password field without login word", 200, `<form><input type='password'></form>`, ""},
		{"404", 404, `captcha`, ""},
		{"empty", 200, ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fetch.Classify(tt.status, []byte(tt.body)); got != tt.want {
				t.Errorf("Classify(%d, %.40q) = %q, want %q", tt.status, tt.body, got, tt.want)
			}
		})
	}
}
