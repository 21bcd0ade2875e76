package service_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/demo"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/service"
	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/pipelines"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// setup serves the fixture sites behind their proxy and returns a config
// pointing counternet at them, at the test's NATS and at a fresh database.
func setup(t *testing.T, ctx context.Context, log zerolog.Logger, seed int64) (*demo.Fixtures, *config.Config) {
	t.Helper()
	fx, err := demo.ServeFixtures(ctx, seed, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fx.Close)
	dir := t.TempDir()
	for _, site := range fx.Sites {
		data, err := fs.ReadFile(pipelines.Files, site.Name+".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, site.Name+".yaml"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testenv.Config(t, "run")
	cfg.NATS.URL = testenv.NATS(t)
	cfg.Tor.Socks = fx.Proxy.Addr()
	cfg.Collect.Pipelines = []string{filepath.Join(dir, "*.yaml")}
	cfg.Run.Schedule = "@every 1s"
	// The fixture site files name schedules of their own (cobalt daily):
	// the config's per-source overrides win over them.
	cfg.Run.Schedules = map[string]string{}
	for _, site := range fx.Sites {
		cfg.Run.Schedules[site.Name] = cfg.Run.Schedule
	}
	cfg.Run.Jitter = 0
	cfg.Run.MetricsAddr = "127.0.0.1:0"
	cfg.Run.ShutdownGrace = 30 * time.Second
	cfg.Load.FlushInterval = 200 * time.Millisecond
	return fx, cfg
}

// drain runs a loader until every published event is stored.
func drain(t *testing.T, ctx context.Context, cfg *config.Config, log zerolog.Logger) *stack.Stack {
	t.Helper()
	st, err := stack.Open(ctx, cfg, log, stack.Need{Bus: true, Warehouse: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	ld, _, err := st.Loader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ld.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, string(b)
}

func metricValue(body, name string, labels ...string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			return v
		}
	}
	return -1
}

// TestRunSchedulesCollectsLoadsAndStops runs `counternet run` with both
// roles on fast schedules against the fixture markets, watches the metrics
// endpoint until every source has run, stops it as SIGTERM would, and then
// checks that every listing event in the stream is in ClickHouse exactly once.
func TestRunSchedulesCollectsLoadsAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	var logs lockedBuffer
	log := zerolog.New(zerolog.MultiLevelWriter(zerolog.NewTestWriter(t), &logs)).Level(zerolog.InfoLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, cfg := setup(t, ctx, log, 11)

	rctx, stop := context.WithCancel(ctx)
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- service.Run(rctx, cfg, service.Options{BaseDir: ".", Ready: func(a string) { addr <- a }}, log)
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run stopped at start: %v", err)
	}
	var body string
	for {
		_, body = get(t, base+"/metrics")
		if metricValue(body, "counternet_runs_total", `source="nebula"`, `outcome="ok"`) >= 1 &&
			metricValue(body, "counternet_runs_total", `source="harbor"`, `outcome="ok"`) >= 1 &&
			metricValue(body, "counternet_loader_events_total") > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("sources never ran:\n%s", body)
		case err := <-done:
			t.Fatalf("run stopped: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	for _, name := range []string{"counternet_pages_total", "counternet_schedule_skipped_total", "counternet_fetch_seconds_bucket", "counternet_records_extracted_total",
		"counternet_events_published_total", "counternet_selector_health_ratio", "counternet_loader_batch_size",
		"counternet_consumer_pending_messages", "counternet_dead_letters_total", "counternet_run_seconds"} {
		if !regexp.MustCompile(`(?m)^` + name).MatchString(body) {
			t.Errorf("metrics lack %s", name)
		}
	}
	// Every insert the loader made was timed: by the time it counted loaded
	// events, ClickHouse had accepted at least one batch.
	if n := metricValue(body, "counternet_loader_insert_seconds_count"); n < 1 {
		t.Errorf("counternet_loader_insert_seconds_count = %v after events were loaded", n)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, b := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, b)
	}

	stop() // what SIGTERM does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("run did not stop within its grace")
	}
	// A stop is logged: the drain, then the end with its counts.
	for _, want := range []string{`"message":"shutting down: draining collections, then the loader"`, `"message":"counternet stopped"`, `"events_loaded":`, `"collections":`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("shutdown log lacks %s", want)
		}
	}

	// Whatever the loader had not reached stays in the stream; a loader run
	// to idle stores it, and then ClickHouse holds every listing event once.
	st := drain(t, ctx, cfg, log)
	stream, err := st.Bus.JS.Stream(ctx, cfg.NATS.Stream)
	if err != nil {
		t.Fatal(err)
	}
	published := countListings(t, ctx, stream)
	var stored uint64
	if err := st.DB.Conn().QueryRow(ctx, "SELECT count() FROM listing_obs FINAL").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if published == 0 || stored != published {
		t.Errorf("stream holds %d listing events, ClickHouse %d", published, stored)
	}
}

