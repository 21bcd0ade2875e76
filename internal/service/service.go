// Package service runs counternet's roles as a long-lived process — `counternet
// run`: scheduled collectors (one job per source, cron schedules with jitter,
// no overlapping runs, a deadline per run), the loader, Prometheus metrics
// with health endpoints, site files reloaded on SIGHUP, and a graceful stop on
// SIGTERM in which in-flight work finishes or is abandoned within a deadline
// and the loader flushes what it holds.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/console"
	"github.com/counternet/counternet/internal/crawl"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/metrics"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/schedule"
	"github.com/counternet/counternet/internal/stack"
)

// Options are what a service needs besides the config.
type Options struct {
	// BaseDir resolves relative site-file globs.
	BaseDir string
	// Reload receives a value each time site files are to be reloaded (SIGHUP).
	Reload <-chan struct{}
	// Clock drives the schedules; nil is the wall clock.
	Clock schedule.Clock
	// Ready, when set, is told the metrics address once the service runs.
	Ready func(metricsAddr string)
	// Version is shown in the console's footer (console role).
	Version string
	// ConsoleReady, when set, is told the console's URL once it is served
	// (console role).
	ConsoleReady func(url string)
}

// Service is a running `counternet run`.
type Service struct {
	cfg  *config.Config
	opts Options
	log  zerolog.Logger
	m    *metrics.Metrics

	st    *stack.Stack
	sched *schedule.Scheduler

	pub *bus.Publisher

	mu    sync.Mutex
	sites map[string]*pipeline.Site
	// specs is the schedule each scheduled source runs on (Spec); apply
	// alone touches it.
	specs map[string]string

	// Collections this process ran to an end, failed, and handed back to
	// the queue at shutdown: the counts its stop is logged with.
	collected, failed, handedBack, running atomic.Int64
}

// TaskConsumer is the durable consumer collector processes share.
const TaskConsumer = "collectors"

const (
	// taskAckWait is how long a task may go without a heartbeat before
	// JetStream gives it to another collector; heartbeats come every
	// taskAckWait/4 while a collection runs.
	taskAckWait = 2 * time.Minute
	// maxWorkers bounds the collections one process runs at once.
	maxWorkers = 8
)

