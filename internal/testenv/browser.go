package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// debianChromium is the browser binary of Debian's chromium package.
const debianChromium = "/usr/lib/chromium/chromium"

// browserStepTimeout bounds each step a test asks of the browser.
const browserStepTimeout = 30 * time.Second

// BrowserRequest is one request the browser made (or tried to make).
type BrowserRequest struct {
	Method string
	// URL is the full URL the browser asked for, or "host:port" for a
	// tunnel (CONNECT) the proxy saw.
	URL string
	// Origin is scheme://host:port ("data:", "blob:", "about:" for URLs
	// that never leave the browser; "tunnel://host:port" for a CONNECT).
	Origin string
	// Type is the resource type the browser gave (Document, Image, ...),
	// or "proxy" for what the recording proxy saw ("chromium service" for
	// the browser's own calls to Google services).
	Type string
	// Allowed says whether Origin is one the test allowed.
	Allowed bool
}

// Browser is a headless Debian Chromium driven through the DevTools
// protocol (github.com/chromedp/chromedp) for a test: a new empty profile,
// no background networking, and every request it makes recorded twice,
// from the browser's own network events and by a loopback proxy that all
// its traffic goes through (loopback included), which refuses origins the
// test did not allow. So a test can assert that a page made no request
// outside the console, and nothing leaves even if one does.
//
// The chromedp context (which stands for the browser tab) is kept in the
// Browser because chromedp addresses the tab through it; it ends with the
// test.
type Browser struct {
	tb      testing.TB
	tab     context.Context
	dataDir string

	mu       sync.Mutex
	allowed  map[string]bool // origins
	requests []BrowserRequest
	proxied  []BrowserRequest
	dialogs  []string
}

// chromiumPath finds Debian's chromium (or $CHROMIUM): the binary itself,
// not the /usr/bin/chromium wrapper, which exports Google API keys (so the
// browser signs in to Google services) and turns on remote extensions.
func chromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat(debianChromium); err == nil {
		return debianChromium, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM")
}

// NewBrowser starts a headless Chromium for tb, allowed to reach only the
// given origins ("http://127.0.0.1:8080"; more with Allow). Under -short it
// skips the test. When chromium is missing it skips the test, except when
// the environment variable CI is set: then it fails. TLS certificate
// errors are ignored (the console's generated certificate is self-signed).
func NewBrowser(tb testing.TB, allowed ...string) *Browser {
	tb.Helper()
	if testing.Short() {
		tb.Skip("skipping the headless browser under -short")
	}
	bin, err := chromiumPath()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("testenv: %v", err)
		}
		tb.Skipf("testenv: %v", err)
	}
	b := &Browser{tb: tb, allowed: map[string]bool{}, dataDir: filepath.Join(tb.TempDir(), "chromium-profile")}
	for _, o := range allowed {
		b.Allow(o)
	}
	proxy := httptest.NewServer(http.HandlerFunc(b.proxy))
	tb.Cleanup(proxy.Close)
	if err := os.MkdirAll(b.dataDir, 0o700); err != nil {
		tb.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(b.dataDir),
		chromedp.IgnoreCertErrors,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		// Every frame in the page's process, so its network events are
		// the tab's.
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("disable-features", "IsolateOrigins,site-per-process,Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater"),
		// All traffic through the recording proxy, loopback included.
		chromedp.ProxyServer(proxy.URL),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b.tab = tab
	if err := chromedp.Listen(tab, b.event); err != nil {
		tb.Fatalf("testenv: starting chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		tb.Fatalf("testenv: chromium network events: %v", err)
	}
	return b
}

// Allow adds an origin ("https://127.0.0.1:8443") the browser may reach.
func (b *Browser) Allow(origin string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed[strings.TrimSuffix(origin, "/")] = true
}

// originOf returns scheme://host:port of a URL, with the default port
// written, or the scheme alone for URLs that never leave the browser.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "invalid:" + raw
	}
	switch u.Scheme {
	case "data", "blob", "about", "javascript", "chrome-error":
		return u.Scheme + ":"
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http", "ws":
			port = "80"
		case "https", "wss":
			port = "443"
		}
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port)
}

// local reports origins that are the browser itself, not the network.
func local(origin string) bool {
	return origin == "data:" || origin == "blob:" || origin == "about:" || origin == "chrome-error:"
}

