package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/config"
)

// get requests path from the endpoint with an Authorization header (none
// when auth is empty) and returns the status and the body's start.
func get(t *testing.T, addr, path, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// TestMetricsToken serves the endpoint with a token file and requests it
// over HTTP: /metrics without the token, or with another, is 401; with
// it, the series; /healthz needs none. A token file others may read is
// refused and nothing is served.
func TestMetricsToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.token")
	if err := os.WriteFile(file, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := New()
	m.LoaderLoaded.Add(7)
	srv, err := m.ServeWith(ServeOptions{Addr: "127.0.0.1:0", TokenFile: file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())

	for name, auth := range map[string]string{
		"no header":     "",
		"wrong token":   "Bearer guess",
		"basic auth":    "Basic czNjcmV0LXRva2VuOg==",
		"token, no tag": "s3cret-token",
		"prefix":        "Bearer s3cret",
	} {
		code, body := get(t, srv.Addr(), "/metrics", auth)
		if code != http.StatusUnauthorized || strings.Contains(body, "counternet_") {
			t.Errorf("%s: /metrics answered %d %.80q, want 401 without series", name, code, body)
		}
	}
	code, body := get(t, srv.Addr(), "/metrics", "Bearer s3cret-token")
	if code != http.StatusOK || !strings.Contains(body, "counternet_loader_events_total 7") {
		t.Errorf("with the token: %d %.200q, want 200 with the series", code, body)
	}
	if code, _ := get(t, srv.Addr(), "/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz without a token: %d, want 200", code)
	}

	// Without a token file the endpoint is open, as before.
	open, err := New().ServeWith(ServeOptions{Addr: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close(context.Background())
	if code, _ := get(t, open.Addr(), "/metrics", ""); code != http.StatusOK {
		t.Errorf("no token configured: /metrics %d, want 200", code)
	}

	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := New().ServeWith(ServeOptions{Addr: "127.0.0.1:0", TokenFile: file}, nil); !errors.Is(err, config.ErrSecretMode) {
		if err == nil {
			s.Close(context.Background())
		}
		t.Errorf("token file of mode 0644: %v, want ErrSecretMode", err)
	}
}
