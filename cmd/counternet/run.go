package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/counternet/counternet/internal/service"
)

// runRun is `counternet run`: the roles of the config as a long-lived
// service. SIGHUP reloads site files; SIGTERM stops within run.shutdown_grace.
func runRun(ctx context.Context, args []string, _, stderr io.Writer) error {
	f := newFlags("run", stderr)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	return service.Run(ctx, cfg, service.Options{BaseDir: ".", Reload: reload, Version: version}, newLogger(cfg, stderr))
}