func (b *Browser) isAllowed(origin string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.allowed[origin] {
		return true
	}
	// An allowed origin written without its default port.
	if u, err := url.Parse(origin); err == nil {
		for o := range b.allowed {
			if originOf(o) == originOf(u.String()) {
				return true
			}
		}
	}
	return false
}

// tunnelAllowed reports whether a CONNECT to hostport may go through: some
// allowed https or wss origin is on it.
func (b *Browser) tunnelAllowed(hostport string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for o := range b.allowed {
		u, err := url.Parse(originOf(o))
		if err == nil && (u.Scheme == "https" || u.Scheme == "wss") && u.Host == hostport {
			return true
		}
	}
	return false
}

// event records the browser's requests and dismisses dialogs. It runs on
// chromedp's reading goroutine: no commands here.
func (b *Browser) event(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		o := originOf(ev.Request.URL)
		r := BrowserRequest{Method: ev.Request.Method, URL: ev.Request.URL, Origin: o, Type: string(ev.Type)}
		r.Allowed = local(o) || b.isAllowed(o)
		b.mu.Lock()
		b.requests = append(b.requests, r)
		b.mu.Unlock()
	case *page.EventJavascriptDialogOpening:
		b.mu.Lock()
		b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
		b.mu.Unlock()
		go func() {
			ctx, cancel := context.WithTimeout(b.tab, browserStepTimeout)
			defer cancel()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	}
}

// chromiumServices are the hosts Chromium calls by itself, whatever the
// page, despite the flags (the component updater at update.googleapis.com,
// Google account checks at accounts.google.com, component downloads at
// redirector.gvt1.com). The proxy refuses them
// like any other origin not allowed; Outside leaves them out, since a page
// that asks for one of them shows in the browser's own events (Requests).
var chromiumServices = []string{".google.com", ".googleapis.com", ".gvt1.com"}

// proxyType says who made a proxied request: "chromium service" for the
// browser's own calls to chromiumServices, else "proxy".
func proxyType(host string) string {
	h := strings.ToLower(host)
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	for _, s := range chromiumServices {
		if strings.HasSuffix(h, s) {
			return "chromium service"
		}
	}
	return "proxy"
}

// proxy is the recording proxy: it forwards requests and tunnels to
// allowed origins and refuses the rest with 403.
func (b *Browser) proxy(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		ok := b.tunnelAllowed(r.Host)
		b.recordProxied(BrowserRequest{Method: r.Method, URL: r.Host, Origin: "tunnel://" + r.Host, Type: proxyType(r.Host), Allowed: ok})
		if !ok {
			http.Error(w, "testenv proxy: origin not allowed", http.StatusForbidden)
			return
		}
		b.tunnel(w, r)
		return
	}
	o := originOf(r.URL.String())
	ok := r.URL.IsAbs() && b.isAllowed(o)
	b.recordProxied(BrowserRequest{Method: r.Method, URL: r.URL.String(), Origin: o, Type: proxyType(r.URL.Host), Allowed: ok})
	if !ok {
		http.Error(w, "testenv proxy: origin not allowed", http.StatusForbidden)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Header.Del("Proxy-Connection")
	resp, err := (&http.Transport{Proxy: nil, DisableCompression: true}).RoundTrip(out)
	if err != nil {
		http.Error(w, "testenv proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (b *Browser) tunnel(w http.ResponseWriter, r *http.Request) {
	dst, err := net.DialTimeout("tcp", r.Host, 10*time.Second)
	if err != nil {
		http.Error(w, "testenv proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		dst.Close()
		http.Error(w, "testenv proxy: no hijacking", http.StatusInternalServerError)
		return
	}
	src, buf, err := hj.Hijack()
	if err != nil {
		dst.Close()
		return
	}
	src.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n"))
	go func() {
		defer dst.Close()
		defer src.Close()
		if n := buf.Reader.Buffered(); n > 0 {
			pending, _ := buf.Reader.Peek(n)
			dst.Write(pending)
		}
		go io.Copy(src, dst)
		io.Copy(dst, src)
	}()
}

func (b *Browser) recordProxied(r BrowserRequest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.proxied = append(b.proxied, r)
}

// Requests returns the requests the browser reported, in order.
func (b *Browser) Requests() []BrowserRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BrowserRequest(nil), b.requests...)
}

// Proxied returns what the recording proxy saw, in order.
func (b *Browser) Proxied() []BrowserRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BrowserRequest(nil), b.proxied...)
}

