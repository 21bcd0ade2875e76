package testenv_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/testenv"
)

// TestBrowser drives a small form page and checks that the harness
// records the page's requests, sees the ones to origins the test did not
// allow (and that the proxy refused them), and catches a dialog.
func TestBrowser(t *testing.T) {
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached the server that was not allowed: %s", r.URL)
	}))
	defer outside.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>form</title><link rel="icon" href="data:,"></head><body>
<form action="/hello" method="get"><input id="name" name="name"><button id="go" type="submit">Go</button></form>
<img id="far" src="%s/pixel.png" alt="">
<img id="net" src="http://198.51.100.7/x.png" alt="">
</body></html>`, outside.URL)
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>hello</title><link rel="icon" href="data:,"></head><body><p id="greeting">Hello, %s</p><script>alert("hi")</script></body></html>`,
			strings.ReplaceAll(r.URL.Query().Get("name"), "<", "&lt;"))
	})
	site := httptest.NewServer(mux)
	defer site.Close()

	b := testenv.NewBrowser(t, site.URL)
	b.Navigate(site.URL + "/")
	if got := b.Title(); got != "form" {
		t.Errorf("title %q", got)
	}
	b.Fill("#name", "Ana")
	b.ClickAndWait("#go")
	if got := b.Text("#greeting"); got != "Hello, Ana" {
		t.Errorf("greeting %q", got)
	}
	if !strings.HasSuffix(b.Location(), "/hello?name=Ana") {
		t.Errorf("location %s", b.Location())
	}
	if n := b.Count("p"); n != 1 {
		t.Errorf("%d <p>", n)
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	b.Screenshot(shot)
	if png, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot: %v", err)
	}
	if d := b.Dialogs(); len(d) != 1 || d[0] != "alert: hi" {
		t.Errorf("dialogs %q", d)
	}

	var pages, outsideSeen, netSeen int
	for _, r := range b.Requests() {
		t.Logf("browser: %s %s %s allowed=%v", r.Method, r.URL, r.Type, r.Allowed)
		switch {
		case strings.HasPrefix(r.URL, site.URL) && r.Allowed:
			pages++
		case strings.HasPrefix(r.URL, outside.URL) && !r.Allowed:
			outsideSeen++
		case strings.HasPrefix(r.URL, "http://198.51.100.7/") && !r.Allowed:
			netSeen++
		default:
			t.Errorf("unexpected request %+v", r)
		}
	}
	if pages != 2 || outsideSeen != 1 || netSeen != 1 {
		t.Errorf("browser reported %d page requests, %d to the loopback server not allowed, %d to the network; want 2, 1, 1", pages, outsideSeen, netSeen)
	}
	var refused int
	for _, r := range b.Proxied() {
		t.Logf("proxy: %s %s allowed=%v", r.Method, r.URL, r.Allowed)
		if !r.Allowed && r.Type == "proxy" {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("proxy refused %d requests of the page, want 2", refused)
	}
	if n := len(b.Outside()); n != 4 {
		t.Errorf("Outside() has %d requests, want 4 (2 from the browser, 2 from the proxy)", n)
	}
}
