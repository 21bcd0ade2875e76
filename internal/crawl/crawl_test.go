package crawl_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/crawl"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/fixture/hostile"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/socksd"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/tor"
)

// onion returns a valid v3 onion host derived from name.
func onion(name string) string {
	seed := sha256.Sum256([]byte("counternet-hostile:" + name))
	return tor.OnionV3(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
}

var (
	mirrorA = onion("a")
	mirrorB = onion("b")
)

// env is the hostile market behind the stand-in SOCKS proxy, a real
// embedded JetStream and an evidence store: the whole collector path.
type env struct {
	site   *hostile.Site
	proxy  *socksd.Server
	bus    *bus.Conn
	store  *capture.Store
	dialer *tor.Dialer

	mu     sync.Mutex
	routes map[string]string
}

func newEnv(t testing.TB, opts hostile.Options) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: socks proxy, fixture site and embedded nats-server")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{site: hostile.New(opts, zerolog.Nop()), routes: map[string]string{}}
	e.proxy = socksd.New(zerolog.Nop(), func(host string) (string, bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		a, ok := e.routes[host]
		return a, ok
	})
	e.site.Allow = e.proxy.IsOutbound
	if err := e.site.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.site.Close() })
	e.route(mirrorA, true)
	e.route(mirrorB, true)
	if err := e.proxy.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.proxy.Close() })
	c, err := bus.Connect(ctx, bus.Options{URL: testenv.NATS(t), Name: "crawl-test"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	e.bus = c
	if e.store, err = capture.Open(filepath.Join(t.TempDir(), "captures")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	e.dialer = tor.NewDialer(e.proxy.Addr(), tor.WithProxyTimeout(time.Second))
	return e
}

// route makes host reachable through the proxy (up) or unknown to it.
func (e *env) route(host string, up bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if up {
		e.routes[host] = e.site.Addr()
	} else {
		delete(e.routes, host)
	}
}

func siteFile(t testing.TB, name string, hosts ...string) *pipeline.Site {
	t.Helper()
	var mirrors []string
	for _, h := range hosts {
		mirrors = append(mirrors, "http://"+h)
	}
	s, err := pipeline.Parse(name+".yaml", []byte(hostile.SiteFile(name, mirrors...)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fetchOptions() fetch.Options {
	return fetch.Options{
		UserAgent: "counternet-test", Timeout: 2 * time.Second, IdleTimeout: 500 * time.Millisecond,
		MaxBytes: 64 << 10, Retries: 1, BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		Concurrency: 4,
	}
}

// run crawls site with a real fetch client over the Tor dialer.
func (e *env) run(t testing.TB, site *pipeline.Site, opts fetch.Options, tweak func(*crawl.Deps)) (*crawl.Report, error) {
	t.Helper()
	sessions := 0
	client := fetch.New(e.dialer.ForIdentity(site.Name, "s0").DialContext, opts, zerolog.Nop())
	t.Cleanup(client.Close)
	d := crawl.Deps{
		Fetch: client, Evidence: e.store, Publish: e.bus.Publisher(256, 2, 10*time.Second), Log: zerolog.Nop(),
		BlockBackoff: 5 * time.Millisecond, BlockBackoffMax: 20 * time.Millisecond,
		NewIdentity: func() {
			sessions++
			client.SetDial(e.dialer.ForIdentity(site.Name, "s"+string(rune('0'+sessions))).DialContext)
		},
	}
	if tweak != nil {
		tweak(&d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return crawl.Run(ctx, site, d)
}

// events reads back every event of source stored on the stream.
func (e *env) events(t *testing.T, source string) []event.Decoded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := e.bus.JS.OrderedConsumer(ctx, "INTEL", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"intel.v1.*." + source},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Decoded
	for {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			ds, err := event.DecodeMessage(m.Subject(), m.Data())
			if err != nil {
				t.Fatalf("event on the bus does not decode: %v", err)
			}
			out = append(out, ds...)
		}
		if n == 0 {
			return out
		}
	}
}

func listings(evs []event.Decoded) map[string]*event.Listing {
	out := map[string]*event.Listing{}
	for _, d := range evs {
		if d.Listing != nil {
			out[d.Listing.ListingID] = d.Listing
		}
	}
	return out
}

func captures(evs []event.Decoded) map[string]*event.Capture {
	out := map[string]*event.Capture{}
	for _, d := range evs {
		if d.Capture != nil {
			u, _ := url.Parse(d.Capture.URL)
			out[u.Path] = d.Capture
		}
	}
	return out
}

func runEvent(t *testing.T, evs []event.Decoded) *event.Run {
	t.Helper()
	for _, d := range evs {
		if d.Run != nil {
			return d.Run
		}
	}
	t.Fatal("no run event on the bus")
	return nil
}

// TestHostilePages crawls a market whose index links to every hostile page:
// each is classified as DESIGN.md's table says, the run goes on, and the
// collector stops reading where its limits say (asserted on byte counts).
func TestHostilePages(t *testing.T) {
	e := newEnv(t, hostile.Options{Items: 4, Hostile: true, BigBytes: 32 << 20, BinaryBytes: 32 << 20})
	site := siteFile(t, "hostile", mirrorA)
	rep, err := e.run(t, site, fetchOptions(), nil)
	if err != nil {
		t.Fatalf("run error = %v, want a run that goes on", err)
	}
	wantClasses := map[string]int{
		"ok": 7, "too_large": 2, "queue": 1, "captcha": 1, "ratelimit": 1, "not_found": 1, "refused": 1, "error": 3,
	}
	if !mapsEqual(rep.Classes, wantClasses) {
		t.Errorf("classes = %v, want %v", rep.Classes, wantClasses)
	}
	if rep.Outcome != "partial" || rep.Listings != 6 || rep.PagesOK != 7 || rep.Blocked != 3 || rep.Failed != 1 {
		t.Errorf("report: %s", rep.Summary())
	}
	evs := e.events(t, "hostile")
	caps := captures(evs)
	tests := []struct {
		path, class, outcome string
		evidence             bool
	}{
		{"/item/1", "ok", "ok", true},
		{"/item/latin1", "ok", "ok", true},
		{"/item/cp1252", "ok", "ok", true},
		{"/queue", "queue", "blocked", true},
		{"/captcha", "captcha", "blocked", true},
		{"/ratelimit", "ratelimit", "blocked", true},
		{"/big", "too_large", "truncated", true},
		{"/bomb", "too_large", "truncated", true},
		{"/gone", "not_found", "http_error", true},
		{"/binary", "refused", "refused", true},
		// Redirects not followed are kept as evidence, never used as data:
		// a market pointing away from Tor is worth keeping.
		{"/loop", "error", "error", true},
		{"/slowloris", "error", "error", false},
		{"/clearnet", "error", "error", true},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			c := caps[tt.path]
			if c == nil {
				t.Fatalf("no capture event for %s", tt.path)
			}
			if c.Class != tt.class || c.Outcome != tt.outcome {
				t.Errorf("class %q outcome %q, want %q %q (error %q)", c.Class, c.Outcome, tt.class, tt.outcome, c.Error)
			}
			if c.Mirror != mirrorA {
				t.Errorf("mirror = %q", c.Mirror)
			}
			if !tt.evidence {
				if c.SHA256 != "" || c.Error == "" {
					t.Errorf("failed fetch: sha %q error %q", c.SHA256, c.Error)
				}
				return
			}
			body, err := e.store.Get(c.SHA256)
			if err != nil {
				t.Fatalf("evidence of %s: %v", tt.path, err)
			}
			if int64(len(body)) != c.Bytes || int64(len(body)) > 64<<10 {
				t.Errorf("evidence %d bytes, capture says %d, limit 64 KiB", len(body), c.Bytes)
			}
		})
	}
	for _, tt := range []struct {
		path string
		err  string
	}{
		{"/loop", "too many redirects"},
		{"/slowloris", "fetch timed out"},
		{"/clearnet", "from an onion to a clearnet host"},
	} {
		if c := caps[tt.path]; c == nil || !strings.Contains(c.Error, tt.err) {
			t.Errorf("%s: capture error does not say %q: %+v", tt.path, tt.err, c)
		}
	}
	if body, err := e.store.Get(caps["/clearnet"].SHA256); err != nil || !strings.Contains(string(body), "http://example.com/") {
		t.Errorf("evidence of the clearnet redirect does not show where it pointed: %q, %v", body, err)
	}
	// Memory stays bounded: the collector read at most its limit of each
	// endless or oversize body, and dropped binary junk unread.
	if got := caps["/big"].Bytes; got != 64<<10 {
		t.Errorf("/big kept %d bytes, want the 64 KiB limit", got)
	}
	if got := caps["/bomb"].Bytes; got != 64<<10 {
		t.Errorf("/bomb decompressed to %d bytes, want the 64 KiB limit", got)
	}
	if w := e.site.Written("/big"); w >= 32<<20 {
		t.Errorf("site wrote all %d bytes of /big: the collector read past its limit", w)
	}
	if w := e.site.Written("/binary"); w >= 32<<20 || caps["/binary"].Bytes != 0 {
		t.Errorf("binary junk: site wrote %d bytes, %d kept; want it dropped unread", w, caps["/binary"].Bytes)
	}
	// Slowloris: one byte per 20 ms for each attempt of at most 2 s. Two
	// attempts (one retry); Go's transport may resend a GET once more when a
	// reused keep-alive connection fails under it.
	n := e.site.Requests("/slowloris")
	if n < 2 || n > 3 {
		t.Errorf("slowloris requested %d times, want 2 (retried once)", n)
	}
	if w := e.site.Written("/slowloris"); w > n*2000/20+10 {
		t.Errorf("slowloris trickled %d bytes in %d requests before being cut", w, n)
	}
	ls := listings(evs)
	if l := ls["latin1"]; l == nil || l.Title != "Crème brûlée 5g" || l.Description != "Café quality" {
		t.Errorf("ISO-8859-1 listing = %+v, want decoded text", l)
	}
	if l := ls["cp1252"]; l == nil || l.Title != "\u201cEuro\u201d pack" || !slices.Contains(l.Flags, "charset:guessed") {
		t.Errorf("Windows-1252 listing = %+v, want decoded and flagged", l)
	}
	if caps["/item/latin1"].Charset != "windows-1252" || caps["/item/cp1252"].CharsetFlag != fetch.CharsetGuessed {
		t.Errorf("charsets: latin1 %q, cp1252 flag %q", caps["/item/latin1"].Charset, caps["/item/cp1252"].CharsetFlag)
	}
	if n := e.site.Requests("/item/1"); n != 1 {
		t.Errorf("/item/1 linked three ways was fetched %d times, want once", n)
	}
	if n := e.site.Refused(); n != 0 {
		t.Errorf("%d requests reached the site without the proxy", n)
	}
	run := runEvent(t, evs)
	if run.PagesOK != 7 || run.Blocked != 3 || run.Classes["refused"] != 1 || run.Records != 6 || len(run.Errors) == 0 ||
		run.Mirror != mirrorA || run.DurationMS <= 0 {
		t.Errorf("run event = %+v", run)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestProxyDown: with the proxy down nothing reaches the site and the run
// fails naming the proxy.
func TestProxyDown(t *testing.T) {
	e := newEnv(t, hostile.Options{})
	site := siteFile(t, "down", mirrorA)
	addr := e.proxy.Addr()
	e.proxy.Close()
	rep, err := e.run(t, site, fetchOptions(), nil)
	if !errors.Is(err, tor.ErrProxyDown) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("error = %v, want tor.ErrProxyDown naming %s", err, addr)
	}
	if rep.Outcome != "failed" || rep.Pages != 0 {
		t.Errorf("report: %s", rep.Summary())
	}
	if n := e.site.HostRequests(mirrorA); n != 0 {
		t.Errorf("%d requests reached the site with the proxy down", n)
	}
}

// TestSlowProxy: a proxy adding latency slows the run but loses nothing;
// a run deadline shorter than the crawl ends it partial, with what it got.
func TestSlowProxy(t *testing.T) {
	e := newEnv(t, hostile.Options{Items: 6})
	e.proxy.SetLatency(100 * time.Millisecond)
	rep, err := e.run(t, siteFile(t, "slow", mirrorA), fetchOptions(), nil)
	if err != nil || rep.Outcome != "ok" || rep.Listings != 6 {
		t.Fatalf("slow proxy: %v; %s", err, rep.Summary())
	}
	one := siteFile(t, "slowdeadline", mirrorA)
	one.Politeness.Concurrency = 1
	rep, err = e.run(t, one, fetchOptions(), func(d *crawl.Deps) { d.RunTimeout = 450 * time.Millisecond })
	if !errors.Is(err, crawl.ErrRunDeadline) {
		t.Fatalf("error = %v, want ErrRunDeadline", err)
	}
	if rep.Outcome != "partial" || rep.PagesOK == 0 || rep.PagesOK >= 7 || rep.Left == 0 {
		t.Errorf("deadline run: %s, %d left", rep.Summary(), rep.Left)
	}
	if run := runEvent(t, e.events(t, "slowdeadline")); !strings.Contains(run.Error, "run deadline") {
		t.Errorf("run event error = %q", run.Error)
	}
}

// TestMirrorFailover: when the first mirror is down, dies mid-run or only
// shows a DDoS queue, the run moves to the second with a fresh identity,
// re-queues what failed, and collects every listing once; the listings are
// the same whichever mirror served them.
func TestMirrorFailover(t *testing.T) {
	tests := []struct {
		name     string
		break_   func(e *env)
		wantFrom []string // mirrors that served ok pages
	}{
		{"down from the start", func(e *env) { e.route(mirrorA, false) }, []string{mirrorB}},
		{"dies mid-run", func(e *env) { e.site.FailAfter(mirrorA, 3) }, []string{mirrorA, mirrorB}},
		{"ddos queue", func(e *env) { e.site.Queue(mirrorA) }, []string{mirrorB}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, hostile.Options{Items: 8})
			healthy, err := e.run(t, siteFile(t, "healthy", mirrorA, mirrorB), fetchOptions(), nil)
			if err != nil || healthy.Listings != 8 {
				t.Fatalf("healthy run: %v", err)
			}
			tt.break_(e)
			opts := fetchOptions()
			opts.Concurrency = 1
			site := siteFile(t, "failover", mirrorA, mirrorB)
			site.Politeness.Concurrency = 1
			rep, err := e.run(t, site, opts, func(d *crawl.Deps) { d.FailureThreshold = 2 })
			if err != nil {
				t.Fatalf("run error = %v", err)
			}
			if rep.MirrorSwitches != 1 || rep.Mirror != mirrorB || rep.Identities != 1 || rep.Listings != 8 {
				t.Errorf("report: %s; switches %d identities %d", rep.Summary(), rep.MirrorSwitches, rep.Identities)
			}
			evs := e.events(t, "failover")
			served := map[string]bool{}
			for _, d := range evs {
				if c := d.Capture; c != nil && c.Class == "ok" {
					served[c.Mirror] = true
				}
			}
			for _, m := range []string{mirrorA, mirrorB} {
				if served[m] != slices.Contains(tt.wantFrom, m) {
					t.Errorf("mirror %s served ok pages: %v, want %v", m[:8], served[m], slices.Contains(tt.wantFrom, m))
				}
			}
			before, after := listings(e.events(t, "healthy")), listings(evs)
			if len(before) != 8 || len(after) != 8 {
				t.Fatalf("listings: %d before, %d after", len(before), len(after))
			}
			for id, l := range before {
				if a := after[id]; a == nil || a.Title != l.Title || a.Mirror != mirrorB && !slices.Contains(tt.wantFrom, a.Mirror) {
					t.Errorf("listing %s: before %+v, after %+v", id, l.Provenance, a)
				}
			}
			if n := e.site.Refused(); n != 0 {
				t.Errorf("%d direct requests", n)
			}
		})
	}
}

// TestLoginWall: a session cookie the market no longer accepts makes the
// first page a login wall; the run stops and names the source needing a new
// login. A valid cookie collects everything, and no cookie value is kept.
func TestLoginWall(t *testing.T) {
	const secret = "s3ss10n-7f2a9c"
	e := newEnv(t, hostile.Options{Items: 3, Session: secret})
	jar := func(t *testing.T, value string) fetch.Options {
		path := filepath.Join(t.TempDir(), "cookies.txt")
		txt := "# Netscape HTTP Cookie File\n" + mirrorA + "\tFALSE\t/\tTRUE\t0\tsession\t" + value + "\n"
		if err := os.WriteFile(path, []byte(txt), 0o600); err != nil {
			t.Fatal(err)
		}
		cs, err := fetch.LoadCookies(path, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		j, err := fetch.NewJar(cs)
		if err != nil {
			t.Fatal(err)
		}
		o := fetchOptions()
		o.Jar = j
		return o
	}
	authed := func(d *crawl.Deps) { d.Authenticated = true }
	rep, err := e.run(t, siteFile(t, "expired", mirrorA), jar(t, "stale-session"), authed)
	if !errors.Is(err, crawl.ErrSessionExpired) || !rep.NeedsLogin {
		t.Fatalf("expired cookies: error %v, needs login %v", err, rep.NeedsLogin)
	}
	if rep.Classes["login"] == 0 || rep.Listings != 0 || !strings.Contains(rep.Summary(), "expired NEEDS A NEW LOGIN") {
		t.Errorf("report: %s", rep.Summary())
	}
	if run := runEvent(t, e.events(t, "expired")); !run.NeedsLogin || !strings.Contains(run.Error, "session expired") {
		t.Errorf("run event = %+v", run)
	}
	rep, err = e.run(t, siteFile(t, "fresh", mirrorA), jar(t, secret), authed)
	if err != nil || rep.Listings != 3 || rep.NeedsLogin {
		t.Fatalf("fresh cookies: %v; %s", err, rep.Summary())
	}
	files, err := e.store.Files()
	if err != nil {
		t.Fatal(err)
	}
	e.store.Close()
	for _, f := range files {
		raw, _ := os.ReadFile(filepath.Join(e.store.Dir(), f))
		if strings.Contains(string(gunzip(t, raw)), secret) {
			t.Errorf("%s holds the session cookie", f)
		}
	}
}

// Test429Storm: every page answers 429; the collector backs off (at most
// 1+retries requests per page), takes a fresh identity, counts the pages as
// rate limited and ends partial.
func Test429Storm(t *testing.T) {
	e := newEnv(t, hostile.Options{Items: 5, Storm: true})
	rep, err := e.run(t, siteFile(t, "storm", mirrorA), fetchOptions(), nil)
	if err != nil {
		t.Fatalf("run error = %v", err)
	}
	if rep.Classes["ratelimit"] != 5 || rep.Outcome != "partial" || rep.Identities == 0 || rep.Listings != 0 {
		t.Errorf("report: %s, classes %v, identities %d", rep.Summary(), rep.Classes, rep.Identities)
	}
	for i := 1; i <= 5; i++ {
		if n := e.site.Requests("/item/" + string(rune('0'+i))); n != 2 {
			t.Errorf("/item/%d requested %d times, want 2 (one retry)", i, n)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://X.onion/item/1#reviews", "/item/1"},
		{"http://x.onion/item/1?", "/item/1"},
		{"http://x.onion", "/"},
		{"http://x.onion/browse?page=2&cat=5", "/browse?cat=5&page=2"},
		{"http://x.onion/browse?cat=5&page=2", "/browse?cat=5&page=2"},
		{"http://x.onion/a%20b?q=x%20y", "/a%20b?q=x+y"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := crawl.Canonical(u); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func gunzip(t *testing.T, raw []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFrontierBounded: a run limited to 4 pages over a market whose index
// links to 12 listings queues no more than it can fetch, counts the links
// it did not queue, and collects the listings it had room for.
func TestFrontierBounded(t *testing.T) {
	e := newEnv(t, hostile.Options{Items: 12})
	site := siteFile(t, "frontier", mirrorA)
	site.Politeness.Concurrency = 1
	rep, err := e.run(t, site, fetchOptions(), func(d *crawl.Deps) { d.MaxPages = 4 })
	if err != nil {
		t.Fatalf("run: %v; %s", err, rep.Summary())
	}
	if rep.Pages != 4 || rep.Listings != 3 {
		t.Errorf("run: %s; want 4 pages (the index and 3 listings)", rep.Summary())
	}
	if rep.Left+rep.Pages-1 > 4 || rep.FrontierFull < 12-4 {
		t.Errorf("frontier: %d left, %d links not queued; want at most 4 queued in all and the other %d links counted",
			rep.Left, rep.FrontierFull, 12-4)
	}
	if n := len(listings(e.events(t, "frontier"))); n != 3 {
		t.Errorf("%d listings on the bus, want 3", n)
	}
}

// A start page that is not data (a 404) fails the run, loudly: it used to
// count as an ok page and the run as merely partial.
func TestStartPageNotData(t *testing.T) {
	e := newEnv(t, hostile.Options{Items: 2})
	site := siteFile(t, "nostart", mirrorA)
	site.Start[0].Path = "/no-such-index"
	rep, err := e.run(t, site, fetchOptions(), nil)
	if !errors.Is(err, crawl.ErrStartPages) || !strings.Contains(err.Error(), "/no-such-index") {
		t.Fatalf("error = %v, want ErrStartPages naming the page", err)
	}
	if rep.Outcome != "failed" || len(rep.StartFailures) != 1 || !strings.Contains(rep.StartFailures[0], "HTTP 404") {
		t.Errorf("report: %s; start failures %q", rep.Summary(), rep.StartFailures)
	}
	if run := runEvent(t, e.events(t, "nostart")); run.Outcome != "failed" || !strings.Contains(run.Error, "no start page was data") {
		t.Errorf("run event: outcome %s, error %q", run.Outcome, run.Error)
	}
}

// Selector health has one definition: the report's share (the metric) is
// the share `counternet status` computes from the run's capture events
// (outcome ok, records > 0).
func TestSelectorHealthAgreesWithCaptures(t *testing.T) {
	e := newEnv(t, hostile.Options{Items: 6})
	rep, err := e.run(t, siteFile(t, "health", mirrorA), fetchOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ok, hits int
	for _, d := range e.events(t, "health") {
		if c := d.Capture; c != nil && c.Outcome == "ok" {
			ok++
			if c.Records > 0 {
				hits++
			}
		}
	}
	h, known := rep.SelectorHealth()
	if !known || ok == 0 || h != float64(hits)/float64(ok) {
		t.Errorf("report health %v (%v), captures say %d of %d", h, known, hits, ok)
	}
}

// Pages the evidence store cannot keep are counted (the metric
// counternet_evidence_errors_total takes the count) and never used as data.
func TestEvidenceStoreFailureCounted(t *testing.T) {
	e := newEnv(t, hostile.Options{Items: 2})
	e.store.Close() // a store that refuses every write
	rep, _ := e.run(t, siteFile(t, "noevidence", mirrorA), fetchOptions(), nil)
	if rep.EvidenceFailed == 0 || rep.Listings != 0 {
		t.Errorf("evidence failures %d, listings %d: %s", rep.EvidenceFailed, rep.Listings, rep.Summary())
	}
}