// Run runs the roles cfg names until ctx ends.
func Run(ctx context.Context, cfg *config.Config, opts Options, log zerolog.Logger) error {
	if opts.Clock == nil {
		opts.Clock = schedule.RealClock{}
	}
	s := &Service{cfg: cfg, opts: opts, log: log, m: metrics.New(), sites: map[string]*pipeline.Site{}, specs: map[string]string{}}
	collect, loadRole := slices.Contains(cfg.Run.Roles, "collect"), slices.Contains(cfg.Run.Roles, "load")
	consoleRole := slices.Contains(cfg.Run.Roles, "console")

	var sites []*pipeline.Site
	if collect {
		var err error
		if sites, err = stack.LoadSites(cfg, opts.BaseDir); err != nil {
			return err
		}
	}
	st, err := stack.Open(ctx, cfg, log, stack.Need{Bus: collect || loadRole, Warehouse: loadRole || consoleRole})
	if err != nil {
		return err
	}
	s.st = st
	st.Markets = stack.MarketNames(sites)
	st.OnFetch = func(source, _ string, took time.Duration) {
		s.m.FetchSeconds.WithLabelValues(source).Observe(took.Seconds())
	}
	st.OnInsert = func(took time.Duration) { s.m.InsertSeconds.Observe(took.Seconds()) }
	defer st.Close(context.Background())

	var cons jetstream.Consumer
	if loadRole {
		if cons, err = st.Consumer(ctx); err != nil {
			return err
		}
	}
	for _, w := range config.Warnings(cfg) {
		log.Warn().Msg(w)
	}
	if cfg.Run.MetricsAddr != "" {
		srv, err := s.m.ServeWith(metrics.ServeOptions{Addr: cfg.Run.MetricsAddr, TokenFile: cfg.Run.MetricsTokenFile},
			func(ctx context.Context) error { return s.ready(ctx) })
		if err != nil {
			return fmt.Errorf("serving metrics on %s: %w", cfg.Run.MetricsAddr, err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Close(sctx)
		}()
		log.Info().Str("addr", srv.Addr()).Msg("metrics, /healthz and /readyz served")
		if opts.Ready != nil {
			opts.Ready(srv.Addr())
		}
	} else if opts.Ready != nil {
		opts.Ready("")
	}

	started := time.Now()
	var ld *load.Loader
	// Every stop is logged: when the drain starts (SIGTERM, SIGINT or a
	// loader that stopped) and when the process is done, with its counts.
	returned := make(chan struct{})
	defer close(returned)
	go func() {
		select {
		case <-ctx.Done():
			log.Info().Int64("collections_running", s.running.Load()).Dur("grace", cfg.Run.ShutdownGrace).
				Msg("shutting down: draining collections, then the loader")
		case <-returned:
		}
	}()
	defer func() {
		ev := log.Info().Int64("collections", s.collected.Load()).Int64("collections_failed", s.failed.Load()).
			Int64("handed_back", s.handedBack.Load()).Dur("uptime", time.Since(started).Round(time.Second))
		if ld != nil {
			st := ld.Stats()
			ev = ev.Int("events_loaded", st.Loaded)
		}
		ev.Msg("counternet stopped")
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	// A loader that stops by itself (its consumer deleted, its connection
	// closed) stops the service, which then shuts down in order and returns
	// why: a service that no longer loads must not look healthy.
	ctx, loaderFailed := context.WithCancel(ctx)
	defer loaderFailed()
	if loadRole {
		var err error
		ld, _, err = st.Loader(ctx)
		if err != nil {
			return err
		}
		lctx, stopLoader := context.WithCancel(context.WithoutCancel(ctx))
		defer stopLoader()
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := ld.Run(lctx); err != nil {
				errs <- fmt.Errorf("loader: %w", err)
				loaderFailed()
			}
		}()
		go func() {
			defer wg.Done()
			s.watchLoader(lctx, ld, cons)
		}()
		if every := cfg.Load.CompactInterval; every > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				load.CompactEvery(lctx, st.DB, every, log)
			}()
		}
		defer func() {
			// The loader stops after the collectors, so their last events
			// are loaded too; Run flushes and acks what it holds.
			stopLoader()
			wg.Wait()
		}()
	}
	if consoleRole {
		// The console and its alert watcher stop with the service; a
		// console that cannot serve stops the service, which says why.
		cctx, stopConsole := context.WithCancel(context.WithoutCancel(ctx))
		consoleDone := make(chan struct{})
		go func() {
			defer close(consoleDone)
			co := console.ServeOptions{Alerts: s.m.Alerts, Version: opts.Version}
			if opts.ConsoleReady != nil {
				co.Ready = func(url, _ string) { opts.ConsoleReady(url) }
			}
			err := console.Serve(cctx, cfg, st.DB, log, co)
			if err != nil {
				errs <- fmt.Errorf("console: %w", err)
				loaderFailed()
			}
		}()
		defer func() {
			stopConsole()
			<-consoleDone
		}()
	}
	if collect {
		tasks, err := st.Bus.TaskConsumer(ctx, TaskConsumer, taskAckWait)
		if err != nil {
			return err
		}
		s.pub = st.Bus.Publisher(16, 3, 10*time.Second)
		s.sched = schedule.New(opts.Clock, uint64(time.Now().UnixNano()), log)
		s.apply(sites)
		go s.reloads(ctx)
		// Collections run under a context of their own: at shutdown they
		// get run.shutdown_grace to finish before they are abandoned.
		runCtx, abandon := context.WithCancel(context.WithoutCancel(ctx))
		defer abandon()
		workDone := make(chan struct{})
		go func() {
			s.work(ctx, runCtx, tasks, min(max(len(sites), 1), maxWorkers))
			close(workDone)
		}()
		log.Info().Int("sources", len(sites)).Strs("roles", cfg.Run.Roles).Msg("counternet running")
		if err := s.sched.Run(ctx, cfg.Run.ShutdownGrace); err != nil {
			errs <- err
		}
		select {
		case <-workDone:
		case <-time.After(cfg.Run.ShutdownGrace):
			log.Warn().Dur("grace", cfg.Run.ShutdownGrace).Msg("abandoning collections still running; their tasks go back to the queue")
			abandon()
			<-workDone
		}
	} else {
		log.Info().Strs("roles", cfg.Run.Roles).Msg("counternet running")
		<-ctx.Done()
	}
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// Spec is the schedule of a source, by one precedence rule: the config's
// per-source override (run.schedules.<name>, the operator's word on this
// deployment), else the site file's schedule, else the config's default
// (run.schedule).
func Spec(cfg *config.Config, site *pipeline.Site) string {
	if spec, ok := cfg.Run.Schedules[site.Name]; ok {
		return spec
	}
	if site.Schedule != "" {
		return site.Schedule
	}
	return cfg.Run.Schedule
}

