// Package demo runs counternet end to end on one machine with nothing set
// up: fixture darknet markets served on loopback, reachable only through a
// local SOCKS5 proxy standing in for Tor, collected by the real collector,
// published on an embedded JetStream, loaded into ClickHouse, and summarized
// for an analyst.
package demo

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/crawl"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/socksd"
	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/pipelines"
)

// Fixtures are fixture markets served on loopback behind a local SOCKS5
// proxy that stands in for Tor: the markets refuse any connection that did
// not come through the proxy.
type Fixtures struct {
	World   *fixture.World
	Markets *fixture.Server
	Proxy   *socksd.Server
	Sites   []*pipeline.Site
}

// ServeFixtures generates the fixture markets from seed and serves them
// behind the proxy until Close.
func ServeFixtures(ctx context.Context, seed int64, log zerolog.Logger) (_ *Fixtures, err error) {
	f := &Fixtures{World: fixture.Generate(seed)}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if f.Sites, err = FixtureSites(f.World); err != nil {
		return nil, err
	}
	f.Markets = fixture.NewServer(f.World, log)
	routes := map[string]string{}
	f.Proxy = socksd.New(log, func(host string) (string, bool) {
		a, ok := routes[host]
		return a, ok
	})
	f.Markets.Allow = f.Proxy.IsOutbound
	// The servers live until Close, not until ctx (a start deadline) ends.
	life := context.WithoutCancel(ctx)
	if err := f.Markets.Start(life); err != nil {
		return nil, fmt.Errorf("starting fixture markets: %w", err)
	}
	for _, m := range f.World.AllMarkets() {
		routes[m.Host] = f.Markets.Addr()
	}
	for _, fo := range f.World.Forums {
		routes[fo.Host] = f.Markets.Addr()
	}
	if err := f.Proxy.Start(life); err != nil {
		return nil, fmt.Errorf("starting socks proxy: %w", err)
	}
	return f, nil
}

// Close stops the proxy and the markets.
func (f *Fixtures) Close() {
	if f.Proxy != nil {
		_ = f.Proxy.Close()
	}
	if f.Markets != nil {
		_ = f.Markets.Close()
	}
}

// Env is a running demo environment: fixture markets behind their proxy,
// counternet's servers and a loader working in the background.
type Env struct {
	*Fixtures
	Stack *stack.Stack
	Cons  jetstream.Consumer

	loader     *load.Loader
	stopLoader context.CancelFunc
	loaderDone chan error
	log        zerolog.Logger
}

// Start serves the fixture markets generated from seed behind a local
// SOCKS5 proxy, opens counternet's servers as cfg says (embedded NATS and a
// managed ClickHouse by default), and starts the loader. cfg.Tor.Socks is
// pointed at the local proxy.
func Start(ctx context.Context, cfg *config.Config, seed int64, log zerolog.Logger) (_ *Env, err error) {
	e := &Env{log: log}
	defer func() {
		if err != nil {
			e.Close(context.Background())
		}
	}()
	if e.Fixtures, err = ServeFixtures(ctx, seed, log); err != nil {
		return nil, err
	}
	c := *cfg
	c.Tor.Socks = e.Proxy.Addr()
	if e.Stack, err = stack.Open(ctx, &c, log, stack.Need{Bus: true, Warehouse: true}); err != nil {
		return nil, err
	}
	if e.loader, e.Cons, err = e.Stack.Loader(ctx); err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stopLoader, e.loaderDone = cancel, make(chan error, 1)
	go func() { e.loaderDone <- e.loader.Run(lctx) }()
	return e, nil
}

// FixtureSites loads the embedded site files of the fixture markets and
// forums.
func FixtureSites(w *fixture.World) ([]*pipeline.Site, error) {
	var names []string
	for _, m := range w.AllMarkets() {
		names = append(names, m.Name)
	}
	for _, f := range w.Forums {
		names = append(names, f.Name)
	}
	var sites []*pipeline.Site
	for _, n := range names {
		name := n + ".yaml"
		data, err := fs.ReadFile(pipelines.Files, name)
		if err != nil {
			return nil, fmt.Errorf("reading embedded site file %s: %w", name, err)
		}
		site, err := pipeline.Parse(path.Join("pipelines", name), data)
		if err != nil {
			return nil, err
		}
		sites = append(sites, site)
	}
	return sites, nil
}

