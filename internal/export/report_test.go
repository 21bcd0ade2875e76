package export

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium is Debian's headless-capable browser (package chromium).
const chromium = "/usr/bin/chromium"

var externalRef = regexp.MustCompile(`(?i)(src|href|action|xlink:href|poster|data)\s*=\s*["']?\s*(https?:)?//`)

func TestReportIsSelfContained(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server and chromium")
	}
	e := newEnv(t)
	out, err := e.x.Export(context.Background(), e.request("plain-at", "report"))
	if err != nil {
		t.Fatal(err)
	}
	_, dir := openPackage(t, e, "plain-at", out.File)
	report := filepath.Join(dir, "report.html")
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
		"TLP:AMBER", "<svg", "Cooperation basis", "DutchDirect", "NL", "DE",
	} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if m := externalRef.Find(html); m != nil {
		t.Errorf("report.html refers to an external resource: %q", m)
	}
	for _, bad := range []string{"<script", "<link", "<iframe", "@import", "url("} {
		if bytes.Contains(bytes.ToLower(html), []byte(bad)) {
			t.Errorf("report.html holds %q", bad)
		}
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s not found: install Debian's chromium package (apt-get install chromium) to render the report", chromium)
	}
	// Chromium's own background requests (time, component updates) go to
	// this proxy, which drops them: nothing leaves the machine.
	proxy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	go func() {
		for {
			c, err := proxy.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tmp := t.TempDir()
	// A control page that does load remote resources shows the check sees
	// page requests in Chromium's net log.
	control := filepath.Join(tmp, "control.html")
	if err := os.WriteFile(control, []byte(`<html><body><img src="http://example.invalid/x.png"><link rel="stylesheet" href="https://example.invalid/a.css"></body></html>`), 0o600); err != nil {
		t.Fatal(err)
	}
	if reqs, _ := render(t, tmp, "control", proxy.Addr().String(), control); len(reqs) == 0 {
		t.Fatal("the control page's remote image and stylesheet do not show in the net log: the check sees nothing")
	}
	reqs, shot := render(t, tmp, "report", proxy.Addr().String(), report)
	if len(reqs) > 0 {
		t.Errorf("rendering the report requested %v", reqs)
	}
	if dst := os.Getenv("COUNTERNET_REPORT_SCREENSHOT"); dst != "" {
		b, _ := os.ReadFile(shot)
		_ = os.WriteFile(dst, b, 0o644)
	}
}

// render screenshots page in headless Chromium and returns the URLs the
// page requested (from Chromium's net log) and the screenshot file.
func render(t *testing.T, tmp, name, proxy, page string) ([]string, string) {
	t.Helper()
	shot := filepath.Join(tmp, name+".png")
	netlog := filepath.Join(tmp, name+"-netlog.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir="+filepath.Join(tmp, name+"-profile"), "--proxy-server=http://"+proxy,
		"--log-net-log="+netlog, "--window-size=1200,2200", "--screenshot="+shot, "file://"+page)
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chromium on %s: %v\n%s", name, err, out)
	}
	fi, err := os.Stat(shot)
	if err != nil || fi.Size() < 5_000 {
		t.Fatalf("screenshot of %s: %v (size %d)\n%s", name, err, sizeOf(fi), out)
	}
	return netlogURLs(t, netlog), shot
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

// netlogURLs lists the URLs a Chromium net log shows the page requesting:
// requests with an initiator (the page's origin; a file:// page's is
// "null"), which the browser's own background requests lack ("not an
// origin").
func netlogURLs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading chromium's net log: %v", err)
	}
	// Chromium may leave the log without its closing brackets.
	s := strings.TrimSpace(string(b))
	if !strings.HasSuffix(s, "}") {
		s = strings.TrimSuffix(s, ",") + "]}"
	}
	var log struct {
		Events []struct {
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(s), &log); err != nil {
		t.Fatalf("decoding chromium's net log: %v", err)
	}
	var out []string
	for _, ev := range log.Events {
		u, _ := ev.Params["url"].(string)
		init, ok := ev.Params["initiator"].(string)
		if ok && init != "not an origin" && u != "" && !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "about:") {
			out = append(out, u)
		}
	}
	return out
}
