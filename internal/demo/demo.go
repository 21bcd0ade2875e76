// Package demo runs counternet end to end on one machine with nothing set
// up: fixture darknet markets served on loopback, reachable only through a
// local SOCKS5 proxy standing in for Tor, collected by the real collector,
// published on an embedded JetStream, loaded into ClickHouse, and summarized
// for an analyst.
package demo

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
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
	"github.com/counternet/counternet/internal/warehouse"
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
	// ChainServer serves the fixture chain (Esplora REST on loopback).
	ChainServer *ChainServer
	// DSN is the ClickHouse DSN, database included, every command can be
	// pointed at (COUNTERNET_CLICKHOUSE_DSN).
	DSN string

	local *warehouse.Local

	loader     *load.Loader
	stopLoader context.CancelFunc
	loaderDone chan error
	log        zerolog.Logger
}

// Start serves the fixture markets generated from seed behind a local
// SOCKS5 proxy and their chain as an Esplora server, opens counternet's
// servers as cfg says (embedded NATS and a managed ClickHouse by default),
// and starts the loader. cfg.Tor.Socks is pointed at the local proxy. A
// managed ClickHouse is started here, under <data_dir>/clickhouse, and
// handed to the stack by its DSN, so the demo can tell other commands
// where it is.
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
	if e.ChainServer, err = startChainServer(e.World); err != nil {
		return nil, err
	}
	c := *cfg
	c.Tor.Socks = e.Proxy.Addr()
	// The fixture markets price their goods with the config's rates today:
	// for the demo those rates are valid on the capture date (a collector
	// of real markets needs rates of the day it collects, or its prices stay
	// without USD and flagged).
	c.FX.AsOf = config.DateOf(time.Now())
	if c.ClickHouse.Managed() {
		dir := filepath.Join(c.DataDir, "clickhouse")
		if e.local, err = warehouse.StartLocal(ctx, dir, log); err != nil {
			return nil, err
		}
		c.ClickHouse.DSN = e.local.DSN(c.ClickHouse.Database)
	}
	e.DSN = stack.WithDatabase(c.ClickHouse.DSN, c.ClickHouse.Database)
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

// Close stops the loader (flushing what it holds), the servers, the chain
// server, the proxy and the markets. It is idempotent.
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
	if e.local != nil {
		if err := e.local.Stop(ctx); err != nil {
			e.log.Warn().Err(err).Msg("stopping the demo's clickhouse-server")
		}
		e.local = nil
	}
	if e.ChainServer != nil {
		e.ChainServer.Close()
		e.ChainServer = nil
	}
	if e.Fixtures != nil {
		e.Fixtures.Close()
	}
}

// ClientCommand is the clickhouse-client command line that reaches the
// demo's managed ClickHouse, or "" when ClickHouse is external.
func (e *Env) ClientCommand() string {
	if e.local == nil {
		return ""
	}
	return e.local.ClientCommand() + " --database " + e.Stack.DB.Database()
}
