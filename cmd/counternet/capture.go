package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/counternet/counternet/internal/capture"
)

// runCapture is `counternet capture show <sha256>`: it prints the archived
// response stored under a capture hash (status line, headers, body) after
// verifying it against the hash, and says where it is archived.
func runCapture(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "show" {
		fmt.Fprintln(stderr, "usage: counternet capture show [--config FILE] [--head] <sha256>")
		return errors.New("capture: want the subcommand show")
	}
	f := newFlags("capture show", stderr)
	head := f.fs.Bool("head", false, "print only the WARC location, the status line and the headers")
	if err := f.fs.Parse(args[1:]); err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return errors.New("capture show: want exactly one sha256")
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	store, err := capture.Open(filepath.Join(cfg.DataDir, "captures"))
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := store.Response(f.fs.Arg(0))
	if err != nil {
		return err
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
