// Command counternet is one binary whose subcommands are counternet's roles
// (demo, collect, run, load, export, verify and the others its usage lists).
// It parses flags, wires the parts through internal/stack and runs them
// under one context that ends on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/demo"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/stack"
)

func init() {
	// Durations in logs say their unit ("took=1.52s"), and an error wrapped
	// twice with the same context is logged saying it once.
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
	zerolog.ErrorMarshalFunc = func(err error) any {
		if err == nil {
			return nil
		}
		return collapseRepeats(err.Error())
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// common holds the flags every command takes, and the config once loaded.
type common struct {
	config string
	fs     *flag.FlagSet
	cfg    *config.Config
	// parseFailed: the flags did not parse (or -h asked for help); run
	// then prints the error as a usage error, or the command's help.
	parseFailed bool
}

// newFlags makes the flag set of a command, with --config.
func newFlags(name string, stderr io.Writer) *common {
	c := newBareFlags(name, stderr)
	c.fs.StringVar(&c.config, "config", "", "config file (default: the embedded configs/counternet.yaml)")
	return c
}

// newBareFlags makes the flag set of a command that reads no config. The
// flag package prints nothing: run prints a flag error on one line, and
// -h as the command's help (help.go). When stderr is the one run hands a
// command, the flag set is registered there for run to find.
func newBareFlags(name string, stderr io.Writer) *common {
	c := &common{fs: flag.NewFlagSet("counternet "+name, flag.ContinueOnError)}
	c.fs.SetOutput(io.Discard)
	c.fs.Usage = func() { c.parseFailed = true }
	if s, ok := stderr.(*cmdStderr); ok {
		s.flags = append(s.flags, c)
	}
	return c
}

// load loads the config --config names. It loads it once: later calls
// return the same config, with whatever the command changed in it.
func (c *common) load() (*config.Config, error) {
	if c.cfg == nil {
		cfg, err := config.Load(c.config)
		if err != nil {
			return nil, err
		}
		c.cfg = cfg
	}
	return c.cfg, nil
}

// open opens what need asks for: the command's stack (its Cfg and Log are
// the config load returns and its logger). A command that checks or changes
// the config before it starts any server calls load first.
func (c *common) open(ctx context.Context, stderr io.Writer, need stack.Need) (*stack.Stack, error) {
	cfg, err := c.load()
	if err != nil {
		return nil, err
	}
	return stack.Open(ctx, cfg, newLogger(cfg, stderr), need)
}

// newLogger writes cfg.Log.Format to stderr: JSON lines, or console lines
// with the date and time (RFC 3339) of each, in colour only when stderr is
// a terminal and NO_COLOR is unset.
func newLogger(cfg *config.Config, stderr io.Writer) zerolog.Logger {
	var w io.Writer = stderr
	if cfg.Log.Format == "console" {
		w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.RFC3339, NoColor: !colour(stderr)}
	}
	lvl, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("demo", stderr)
	keep := f.fs.Bool("keep", false, "leave the servers running after the summary, until Ctrl-C")
	seed := f.fs.Int64("seed", 0, "seed of the fixture markets (default: demo.seed of the config)")
	dataDir := f.fs.String("data", "", "data directory (default: <data_dir>/demo, emptied first)")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if *seed == 0 {
		*seed = cfg.Demo.Seed
	}
	if *dataDir == "" {
		*dataDir = filepath.Join(cfg.DataDir, "demo")
		// The demo starts from nothing each time, so its counts are its own.
		if err := os.RemoveAll(*dataDir); err != nil {
			return fmt.Errorf("emptying %s: %w", *dataDir, err)
		}
	}
	cfg.DataDir = *dataDir
	if cfg.Log.Level == "info" {
		cfg.Log.Level = "warn" // the demo's own output tells the story
	}
	return demo.Run(ctx, cfg, demo.Options{Seed: *seed, Keep: *keep, Out: stdout, Progress: stderr}, newLogger(cfg, stderr))
}

func runCollect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("collect", stderr)
	source := f.fs.String("source", "", "collect only these sources (comma separated site names)")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if *source != "" {
		cfg.Collect.Sources = strings.Split(*source, ",")
		for i, name := range cfg.Collect.Sources {
			cfg.Collect.Sources[i] = strings.TrimSpace(name)
		}
	}
	sites, err := stack.LoadSites(cfg, ".")
	if err != nil {
		return err
	}
	s, err := f.open(ctx, stderr, stack.Need{Bus: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	onFetch, flush := stack.Progress(stderr, 2*time.Second)
	s.OnFetch = onFetch
	reports, err := s.Collect(ctx, sites)
	flush()
	for _, r := range reports {
		if r != nil {
			fmt.Fprintln(stdout, r.Summary())
		}
	}
	return err
}

func runLoad(ctx context.Context, args []string, _, stderr io.Writer) error {
	f := newFlags("load", stderr)
	untilIdle := f.fs.Bool("until-idle", false, "stop once every published event is loaded")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	s, err := f.open(ctx, stderr, stack.Need{Bus: true, Warehouse: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	log := s.Log
	ld, _, err := s.Loader(ctx)
	if err != nil {
		return err
	}
	if *untilIdle {
		err = ld.RunUntilIdle(ctx)
		// A bulk load leaves past months in many parts: merge them now,
		// not at the next loader's next round. The events are stored
		// either way; a merge that fails leaves the views correct, only
		// slower, so it is a warning, not the command's failure.
		if err == nil && s.Cfg.Load.CompactInterval > 0 {
			if _, cerr := load.Compact(ctx, s.DB, log); cerr != nil {
				log.Warn().Err(cerr).Msg("merging the maintained tables after the load failed; the views stay correct, reading more")
			}
		}
	} else {
		err = ld.Run(ctx)
	}
	st := ld.Stats()
	log.Info().Int("loaded", st.Loaded).Int("batches", st.Batches).Int("dead_letters", st.DeadLetters).
		Int("retries", st.Retries).Msg("loader stopped")
	return err
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("migrate", stderr)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	fmt.Fprintf(stdout, "database %s migrated\n", s.DB.Database())
	return nil
}

func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("check", stderr)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	name := f.config
	if name == "" {
		name = "configs/counternet.yaml (embedded)"
	}
	fmt.Fprintf(stdout, "%s: ok\n", name)
	for _, w := range config.Warnings(cfg) {
		fmt.Fprintf(stdout, "%s: warning: %s\n", name, w)
	}
	files, err := cfg.PipelineFiles(".")
	if err != nil {
		return err
	}
	var errs []error
	var sites []*pipeline.Site
	for _, file := range files {
		site, err := pipeline.Load(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sites = append(sites, site)
		fmt.Fprintf(stdout, "%s: ok (%s, %d mirrors, %d page kinds)\n", file, site.ID(), len(site.Mirrors), len(site.Pages))
	}
	if err := pipeline.CheckUnique(sites); err != nil {
		errs = append(errs, err)
	}
	if cfg.Partners != "" {
		ref, err := reference.Default()
		if err != nil {
			return err
		}
		if ps, err := reference.LoadPartners(cfg.Partners, ref); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(stdout, "%s: ok (%d partners)\n", cfg.Partners, len(ps))
		}
	}
	return errors.Join(errs...)
}
