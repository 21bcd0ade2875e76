package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/internal/synth"
)

// runGen writes synthetic observations straight to ClickHouse, for
// benchmarks and for analysts to try queries: counternet gen --listings N.
// They go to a database of their own (<database>_synthetic, marked by its
// table synthetic_dataset), never among collected observations; `counternet
// query --synthetic` reads it.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("gen", stderr)
	listings := f.fs.Int("listings", 100_000, "listing observations to write")
	seed := f.fs.Int64("seed", 1, "seed of the fixture world the observations are drawn from")
	weeks := f.fs.Int("weeks", 52, "weeks the observations spread over, ending this week")
	batch := f.fs.Int("batch", 50_000, "rows per insert")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if *listings < 0 || *weeks <= 0 || *batch <= 0 {
		return usageErr("--listings must be 0 or more, --weeks and --batch above 0")
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	// The synthetic database is gen's own: gen creates and migrates it.
	cfg.ClickHouse.Database = synth.Database(cfg.ClickHouse.Database)
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	start := time.Now()
	st, err := synth.Write(ctx, s.DB, synth.Options{Listings: *listings, Seed: *seed, Weeks: *weeks, BatchSize: *batch,
		Rates: stack.Rates(cfg)}, s.Log)
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "wrote %d synthetic listing and %d vendor observations in %d batches to %s in %s (%.0f rows/s); "+
		"read them with counternet query --synthetic\n",
		st.Listings, st.Vendors, st.Batches, s.Where(), took.Round(time.Millisecond),
		float64(st.Listings+st.Vendors)/took.Seconds())
	return nil
}
