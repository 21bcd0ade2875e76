package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freePort returns a loopback address no one listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startBounded starts a program that the test stops (SIGTERM, then kill)
// when it ends; its output goes to a file named in failures.
func startBounded(t *testing.T, dir, logName, prog string, args ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logf.Name())
			t.Logf("%s:\n%s", logName, tail(string(out), 3000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestPrometheusScrapesCounternet runs `counternet run` (the collect role,
// embedded NATS, on loopback) and Debian's prometheus with the shipped
// rules, scraping it every second, and queries prometheus until the
// counternet series are there (at most a minute).
func TestPrometheusScrapesCounternet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts counternet and prometheus")
	}
	prom := tool(t, "prometheus", "prometheus")
	bin := counternetBinary(t)
	dir := t.TempDir()
	metrics, web := freePort(t), freePort(t)
	cfg := fmt.Sprintf(`data_dir: %s/data
log: {level: info, format: json}
tor: {socks: "%s"}
collect: {pipelines: [%s/*.yaml]}
run: {roles: [collect], schedule: "@every 24h", jitter: 1s, metrics_addr: "%s", metrics_token_file: "%s/metrics.token"}
`, dir, freePort(t), mustAbs(t, "../pipelines"), metrics, dir)
	// /metrics asks for a bearer token; prometheus sends it, as
	// prometheus/prometheus.yml does (authorization: credentials_file).
	if err := os.WriteFile(filepath.Join(dir, "metrics.token"), []byte("scrape-t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "counternet.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile("prometheus/counternet.rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "counternet.rules.yaml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	promCfg := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [counternet.rules.yaml]
scrape_configs:
  - job_name: counternet-collector
    authorization: {type: Bearer, credentials_file: %s/metrics.token}
    static_configs: [{targets: ["%s"]}]
`, dir, metrics)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(promCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	startBounded(t, dir, "counternet.log", bin, "run", "--config", filepath.Join(dir, "counternet.yaml"))
	startBounded(t, dir, "prometheus.log", prom, "--config.file", filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path", filepath.Join(dir, "tsdb"), "--web.listen-address", web)

	client := &http.Client{Timeout: 5 * time.Second}
	queries := map[string]bool{
		`up{job="counternet-collector"} == 1`:                            false,
		`counternet_loader_events_total{job="counternet-collector"}`:     false,
		`count({__name__=~"counternet_.+", job="counternet-collector"})`: false,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for left := len(queries); left > 0; {
		if ctx.Err() != nil {
			t.Fatalf("prometheus did not show counternet's series within a minute: %v", queries)
		}
		time.Sleep(time.Second)
		for q, ok := range queries {
			if !ok && promHas(ctx, client, web, q) {
				queries[q] = true
				left--
			}
		}
	}
	t.Logf("prometheus scraped counternet run and answered for its series after %s", time.Since(start).Round(time.Millisecond))

	// The running service asks for the token: a scrape without it (or with
	// another) is refused; the health endpoints stay open for probes.
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/metrics", "", http.StatusUnauthorized},
		{"/metrics", "wrong", http.StatusUnauthorized},
		{"/metrics", "scrape-t0ken", http.StatusOK},
		{"/healthz", "", http.StatusOK},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+metrics+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s with token %q: status %d, want %d", c.path, c.token, resp.StatusCode, c.want)
		}
	}
}

// promHas reports whether an instant query returns at least one sample.
func promHas(ctx context.Context, client *http.Client, web, query string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+web+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return false
	}
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	return json.Unmarshal(body, &r) == nil && r.Status == "success" && len(r.Data.Result) > 0 && !strings.Contains(string(body), `"error"`)
}
