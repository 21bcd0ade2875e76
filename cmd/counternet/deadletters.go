package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/stack"
)

// runDeadLetters lists the messages the loader dead-lettered, with their
// reasons, from the dead-letter stream; --show N prints one in full.
func runDeadLetters(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("dead-letters", stderr)
	show := f.fs.Uint64("show", 0, "print dead letter N (its sequence on "+bus.DeadLetterStream+") in full, payload included")
	from := f.fs.Uint64("from", 1, "list from this sequence on")
	limit := f.fs.Int("limit", 100, "list at most this many")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	s, err := f.open(ctx, stderr, stack.Need{Bus: true, Existing: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	if *show > 0 {
		d, err := load.ReadDeadLetter(ctx, s.Bus.JS, *show)
		if err != nil {
			return err
		}
		printDeadLetter(stdout, d)
		return nil
	}
	dls, err := load.ReadDeadLetters(ctx, s.Bus.JS, *from, max(*limit, 1))
	if err != nil {
		return err
	}
	if len(dls) == 0 {
		fmt.Fprintf(stdout, "no dead letters on %s (stream %s)\n", config.RedactURL(s.NATSURL()), bus.DeadLetterStream)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tRECEIVED\tSUBJECT\tSTREAM SEQ\tBYTES\tREASON")
	for _, d := range dls {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\n", d.DeadSeq, d.ReceivedAt.Format(time.DateTime), d.Subject,
			d.StreamSeq, d.Bytes, oneLine(d.Reason, 160))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d dead letters shown; 'counternet dead-letters --show SEQ' prints one in full; "+
		"in ClickHouse: SELECT * FROM dead_letter_events FINAL (one row per bad event, also of one envelope)\n", len(dls))
	return nil
}

func printDeadLetter(w io.Writer, d load.DeadLetter) {
	fmt.Fprintf(w, "dead letter %d\n", d.DeadSeq)
	fmt.Fprintf(w, "  subject:     %s\n", d.Subject)
	fmt.Fprintf(w, "  from:        %s sequence %d, received %s\n", d.Stream, d.StreamSeq, d.ReceivedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "  reason:      %s\n", d.Reason)
	if d.Schema != "" || d.EventID != "" {
		fmt.Fprintf(w, "  schema:      %s\n  event_id:    %s\n", d.Schema, d.EventID)
	}
	cut := ""
	if d.Truncated() {
		cut = fmt.Sprintf(" (first %d kept)", len(d.Payload))
	}
	fmt.Fprintf(w, "  bytes:       %d%s\n  payload:\n", d.Bytes, cut)
	if utf8.Valid(d.Payload) {
		fmt.Fprintf(w, "%s\n", d.Payload)
	} else {
		fmt.Fprintf(w, "%q\n", d.Payload)
	}
}

// oneLine puts s on one line of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
