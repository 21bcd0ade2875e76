package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/schedule"
	"github.com/counternet/counternet/internal/service"
	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/internal/warehouse"
)

// runStatus is `counternet status`: per source the last run and its outcome,
// the next scheduled run, selector health, the loader's backlog, and the
// events waiting in the outbox.
func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("status", stderr)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	sites, err := stack.LoadSites(cfg, ".")
	if err != nil {
		return err
	}
	// ClickHouse and NATS are opened apart, each within a bound: status is
	// run exactly when something is wrong, so it shows what can be known
	// and names what is down instead of failing as a whole.
	var down []string
	wctx, wcancel := context.WithTimeout(ctx, statusTimeout)
	defer wcancel()
	var last []warehouse.SourceStatus
	wst, werr := f.open(wctx, stderr, stack.Need{Warehouse: true, Existing: true})
	if werr == nil {
		defer wst.Close(context.Background())
		last, werr = wst.DB.SourceStatuses(wctx)
		fmt.Fprintf(stdout, "%s\n", wst.Where())
	}
	if werr != nil {
		down = append(down, "ClickHouse")
		fmt.Fprintf(stdout, "ClickHouse DOWN (%s): %v\n  last runs, outcomes and health are unknown; schedules below are from the site files\n",
			config.RedactURL(cfg.ClickHouse.DSN), werr)
	}
	byName := map[string]int{}
	for i, s := range last {
		byName[s.Source] = i
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tLAST RUN\tOUTCOME\tPAGES\tFAILED\tLISTINGS\tHEALTH\tNEXT RUN\tSCHEDULE")
	now := time.Now()
	for _, site := range sites {
		spec := service.Spec(cfg, site)
		next := "-"
		if sch, err := schedule.Parse(spec); err == nil {
			from := now
			if i, ok := byName[site.Name]; ok && last[i].LastStart.After(time.Time{}) {
				from = last[i].LastStart
			}
			n := sch.Next(from)
			if n.Before(now) {
				n = sch.Next(now)
			}
			next = n.UTC().Format(time.DateTime)
		}
		i, ok := byName[site.Name]
		switch {
		case werr != nil:
			fmt.Fprintf(tw, "%s\tunknown\t?\t?\t?\t?\t?\t%s\t%s\n", site.Name, next, spec)
			continue
		case !ok:
			fmt.Fprintf(tw, "%s\tnever\t-\t-\t-\t-\t-\t%s\t%s\n", site.Name, next, spec)
			continue
		}
		s := last[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.0f%%\t%s\t%s\n", s.Source, s.LastStart.UTC().Format(time.DateTime),
			s.LastOutcome, s.Pages, s.Failed, s.Listings, 100*s.Health, next, spec)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := printLoader(ctx, f, cfg, stdout, stderr); err != nil {
		down = append(down, "NATS")
		fmt.Fprintf(stdout, "\nNATS DOWN (%s): %v\n  the loader's backlog is unknown\n", config.RedactURL(cfg.NATS.URL), err)
	}
	if err := printOutbox(cfg.DataDir, stdout); err != nil {
		return err
	}
	if len(down) > 0 {
		return fmt.Errorf("%s unreachable (shown above what could be known)", strings.Join(down, " and "))
	}
	return nil
}

// statusTimeout bounds how long status waits for each server.
const statusTimeout = 15 * time.Second

// printLoader prints the loader consumer's backlog; an error means NATS
// could not be read.
func printLoader(ctx context.Context, f *common, cfg *config.Config, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	st, err := f.open(ctx, stderr, stack.Need{Bus: true, Existing: true})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	fmt.Fprintf(stdout, "\nNATS %s\n", config.RedactURL(st.NATSURL()))
	// Looked up, not created or updated: status must not change the consumer
	// a running loader uses, whatever this process's config says.
	cons, err := st.Bus.JS.Consumer(ctx, cfg.NATS.Stream, cfg.Load.Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		fmt.Fprintf(stdout, "loader %s: no such consumer on stream %s yet (no loader has started)\n", cfg.Load.Consumer, cfg.NATS.Stream)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading loader consumer: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading loader consumer: %w", err)
	}
	lag := "-"
	if info.NumPending > 0 && info.Delivered.Last != nil {
		lag = time.Since(*info.Delivered.Last).Round(time.Second).String()
	}
	fmt.Fprintf(stdout, "loader %s: %d pending, %d delivered unacked, %d redelivered, last delivery %s (lag while pending: %s)\n",
		info.Name, info.NumPending, info.NumAckPending, info.NumRedelivered, sinceOrNever(info.Delivered.Last), lag)
	return nil
}

// printOutbox says how many events wait in the outbox of dataDir, if any;
// it needs neither server. An outbox no collection made is not created.
func printOutbox(dataDir string, stdout io.Writer) error {
	dir := filepath.Join(dataDir, "outbox")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	ob, err := bus.OpenOutbox(dir)
	if err != nil {
		return err
	}
	kept, err := ob.Pending()
	if err != nil {
		return err
	}
	if kept > 0 {
		fmt.Fprintf(stdout, "outbox %s: %d events the bus did not acknowledge, published first by the next collection\n", ob.Dir(), kept)
	}
	return nil
}

func sinceOrNever(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return time.Since(*t).Round(time.Second).String() + " ago"
}