// Outside returns every request, reported by the browser or seen by the
// proxy, to an origin the test did not allow, but for the browser's own
// calls to Google services (see chromiumServices; Proxied lists them).
func (b *Browser) Outside() []BrowserRequest {
	var out []BrowserRequest
	for _, r := range append(b.Requests(), b.Proxied()...) {
		if !r.Allowed && r.Type != "chromium service" {
			out = append(out, r)
		}
	}
	return out
}

// AssertNoRequestOutside fails the test for each request to an origin it
// did not allow.
func (b *Browser) AssertNoRequestOutside() {
	b.tb.Helper()
	for _, r := range b.Outside() {
		b.tb.Errorf("browser request outside the allowed origins: %s %s (%s)", r.Method, r.URL, r.Type)
	}
}

// Dialogs returns the alert, confirm and prompt dialogs pages opened (each
// dismissed): a page that opens one ran a script.
func (b *Browser) Dialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// Reset forgets the requests and dialogs recorded so far.
func (b *Browser) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests, b.proxied, b.dialogs = nil, nil, nil
}

// do runs steps with the step timeout, failing the test on error.
func (b *Browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.tab, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.tb.Fatalf("browser: %s: %v", what, err)
	}
}

// run runs one action with a value under the step timeout.
func run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.tab, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.tb.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// Navigate loads url and waits for its load event.
func (b *Browser) Navigate(url string) {
	b.tb.Helper()
	b.do("navigating to "+url, chromedp.Navigate(url))
}

// Fill types value into the field matched by the CSS selector (after
// clearing it).
func (b *Browser) Fill(selector, value string) {
	b.tb.Helper()
	b.do("filling "+selector, chromedp.Clear(chromedp.CSS(selector)), chromedp.SendKeys(chromedp.CSS(selector), value))
}

// Click clicks the element matched by the CSS selector.
func (b *Browser) Click(selector string) {
	b.tb.Helper()
	b.do("clicking "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// ClickAndWait clicks the element matched by the CSS selector and waits for
// the page it leads to to load (a form submit, a link).
func (b *Browser) ClickAndWait(selector string) {
	b.tb.Helper()
	run(b, "clicking "+selector+" and waiting for the page", chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(selector))))
}

// WaitVisible waits until the element matched by the CSS selector is
// visible.
func (b *Browser) WaitVisible(selector string) {
	b.tb.Helper()
	b.do("waiting for "+selector, chromedp.WaitVisible(chromedp.CSS(selector)))
}

// Text returns the visible text of the first element matched by the CSS
// selector.
func (b *Browser) Text(selector string) string {
	b.tb.Helper()
	return run(b, "reading the text of "+selector, chromedp.Text(chromedp.CSS(selector)))
}

// HTML returns the outer HTML of the first element matched by the CSS
// selector, as the browser's DOM has it.
func (b *Browser) HTML(selector string) string {
	b.tb.Helper()
	return run(b, "reading "+selector, chromedp.OuterHTML(chromedp.CSS(selector)))
}

// Count returns how many elements match the CSS selector now (without
// waiting for any).
func (b *Browser) Count(selector string) int {
	b.tb.Helper()
	var n int
	b.Eval(fmt.Sprintf("document.querySelectorAll(%q).length", selector), &n)
	return n
}

// Title returns the document's title.
func (b *Browser) Title() string {
	b.tb.Helper()
	return run(b, "reading the title", chromedp.Title())
}

// Location returns the URL of the page shown.
func (b *Browser) Location() string {
	b.tb.Helper()
	return run(b, "reading the location", chromedp.Location())
}

// Eval evaluates a JavaScript expression in the page (DevTools' evaluation,
// which the page's CSP does not restrict) and decodes its JSON value into
// out.
func (b *Browser) Eval(expr string, out any) {
	b.tb.Helper()
	raw := run(b, "evaluating "+expr, chromedp.Evaluate[[]byte](expr))
	if out == nil {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.tb.Fatalf("browser: decoding the value of %s (%s): %v", expr, raw, err)
	}
}

// Screenshot writes a PNG of the whole page to path.
func (b *Browser) Screenshot(path string) {
	b.tb.Helper()
	png := run(b, "taking a screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.tb.Fatalf("browser: writing %s: %v", path, err)
	}
}