// TestCollectorsShareTheWorkQueue runs two collector processes (two
// services, one of them also loading) on one schedule: every scheduled run
// of a source is done by exactly one of them, and no page is fetched twice.
func TestCollectorsShareTheWorkQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	fx, cfg := setup(t, ctx, log, 13)
	cfg.Run.Schedule = "@every 2s"
	for name := range cfg.Run.Schedules {
		cfg.Run.Schedules[name] = cfg.Run.Schedule
	}

	rctx, stop := context.WithCancel(ctx)
	type proc struct {
		addr chan string
		done chan error
		base string
	}
	var procs []*proc
	for i, roles := range [][]string{{"collect", "load"}, {"collect"}} {
		c := *cfg
		c.Run.Roles = roles
		c.DataDir = filepath.Join(cfg.DataDir, fmt.Sprint(i))
		p := &proc{addr: make(chan string, 1), done: make(chan error, 1)}
		procs = append(procs, p)
		go func() {
			p.done <- service.Run(rctx, &c, service.Options{BaseDir: ".", Ready: func(a string) { p.addr <- a }}, log)
		}()
		select {
		case a := <-p.addr:
			p.base = "http://" + a
		case err := <-p.done:
			t.Fatalf("collector %d stopped at start: %v", i, err)
		}
	}
	// Until every source has run at least twice, counted over both processes.
	for {
		done := true
		for _, site := range fx.Sites {
			n := 0.0
			for _, p := range procs {
				_, body := get(t, p.base+"/metrics")
				n += max(0, metricValue(body, "counternet_runs_total", `source="`+site.Name+`"`, `outcome="ok"`))
			}
			done = done && n >= 2
		}
		if done {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("sources did not run twice")
		case <-time.After(time.Second):
		}
	}
	var perProc []float64
	for _, p := range procs {
		_, body := get(t, p.base+"/metrics")
		total := 0.0
		for _, site := range fx.Sites {
			total += max(0, metricValue(body, "counternet_runs_total", `source="`+site.Name+`"`, `outcome="ok"`))
		}
		perProc = append(perProc, total)
	}
	t.Logf("runs per collector process: %v", perProc)
	stop()
	for i, p := range procs {
		if err := <-p.done; err != nil {
			t.Fatalf("collector %d: %v", i, err)
		}
	}

	st := drain(t, ctx, cfg, log)
	stream, err := st.Bus.JS.Stream(ctx, "CRAWL_TASKS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var runs, pages, distinct uint64
	conn := st.DB.Conn()
	if err := conn.QueryRow(ctx, "SELECT count() FROM runs FINAL").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(run_id, url) FROM captures FINAL").Scan(&pages, &distinct); err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%d tasks left in the queue", info.State.Msgs)
	}
	if runs != info.State.LastSeq {
		t.Errorf("%d runs for %d tasks: a scheduled run was done twice or not at all", runs, info.State.LastSeq)
	}
	// Every page request is one capture; photo requests are the photo
	// client's (hashed, not captured).
	if served := uint64(fx.Markets.Requests() - fx.Markets.PhotoRequests()); pages != distinct || served != pages {
		t.Errorf("%d captures, %d distinct per run, the sites served %d page requests (and %d photos): a page was fetched twice",
			pages, distinct, served, fx.Markets.PhotoRequests())
	}
}

// TestRunStopsWhenItsLoaderStops deletes the loader's consumer under a
// running `counternet run` (role load): the service stops by itself and
// returns the loader's reason, instead of running on without loading.
func TestRunStopsWhenItsLoaderStops(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, cfg := setup(t, ctx, log, 3)
	cfg.Run.Roles = []string{"load"}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, cfg, service.Options{BaseDir: ".", Ready: func(a string) { addr <- a }}, log)
	}()
	<-addr
	st, err := stack.Open(ctx, cfg, log, stack.Need{Bus: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	// Delete the consumer once the loader is pulling from it (a pull
	// request of its is waiting).
	for {
		cons, err := st.Bus.JS.Consumer(ctx, cfg.NATS.Stream, cfg.Load.Consumer)
		if err == nil {
			var info *jetstream.ConsumerInfo
			if info, err = cons.Info(ctx); err == nil && info.NumWaiting > 0 {
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("waiting for the loader to pull: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := st.Bus.JS.DeleteConsumer(ctx, cfg.NATS.Stream, cfg.Load.Consumer); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "loader") {
			t.Fatalf("service.Run = %v, want the loader's error", err)
		}
		t.Logf("service stopped: %v", err)
	case <-ctx.Done():
		t.Fatal("the service kept running after its loader's consumer was deleted")
	}
}

// countListings counts the listing events on the stream, inside envelopes
// or alone.
func countListings(t *testing.T, ctx context.Context, stream jetstream.Stream) uint64 {
	t.Helper()
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"intel.v1.>"}})
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			evs, err := event.DecodeMessage(m.Subject(), m.Data())
			if err != nil {
				t.Fatalf("message on %s: %v", m.Subject(), err)
			}
			for _, d := range evs {
				if d.Listing != nil {
					n++
				}
			}
		}
		if got == 0 {
			return n
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the service's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
