package worldmap

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/counternet/counternet/internal/testenv"
)

// TestRenderInChromium shows a map inline in a page under the console's
// Content-Security-Policy, and as a standalone SVG document, in headless
// Chromium: it draws every outline and flow, and the browser makes no
// request beyond the page itself.
func TestRenderInChromium(t *testing.T) {
	m := small()
	m.Fit = true
	var svg bytes.Buffer
	if err := Render(&svg, m); err != nil {
		t.Fatal(err)
	}
	const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		switch r.URL.Path {
		case "/map.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write(svg.Bytes())
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<!doctype html><html><head><meta charset="utf-8"><title>routes</title><link rel="icon" href="data:,"></head><body><figure id="map">`))
			w.Write(svg.Bytes())
			w.Write([]byte(`</figure></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	b := testenv.NewBrowser(t, srv.URL)
	all, err := Countries()
	if err != nil {
		t.Fatal(err)
	}
	dots, _ := DotOnly()
	for _, path := range []string{"/", "/map.svg"} {
		b.Reset()
		b.Navigate(srv.URL + path)
		var shapes, flows int
		b.Eval(`document.querySelectorAll("svg svg > g:first-of-type > path").length`, &shapes)
		b.Eval(`document.querySelectorAll("svg svg > g:last-of-type > g").length`, &flows)
		if shapes != len(all)-len(dots)+1 { // + Kosovo, land with no code
			t.Errorf("%s: %d outlines in the DOM, want %d", path, shapes, len(all)-len(dots)+1)
		}
		if flows != 5 {
			t.Errorf("%s: %d flows in the DOM, want 5", path, flows)
		}
		var width float64
		b.Eval(`document.querySelector("svg").getBoundingClientRect().width`, &width)
		if width < 900 {
			t.Errorf("%s: map drawn %.0f px wide", path, width)
		}
		for _, r := range b.Requests() {
			// A document with no <link rel=icon> (the standalone SVG)
			// makes the browser ask its origin for /favicon.ico.
			if r.URL != srv.URL+path && r.URL != srv.URL+"/favicon.ico" {
				t.Errorf("%s: request beyond the page: %s %s", path, r.Method, r.URL)
			}
		}
		b.AssertNoRequestOutside()
	}
	b.Navigate(srv.URL + "/")
	shot := filepath.Join(t.TempDir(), "routes.png")
	if dir := os.Getenv("COUNTERNET_SCREENSHOTS"); dir != "" {
		shot = filepath.Join(dir, "worldmap-routes.png")
	}
	b.Screenshot(shot)
	t.Logf("screenshot: %s", shot)
}
