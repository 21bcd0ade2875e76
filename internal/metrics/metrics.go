// Package metrics holds counternet's Prometheus metrics and the HTTP
// endpoint that serves them with /healthz and /readyz. Parts report what
// they did (a crawl report, loader statistics, consumer state); this package
// turns that into series.
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/counternet/counternet/internal/config"
)

// Metrics are the series counternet exports.
type Metrics struct {
	Registry *prometheus.Registry

	Pages          *prometheus.CounterVec   // source, outcome
	FetchSeconds   *prometheus.HistogramVec // source
	Blocked        *prometheus.CounterVec   // source
	Records        *prometheus.CounterVec   // source, type
	SelectorMisses *prometheus.CounterVec   // source, field
	SelectorHealth *prometheus.GaugeVec     // source: share of ok pages that yielded records
	Published      *prometheus.CounterVec   // source
	NotStored      *prometheus.CounterVec   // source
	Runs           *prometheus.CounterVec   // source, outcome
	RunSeconds     *prometheus.HistogramVec // source
	LastRun        *prometheus.GaugeVec     // source: unix time of the last finished run
	Skipped        *prometheus.CounterVec   // source: schedule slots skipped, the previous run still going
	EvidenceErrors *prometheus.CounterVec   // source: fetched pages the evidence store could not keep
	Alerts         *prometheus.CounterVec   // kind: case alerts raised (new_market, new_handle, new_route)

	LoaderBatch       prometheus.Histogram
	LoaderLoaded      prometheus.Counter
	InsertSeconds     prometheus.Histogram
	InsertRetries     prometheus.Counter
	DeadLetters       prometheus.Counter
	ConsumerPending   prometheus.Gauge
	ConsumerAckPend   prometheus.Gauge
	ConsumerRedeliver prometheus.Gauge
}

// New registers every series on a fresh registry (with Go and process
// collectors).
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{reg}
	buckets := []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	return &Metrics{
		Registry:       reg,
		Pages:          f.counterVec("counternet_pages_total", "Pages fetched, by source and outcome (ok, truncated, blocked, http_error, error).", "source", "outcome"),
		FetchSeconds:   f.histVec("counternet_fetch_seconds", "Fetch latency through Tor, per page.", buckets, "source"),
		Blocked:        f.counterVec("counternet_blocked_pages_total", "Pages classified as captcha, DDoS queue or login wall.", "source"),
		Records:        f.counterVec("counternet_records_extracted_total", "Records extracted from pages.", "source", "type"),
		SelectorMisses: f.counterVec("counternet_selector_misses_total", "Pages where a field's selector matched nothing.", "source", "field"),
		SelectorHealth: f.gaugeVec("counternet_selector_health_ratio", "Share of ok pages of the last run that yielded records.", "source"),
		Published:      f.counterVec("counternet_events_published_total", "Events acknowledged by JetStream.", "source"),
		NotStored:      f.counterVec("counternet_events_not_stored_total", "Events JetStream did not acknowledge after retries.", "source"),
		Runs:           f.counterVec("counternet_runs_total", "Collection runs by outcome (ok, partial, failed).", "source", "outcome"),
		RunSeconds:     f.histVec("counternet_run_seconds", "Duration of collection runs.", []float64{1, 5, 15, 60, 300, 900, 3600, 7200}, "source"),
		LastRun:        f.gaugeVec("counternet_last_run_timestamp_seconds", "When the last run of a source finished.", "source"),
		Skipped:        f.counterVec("counternet_schedule_skipped_total", "Schedule slots skipped because the previous run of the source was still queued or running.", "source"),
		EvidenceErrors: f.counterVec("counternet_evidence_errors_total", "Fetched pages the evidence store could not keep (they are not used as data).", "source"),
		Alerts:         f.counterVec("counternet_alerts_total", "Case alerts raised by the watcher, by kind (new_market, new_handle, new_route).", "kind"),

		LoaderBatch:       f.hist("counternet_loader_batch_size", "Events per ClickHouse insert.", prometheus.ExponentialBuckets(10, 4, 8)),
		LoaderLoaded:      f.counter("counternet_loader_events_total", "Events inserted into ClickHouse and acknowledged."),
		InsertSeconds:     f.hist("counternet_loader_insert_seconds", "ClickHouse insert latency per batch.", buckets),
		InsertRetries:     f.counter("counternet_loader_insert_retries_total", "Failed inserts retried with backoff."),
		DeadLetters:       f.counter("counternet_dead_letters_total", "Messages sent to the dead-letter stream."),
		ConsumerPending:   f.gauge("counternet_consumer_pending_messages", "Messages in the stream not yet delivered to the loader (lag)."),
		ConsumerAckPend:   f.gauge("counternet_consumer_ack_pending_messages", "Messages delivered to the loader and not yet acknowledged."),
		ConsumerRedeliver: f.gauge("counternet_consumer_redelivered_messages", "Messages redelivered and not yet acknowledged."),
	}
}

type factory struct{ reg *prometheus.Registry }

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) hist(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

// Server serves /metrics, /healthz (the process is up) and /readyz (ready
// reports nil when the parts it checks answer).
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// ServeOptions say where and how the endpoint is served.
type ServeOptions struct {
	Addr string // host:port
	// TokenFile, when set, holds the bearer token /metrics asks of every
	// request (Authorization: Bearer <token>); a request without it gets
	// 401. The file must be mode 0600 (config.ReadSecretFile); /healthz
	// and /readyz stay open, for probes that carry no credentials.
	TokenFile string
}

// Serve starts the endpoint on addr, without a token.
func (m *Metrics) Serve(addr string, ready func(ctx context.Context) error) (*Server, error) {
	return m.ServeWith(ServeOptions{Addr: addr}, ready)
}

// ServeWith starts the endpoint as opts say.
func (m *Metrics) ServeWith(opts ServeOptions, ready func(ctx context.Context) error) (*Server, error) {
	var metricsHandler http.Handler = promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Timeout: 10 * time.Second})
	if opts.TokenFile != "" {
		token, err := config.ReadSecretFile(opts.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading run.metrics_token_file: %w", err)
		}
		metricsHandler = requireBearer(token, metricsHandler)
	}
	addr := opts.Addr
	mux := http.NewServeMux()
	mux.Handle("/metrics", metricsHandler)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if ready != nil {
			if err := ready(ctx); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// requireBearer serves next only to requests that carry token as a bearer
// token; others get 401 and a WWW-Authenticate challenge. The comparison
// takes the same time whatever the token sent.
func requireBearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="counternet metrics"`)
			http.Error(w, "unauthorized: /metrics needs Authorization: Bearer <token> (run.metrics_token_file)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Addr is the address the endpoint listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the endpoint within ctx.
func (s *Server) Close(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
