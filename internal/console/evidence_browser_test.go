package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/console"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/testenv"
)

// hostilePage tries every way to run a script or fetch from evil.test; a
// script that ran would set the title to "pwned" or window.pwned.
const hostilePage = `<!doctype html><html><head><title>Listing 7</title>
<meta http-equiv="refresh" content="0;url=http://evil.test/refresh">
<base href="http://evil.test/">
<link rel=stylesheet href="http://evil.test/s.css"><link rel=prefetch href="http://evil.test/p">
<style>@import "http://evil.test/a.css"; body{background:url("http://evil.test/b.png")}</style>
<script>document.title="pwned"; window.pwned=1; fetch("http://evil.test/fetch")</script>
<script src="http://evil.test/x.js"></script>
</head><body onload="document.title='pwned'">
<h1>Premium product</h1><p>Ships from NL to EU. Price 120 EUR.</p>
<img src="http://evil.test/i.png" onerror="document.title='pwned'" alt="product photo">
<img srcset="http://evil.test/a.png 1x" alt="a">
<div style="background:url(http://evil.test/bg.png)">styled</div>
<a href="javascript:document.title='pwned'">click</a>
<svg onload="document.title='pwned'"><script>window.pwned=1</script><image href="http://evil.test/i.png"/></svg>
<iframe src="http://evil.test/frame"></iframe><iframe srcdoc="<script>parent.document.title='pwned'</script>"></iframe>
<object data="http://evil.test/o.swf"></object><embed src="http://evil.test/e.swf">
<form action="http://evil.test/post" method=post><input name=q value="shipping NL"><button>Buy</button></form>
<video poster="http://evil.test/p.jpg" src="http://evil.test/v.mp4"></video>
<noscript><p title="</noscript><img src=x onerror=document.title='pwned'>"></noscript>
<details open ontoggle="document.title='pwned'"><summary>s</summary></details>
</body></html>`

// TestEvidenceRunsNoScript stores a captured page built to run scripts and
// fetch from another host, and shows it through the console's evidence
// viewer in Chromium: the title stays, window.pwned is unset, no dialog
// opens, and the browser requests nothing outside the console.
func TestEvidenceRunsNoScript(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ClickHouse and chromium")
	}
	store := captureStore(t, &config.Config{DataDir: t.TempDir()})
	rec, err := store.Put("nebula", &fetch.Page{URL: "http://nebula.onion/item/7", FinalURL: "http://nebula.onion/item/7", Status: 200,
		Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Body: []byte(hostilePage), FetchedAt: time.Now().UTC(),
		Outcome: "ok", Method: "GET", Request: http.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	tc := newTestConsole(t, console.Options{Captures: store})
	// The control: the same page served as it is, with no sanitizing and
	// no CSP, runs its script and asks evil.test for things; the checks
	// below would see both.
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(hostilePage))
	}))
	defer raw.Close()
	b := testenv.NewBrowser(t, tc.ts.URL, raw.URL)
	b.Navigate(raw.URL + "/")
	time.Sleep(300 * time.Millisecond)
	ran := false // the inline script's fetch (the meta refresh may have navigated away since)
	for _, r := range b.Outside() {
		ran = ran || strings.HasSuffix(r.URL, "evil.test/fetch")
	}
	if !ran || len(b.Outside()) == 0 {
		t.Fatalf("control page: script ran %v, requests outside %d: the checks would not see a script run or a request", ran, len(b.Outside()))
	}
	b.Reset()
	b.Navigate(tc.ts.URL + "/login")
	b.Fill("#user", "analyst")
	b.Fill("#password", testPassword)
	b.ClickAndWait("#signin")
	b.Reset()
	b.Navigate(tc.ts.URL + "/evidence/" + rec.SHA256)
	time.Sleep(300 * time.Millisecond) // let load, error, toggle events fire
	var pwned bool
	b.Eval(`window.pwned === 1`, &pwned)
	if title := b.Title(); strings.Contains(title, "pwned") || pwned {
		t.Errorf("a script of the captured page ran: title %q, pwned %v", title, pwned)
	}
	if d := b.Dialogs(); len(d) > 0 {
		t.Errorf("dialogs: %q", d)
	}
	if text := b.Text("#page"); !strings.Contains(text, "Premium product") || !strings.Contains(text, "shipping NL") {
		t.Errorf("the page's text is not shown:\n%s", text)
	}
	for _, r := range b.Requests() {
		if !strings.HasPrefix(r.URL, tc.ts.URL) && !strings.HasPrefix(r.URL, "data:") {
			t.Errorf("request outside the console: %s %s", r.Method, r.URL)
		}
	}
	b.AssertNoRequestOutside()
}
