package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/counternet/counternet/internal/schedule"
	"github.com/counternet/counternet/internal/service"
	"github.com/counternet/counternet/internal/stack"
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
	st, err := f.open(ctx, stderr, stack.Need{Bus: true, Warehouse: true})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	last, err := st.DB.SourceStatuses(ctx)
	if err != nil {
		return err
	}
	byName := map[string]int{}
	for i, s := range last {
		byName[s.Source] = i
	}
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
		if !ok {
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
	// Looked up, not created or updated: status must not change the consumer
	// a running loader uses, whatever this process's config says.
	cons, err := st.Bus.JS.Consumer(ctx, cfg.NATS.Stream, cfg.Load.Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		fmt.Fprintf(stdout, "\nloader %s: no such consumer on stream %s yet (no loader has started)\n", cfg.Load.Consumer, cfg.NATS.Stream)
		return printOutbox(st, stdout)
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
	fmt.Fprintf(stdout, "\nloader %s: %d pending, %d delivered unacked, %d redelivered, last delivery %s (lag while pending: %s)\n",
		info.Name, info.NumPending, info.NumAckPending, info.NumRedelivered, sinceOrNever(info.Delivered.Last), lag)
	return printOutbox(st, stdout)
}

// printOutbox says how many events wait in the outbox, if any.
func printOutbox(st *stack.Stack, stdout io.Writer) error {
	ob, err := st.Outbox()
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
