package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/counternet/counternet/internal/query"
	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/internal/synth"
)

// paramFlags collects repeated --param k=v flags.
type paramFlags map[string]string

func (p paramFlags) String() string { return fmt.Sprint(map[string]string(p)) }

func (p paramFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	p[k] = v
	return nil
}

// runQuery runs a saved query: counternet query NAME [--param k=v]...
// [--format table|csv|json] [--limit N], or prints its SQL (--sql), or lists
// the saved queries (--list).
func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("query", stderr)
	params := paramFlags{}
	f.fs.Var(params, "param", "a parameter as `name=value` (repeatable)")
	format := f.fs.String("format", "table", "output format: table, csv or json")
	list := f.fs.Bool("list", false, "list the saved queries with their parameters")
	printSQL := f.fs.Bool("sql", false, "print the statement query runs, parameters filled in, for clickhouse-client, and exit")
	limit := f.fs.Int("limit", 10000, "rows to print at most (0: all)")
	synthetic := f.fs.Bool("synthetic", false, "read the synthetic database counternet gen writes (<database>"+synth.Suffix+")")
	cut := f.fs.Int("cut", 0, "table: cut free text (values with a space) to N characters; ids, hashes, hosts and addresses are never cut (0: all in full)")
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if name == "" && f.fs.NArg() > 0 {
		name = f.fs.Arg(0)
		if err := f.fs.Parse(f.fs.Args()[1:]); err != nil {
			return err
		}
	}
	if f.fs.NArg() > 0 {
		return usageErr("unexpected arguments %q (parameters go as --param name=value)", f.fs.Args())
	}
	if *list {
		return listQueries(stdout)
	}
	if *limit < 0 || *cut < 0 {
		return usageErr("--limit and --cut take 0 or more")
	}
	if name == "" {
		return usageErr("name a saved query ('counternet query --list' lists them)")
	}
	q, err := query.Lookup(name)
	if err != nil {
		return err
	}
	values, err := q.Values(params)
	if err != nil {
		return err
	}
	if *printSQL {
		_, err := io.WriteString(stdout, q.Literal(values))
		return err
	}
	if !validFormat(*format) {
		return usageErr("--format %q: want one of %s", *format, strings.Join(query.Formats, ", "))
	}
	// A read: nothing is created, migrated or loaded (a read-only
	// ClickHouse user suffices), and a data dir holding no warehouse is an
	// error, not an empty answer.
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if *synthetic {
		cfg.ClickHouse.Database = synth.Database(cfg.ClickHouse.Database)
	}
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true, Existing: true, ClickHouseUser: stack.ReadOnlyUser})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	if err := warnSynthetic(ctx, s, stderr); err != nil {
		return err
	}
	if q.RefreshClusters {
		note, err := query.PrepareClusters(ctx, s.DB)
		if err != nil {
			return err
		}
		if note != "" {
			fmt.Fprintln(stderr, note)
		}
	}
	res, err := query.Run(ctx, s.DB.Conn(), q, params, *limit)
	if err != nil {
		return err
	}
	// Said on stderr, so CSV and JSON on stdout stay clean: an answer of
	// no rows from the wrong server reads differently from one of the
	// server meant.
	fmt.Fprintf(stderr, "%s: %d rows from %s\n", q.Name, len(res.Rows), s.Where())
	res.CutText = *cut
	return res.Write(stdout, *format)
}

func validFormat(f string) bool {
	for _, x := range query.Formats {
		if f == x {
			return true
		}
	}
	return false
}

func listQueries(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, q := range query.All() {
		fmt.Fprintf(tw, "%s\t%s\n", q.Name, q.Description)
		for _, p := range q.Params {
			fmt.Fprintf(tw, "  --param %s=\t%s (%s)\n", p.Name, p.Doc, paramNote(p))
		}
	}
	return tw.Flush()
}

// paramNote says a parameter's type, range and default, or that it is
// required.
func paramNote(p query.Param) string {
	note := string(p.Type)
	if p.Type == query.Int {
		note += fmt.Sprintf(" %d to %d", p.Min, p.Max)
	}
	switch {
	case p.Required:
		return note + ", required"
	case p.Default == "":
		return note + `, default ""`
	}
	return note + ", default " + p.Default
}

// warnSynthetic says on stderr, before any row, when the database read
// holds synthetic data.
func warnSynthetic(ctx context.Context, s *stack.Stack, stderr io.Writer) error {
	var n uint64
	err := s.DB.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = ?",
		synth.MarkerTable).Scan(&n)
	if err != nil {
		return fmt.Errorf("checking for synthetic data: %w", err)
	}
	if n > 0 {
		fmt.Fprintf(stderr, "SYNTHETIC DATA: %s holds observations counternet gen made up, not intelligence\n", s.Where())
	}
	return nil
}