// apply makes the scheduled jobs match sites: new sources are added,
// removed ones dropped, changed ones take effect at their next run.
func (s *Service) apply(sites []*pipeline.Site) {
	s.mu.Lock()
	old := s.sites
	s.sites = make(map[string]*pipeline.Site, len(sites))
	for _, site := range sites {
		s.sites[site.Name] = site
	}
	s.mu.Unlock()
	for name := range old {
		if _, ok := s.sites[name]; !ok {
			s.sched.Remove(name)
			delete(s.specs, name)
			s.log.Info().Str("source", name).Msg("source removed from schedule")
		}
	}
	for name, site := range s.sites {
		spec := Spec(s.cfg, site)
		if s.sched.Has(name) {
			if s.specs[name] == spec {
				continue
			}
			// A reloaded site file with another schedule: the new one
			// takes effect from now.
			s.sched.Remove(name)
		}
		name := name
		err := s.sched.Add(schedule.Job{
			Name: name, Spec: spec, Jitter: s.cfg.Run.Jitter, Timeout: s.cfg.Run.RunTimeout,
			Run: func(ctx context.Context, slot time.Time) error { return s.enqueue(ctx, name, slot) },
		})
		if err != nil {
			s.log.Error().Err(err).Str("source", name).Msg("scheduling source")
			continue
		}
		s.specs[name] = spec
		s.log.Info().Str("source", name).Str("schedule", spec).Msg("source scheduled")
	}
}

func (s *Service) reloads(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-s.opts.Reload:
			if !ok {
				return
			}
			sites, err := stack.LoadSites(s.cfg, s.opts.BaseDir)
			if err != nil {
				s.log.Error().Err(err).Msg("reloading site files failed; keeping the previous ones")
				continue
			}
			s.apply(sites)
			s.log.Info().Int("sources", len(sites)).Msg("site files reloaded")
		}
	}
}

// task is one scheduled run of one source on the work queue.
type task struct {
	Source string    `json:"source"`
	Slot   time.Time `json:"slot"`
}

// enqueue puts the run of source due at slot on the shared work queue,
// unless a run of that source is still queued or in progress (runs of one
// source never overlap, across all collector processes). Every process
// that schedules the source names the same slot, so the queue's duplicate
// detection keeps one task per slot.
func (s *Service) enqueue(ctx context.Context, source string, slot time.Time) error {
	subject := bus.TaskPrefix + "." + source
	stream, err := s.st.Bus.JS.Stream(ctx, bus.TaskStream)
	if err != nil {
		return fmt.Errorf("reading task queue: %w", err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return fmt.Errorf("reading task queue: %w", err)
	}
	if info.State.Subjects[subject] > 0 {
		s.m.Skipped.WithLabelValues(source).Inc()
		s.log.Warn().Str("source", source).Time("slot", slot).Msg("previous run still queued or running; slot skipped")
		return nil
	}
	m, err := bus.Encode(subject, source+"@"+slot.UTC().Format(time.RFC3339Nano), task{Source: source, Slot: slot.UTC()})
	if err != nil {
		return err
	}
	return s.pub.Publish(ctx, []bus.Message{m})
}

// work runs n workers taking tasks from the queue until ctx ends; the
// collections themselves run under runCtx.
func (s *Service) work(ctx, runCtx context.Context, cons jetstream.Consumer, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
				if err != nil {
					s.log.Warn().Err(err).Msg("taking crawl tasks")
					sleep(ctx, time.Second)
					continue
				}
				for msg := range batch.Messages() {
					s.handle(runCtx, msg)
				}
			}
		}()
	}
	wg.Wait()
}

