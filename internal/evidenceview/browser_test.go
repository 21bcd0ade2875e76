package evidenceview

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/testenv"
)

// page wraps a body in the page the browser test serves. Its own script
// (trusted, first) gives the hostile pages' pwn() a side effect; there is
// no Content-Security-Policy, so only Sanitize stands between a hostile
// page and the browser.
func page(body string) string {
	return `<!doctype html><html><head><meta charset="utf-8"><title>evidence</title><link rel="icon" href="data:,">
<script>function pwn(){document.title="pwned"; window.pwned=1}</script></head><body><div id="evidence">` + body + `</div></body></html>`
}

// TestSanitizeInChromium serves every hostile page, sanitized, from a
// loopback server to headless Chromium and checks that no script ran (the
// title is unchanged, window.pwned unset, no dialog) and that the browser
// made no request beyond the page itself. A control page served without
// Sanitize shows that the checks see a script that runs and a request made.
func TestSanitizeInChromium(t *testing.T) {
	bodies := map[string]string{}
	for i, c := range hostile {
		out, _, err := Sanitize([]byte(c.page), "text/html; charset=utf-8")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		bodies["/case/"+strconv.Itoa(i)] = string(out)
	}
	bodies["/control"] = `<img src="http://evil.test/control.png" onerror="pwn()"><img src="x" onerror="pwn()">`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page(body))
	}))
	defer srv.Close()
	b := testenv.NewBrowser(t, srv.URL)

	visit := func(path string) (title string, pwned bool, extra []string) {
		b.Reset()
		b.Navigate(srv.URL + path)
		time.Sleep(150 * time.Millisecond) // let autofocus, toggle and error events fire
		title = b.Title()
		b.Eval(`window.pwned === 1`, &pwned)
		for _, r := range b.Requests() {
			if r.URL != srv.URL+path {
				extra = append(extra, r.Method+" "+r.URL)
			}
		}
		for _, r := range b.Proxied() {
			if r.Type == "proxy" && r.URL != srv.URL+path {
				extra = append(extra, "proxy: "+r.Method+" "+r.URL)
			}
		}
		for _, d := range b.Dialogs() {
			extra = append(extra, "dialog "+d)
		}
		return title, pwned, extra
	}

	title, pwned, extra := visit("/control")
	if title != "pwned" || !pwned || len(extra) == 0 {
		t.Fatalf("control page: title %q, pwned %v, requests %q: the checks would not see a script run or a request", title, pwned, extra)
	}
	for i, c := range hostile {
		title, pwned, extra := visit("/case/" + strconv.Itoa(i))
		if title != "evidence" || pwned {
			t.Errorf("%s: a script ran (title %q, pwned %v)", c.name, title, pwned)
		}
		if len(extra) > 0 {
			t.Errorf("%s: requests beyond the page: %s", c.name, strings.Join(extra, "; "))
		}
		if text := b.Text("#evidence"); len(c.want) > 0 && !strings.Contains(text, strings.TrimPrefix(c.want[0], "&lt;")) && !strings.Contains(c.want[0], "&") {
			t.Errorf("%s: page shows %q, want %q in it", c.name, text, c.want[0])
		}
	}
	t.Logf("%d hostile pages shown in chromium", len(hostile))
}
