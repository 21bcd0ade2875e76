package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/config"
)

// runCaptureShow is `counternet capture show <sha256>`: it prints the
// archived response stored under a capture hash (status line, headers,
// body) after verifying it against the hash, and says where it is archived.
func runCaptureShow(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("capture show", stderr)
	head := f.fs.Bool("head", false, "print only the WARC location, the status line and the headers")
	pos, err := parseInterspersed(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("want exactly one sha256, got %d arguments", len(pos))
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	// The store is looked for, not created: a data dir without one is
	// named, so a mistyped COUNTERNET_DATA_DIR does not read as "not found".
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "captures"))
	if err != nil {
		return fmt.Errorf("finding the capture store: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no capture store in %s (data dir %s): point %s at the data dir of the run that captured it "+
				"(counternet demo --keep prints it)", dir, filepath.Dir(dir), config.EnvDataDir)
		}
		return fmt.Errorf("reading the capture store: %w", err)
	}
	store, err := capture.Open(dir)
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := store.Response(pos[0])
	if err != nil {
		return fmt.Errorf("%w (searched the capture store in %s)", err, dir)
	}
	fmt.Fprintf(stderr, "capture %s\n  target %s\n  date   %s\n  record %s\n  file   %s @ %d\n",
		r.SHA256, r.TargetURI, r.Date, r.RecordID, r.File, r.Offset)
	if r.Truncated != "" {
		fmt.Fprintf(stderr, "  truncated (%s): the body was cut at the size limit\n", r.Truncated)
	}
	if _, err := stdout.Write(r.Head); err != nil {
		return fmt.Errorf("writing capture: %w", err)
	}
	if *head {
		return nil
	}
	if _, err := stdout.Write(r.Body); err != nil {
		return fmt.Errorf("writing capture: %w", err)
	}
	return nil
}