// Listings is the number of listings the fixture markets hold.
func Listings(w *fixture.World) int {
	n := 0
	for _, m := range w.AllMarkets() {
		n += len(m.Listings)
	}
	return n
}

// Posts is the number of posts the fixture forums hold.
func Posts(w *fixture.World) int {
	n := 0
	for _, f := range w.Forums {
		for _, t := range f.Threads {
			n += len(t.Posts)
		}
	}
	return n
}

// Collect collects every fixture market once through the proxy.
func (e *Env) Collect(ctx context.Context) ([]*crawl.Report, error) {
	return e.Stack.Collect(ctx, e.Sites)
}

// WaitLoaded returns once the loader has stored and acknowledged every
// event published so far.
func (e *Env) WaitLoaded(ctx context.Context) error {
	return load.WaitIdle(ctx, e.Cons, 100*time.Millisecond)
}

// Close stops the loader (flushing what it holds), the servers, the proxy
// and the markets. It is idempotent.
func (e *Env) Close(ctx context.Context) {
	if e.stopLoader != nil {
		e.stopLoader()
		if err := <-e.loaderDone; err != nil {
			e.log.Warn().Err(err).Msg("loader stopped with an error")
		}
		e.stopLoader = nil
	}
	if e.Stack != nil {
		e.Stack.Close(ctx)
	}
	if e.Fixtures != nil {
		e.Fixtures.Close()
	}
}

// Options change what Run does.
type Options struct {
	Seed int64
	// Keep leaves the servers running after the summary until ctx ends.
	Keep bool
	Out  io.Writer
	// Progress, when set, receives progress lines while collecting.
	Progress io.Writer
}

// Run is `counternet demo`: start, collect, load, summarize. The last line
// it prints states the listings loaded and the time taken.
func Run(ctx context.Context, cfg *config.Config, opts Options, log zerolog.Logger) error {
	start := time.Now()
	out := opts.Out
	fmt.Fprintf(out, "counternet demo: fixture markets (seed %d) behind a local SOCKS5 proxy → embedded NATS JetStream → ClickHouse\n", opts.Seed)
	e, err := Start(ctx, cfg, opts.Seed, log)
	if err != nil {
		return err
	}
	defer e.Close(context.Background())
	for _, m := range e.World.AllMarkets() {
		fmt.Fprintf(out, "  market %-9s http://%s  %d listings, %d vendors\n", m.Name, m.Host, len(m.Listings), len(m.Vendors))
	}
	for _, f := range e.World.Forums {
		fmt.Fprintf(out, "  forum  %-9s http://%s  %d threads\n", f.Name, f.Host, len(f.Threads))
	}
	fmt.Fprintf(out, "  socks proxy %s, nats %s\n\n", e.Proxy.Addr(), e.Stack.NATSURL())

	flush := func() {}
	if opts.Progress != nil {
		e.Stack.OnFetch, flush = stack.Progress(opts.Progress, 2*time.Second)
	}
	reports, cerr := e.Collect(ctx)
	flush()
	for _, r := range reports {
		if r != nil {
			fmt.Fprintf(out, "collected %s\n", r.Summary())
		}
	}
	if cerr != nil {
		return cerr
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := e.WaitLoaded(wctx); err != nil {
		return err
	}
	var runIDs []string
	for _, r := range reports {
		runIDs = append(runIDs, r.RunID)
	}
	loaded, err := e.Stack.DB.CountListingsOfRuns(ctx, runIDs)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "loaded %d events into ClickHouse\n\n", e.loader.Stats().Loaded)
	sum, err := e.Stack.DB.Summary(ctx)
	if err != nil {
		return err
	}
	if err := sum.Print(out); err != nil {
		return err
	}
	if cmd := e.Stack.ClientCommand(); cmd != "" {
		if opts.Keep {
			fmt.Fprintf(out, "\nkeep exploring:  %s\n(servers stay up until Ctrl-C)\n", cmd)
		} else {
			fmt.Fprintf(out, "\nto keep exploring, run `counternet demo --keep` and then:  %s\n", cmd)
		}
	}
	if _, err := ExportDemo(ctx, e, out); err != nil {
		return err
	}
	generated := Listings(e.World)
	if loaded != generated {
		err = fmt.Errorf("demo: %d listings loaded, but the fixture markets hold %d", loaded, generated)
	}
	fmt.Fprintf(out, "listings loaded: %d of %d generated, in %s\n", loaded, generated, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return err
	}
	if opts.Keep {
		<-ctx.Done()
	}
	return nil
}
