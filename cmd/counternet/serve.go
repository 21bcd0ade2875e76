package main

import (
	"context"
	"fmt"
	"io"

	"github.com/counternet/counternet/internal/console"
	"github.com/counternet/counternet/internal/metrics"
	"github.com/counternet/counternet/internal/stack"
)

// runServe is `counternet serve`: the investigators' web console over the
// warehouse and evidence store the other roles fill, until SIGINT or
// SIGTERM.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("serve", stderr)
	addr := f.fs.String("addr", "", "address to serve on, host:port (default: console.addr of the config)")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	// The console reads what the other roles stored and writes only its
	// own tables (cases, watchlists, alerts, audit): the schema must be
	// migrated already.
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true, Existing: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	m := metrics.New()
	return console.Serve(ctx, cfg, s.DB, s.Log, console.ServeOptions{Addr: *addr, Version: version, Alerts: m.Alerts,
		Ready: func(url, fp string) {
			fmt.Fprintf(stdout, "console: %s (%s)\n  certificate sha256 %s\n", url, s.Where(), fp)
		}})
}