// handle runs one task, heartbeating it while the collection runs, and
// acknowledges it when the run ended (whatever its outcome: the run event
// records that). An abandoned run is handed back to the queue.
func (s *Service) handle(ctx context.Context, msg jetstream.Msg) {
	var t task
	if err := json.Unmarshal(msg.Data(), &t); err != nil || t.Source == "" {
		s.log.Error().Err(err).Msg("malformed crawl task dropped from the queue")
		_ = msg.Term()
		return
	}
	beat, stop := time.NewTicker(taskAckWait/4), make(chan struct{})
	defer beat.Stop()
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-beat.C:
				_ = msg.InProgress()
			}
		}
	}()
	rctx := ctx
	if s.cfg.Run.RunTimeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, s.cfg.Run.RunTimeout)
		defer cancel()
	}
	s.running.Add(1)
	err := s.collect(rctx, t.Source)
	s.running.Add(-1)
	close(stop)
	if ctx.Err() != nil {
		s.handedBack.Add(1)
		_ = msg.Nak()
		return
	}
	s.collected.Add(1)
	if err != nil {
		s.failed.Add(1)
		s.log.Error().Err(err).Str("source", t.Source).Time("slot", t.Slot).Msg("scheduled collection failed")
	}
	ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := msg.DoubleAck(ackCtx); err != nil {
		s.log.Warn().Err(err).Str("source", t.Source).Msg("acknowledging crawl task")
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// collect runs one collection of one source and reports it.
func (s *Service) collect(ctx context.Context, name string) error {
	s.mu.Lock()
	site := s.sites[name]
	s.mu.Unlock()
	if site == nil {
		s.log.Warn().Str("source", name).Msg("task for a source no longer in the site files; dropped")
		return nil
	}
	reports, err := s.st.Collect(ctx, []*pipeline.Site{site})
	for _, r := range reports {
		if r != nil {
			s.observe(r)
		}
	}
	return err
}

// observe turns a run report into metrics.
func (s *Service) observe(r *crawl.Report) {
	m, src := s.m, r.Source
	m.Pages.WithLabelValues(src, "ok").Add(float64(r.Pages - r.Blocked - r.Truncated))
	m.Pages.WithLabelValues(src, "blocked").Add(float64(r.Blocked))
	m.Pages.WithLabelValues(src, "truncated").Add(float64(r.Truncated))
	m.Pages.WithLabelValues(src, "error").Add(float64(r.Failed))
	m.Blocked.WithLabelValues(src).Add(float64(r.Blocked))
	m.Records.WithLabelValues(src, "listing").Add(float64(r.Listings))
	m.Records.WithLabelValues(src, "vendor").Add(float64(r.Vendors))
	for field, n := range r.Misses {
		m.SelectorMisses.WithLabelValues(src, field).Add(float64(n))
	}
	if h, ok := r.SelectorHealth(); ok {
		m.SelectorHealth.WithLabelValues(src).Set(h)
	}
	m.EvidenceErrors.WithLabelValues(src).Add(float64(r.EvidenceFailed))
	m.Photos.WithLabelValues(src, "ok").Add(float64(r.Photos.OK))
	m.Photos.WithLabelValues(src, "refused").Add(float64(r.Photos.Refused))
	m.Photos.WithLabelValues(src, "blocklisted").Add(float64(r.Photos.Blocklisted))
	m.Published.WithLabelValues(src).Add(float64(r.Events))
	m.NotStored.WithLabelValues(src).Add(float64(len(r.NotStored)))
	m.Runs.WithLabelValues(src, r.Outcome).Inc()
	m.RunSeconds.WithLabelValues(src).Observe(r.Finished.Sub(r.Started).Seconds())
	m.LastRun.WithLabelValues(src).Set(float64(r.Finished.Unix()))
}

// watchLoader copies loader statistics and consumer state into metrics.
func (s *Service) watchLoader(ctx context.Context, ld *load.Loader, cons jetstream.Consumer) {
	var prev load.Stats
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st := ld.Stats()
		if d := st.Batches - prev.Batches; d > 0 {
			s.m.LoaderBatch.Observe(float64(st.Loaded-prev.Loaded) / float64(d))
		}
		s.m.LoaderLoaded.Add(float64(st.Loaded - prev.Loaded))
		s.m.InsertRetries.Add(float64(st.Retries - prev.Retries))
		s.m.DeadLetters.Add(float64(st.DeadLetters - prev.DeadLetters))
		prev = st
		ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
		info, err := cons.Info(ictx)
		cancel()
		if err == nil {
			s.m.ConsumerPending.Set(float64(info.NumPending))
			s.m.ConsumerAckPend.Set(float64(info.NumAckPending))
			s.m.ConsumerRedeliver.Set(float64(info.NumRedelivered))
		}
	}
}

// ready reports whether the parts this process uses answer.
func (s *Service) ready(ctx context.Context) error {
	var errs []error
	if s.st.Bus != nil && !s.st.Bus.NC.IsConnected() {
		errs = append(errs, errors.New("nats not connected"))
	}
	if s.st.DB != nil {
		if err := s.st.DB.Conn().Ping(ctx); err != nil {
			errs = append(errs, fmt.Errorf("clickhouse: %w", err))
		}
	}
	return errors.Join(errs...)
}
