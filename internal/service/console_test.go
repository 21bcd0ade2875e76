package service_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/console"
	"github.com/counternet/counternet/internal/service"
	"github.com/counternet/counternet/internal/testenv"
)

// TestConsoleRole runs `counternet run` with the console role alone: no
// NATS is needed, the console is served over TLS with its CSP, and it
// stops with the service.
func TestConsoleRole(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	cfg := testenv.Config(t, "console_role")
	cfg.Run.Roles = []string{"console"}
	cfg.Run.MetricsAddr = "127.0.0.1:0"
	cfg.Console.Addr = "127.0.0.1:0"
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	ctx, cancel := context.WithCancel(context.Background())
	metrics, consoleURL := make(chan string, 1), make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, cfg, service.Options{BaseDir: ".", Ready: func(a string) { metrics <- a },
			ConsoleReady: func(u string) { consoleURL <- u }}, log)
	}()
	var u, m string
	for u == "" || m == "" {
		select {
		case u = <-consoleURL:
		case m = <-metrics:
		case err := <-done:
			t.Fatalf("service ended: %v", err)
		case <-time.After(2 * time.Minute):
			t.Fatal("console not served within 2 minutes")
		}
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := hc.Get(u + "login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != console.CSP || !strings.Contains(string(body), `id="signin"`) {
		t.Errorf("console login page: %d %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("service: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("service did not stop within a minute")
	}
	if _, err := hc.Get(u + "login"); err == nil {
		t.Error("console still served after the service stopped")
	}
}
