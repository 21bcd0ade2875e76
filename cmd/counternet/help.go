package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// revision is the VCS revision when the Go toolchain recorded none (built
// in a git worktree, whose .git is a file, or with -buildvcs=false); set
// with -ldflags "-X main.revision=$(git rev-parse HEAD)".
var revision = ""

const mainIntro = "counternet — darknet market intelligence for investigators and partner agencies\n\n" +
	"usage: counternet COMMAND [flags]\n"

const mainNotes = `Every command takes --config FILE (default: the embedded configs/counternet.yaml).
Only migrate, load, run and demo create or migrate the database and load reference data;
query, status, dead-letters, capture and chain read (or add to) what is there, and say
"run counternet migrate" when its schema is behind.
Run 'counternet help COMMAND' (or 'counternet COMMAND -h') for what a command does, its flags
and examples; 'counternet completion bash|zsh' for shell completion.
`

// printMainUsage prints the list of commands.
func printMainUsage(w io.Writer) {
	fmt.Fprint(w, mainIntro, "\ncommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\n", mainNotes)
}

// printHelp prints a command's help: what it does, its usage, its flags
// (fs, when it has any) and examples.
func printHelp(w io.Writer, path []string, s *cmdSpec, fs *flag.FlagSet) {
	fmt.Fprintf(w, "counternet %s — %s\n\n", strings.Join(path, " "), s.summary)
	printSynopsis(w, s)
	fmt.Fprintf(w, "\n%s\n", s.about)
	if fs != nil {
		fmt.Fprint(w, "\nflags:\n")
		printFlags(w, fs)
	}
	printExamples(w, s)
}

// printGroupHelp prints the help of a command with subcommands.
func printGroupHelp(w io.Writer, path []string, s *cmdSpec) {
	fmt.Fprintf(w, "counternet %s — %s\n\n", strings.Join(path, " "), s.summary)
	printGroupSynopsis(w, path, s)
	fmt.Fprintf(w, "\n%s\n", s.about)
	printExamples(w, s)
	fmt.Fprintf(w, "\nRun 'counternet help %s COMMAND' for a command's flags and examples.\n", strings.Join(path, " "))
}

func printSynopsis(w io.Writer, s *cmdSpec) {
	fmt.Fprint(w, "usage:\n")
	for _, l := range s.synopsis {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// printGroupSynopsis prints a group's usage line and its subcommands.
func printGroupSynopsis(w io.Writer, path []string, s *cmdSpec) {
	fmt.Fprintf(w, "usage: counternet %s COMMAND [flags]\n\ncommands:\n", strings.Join(path, " "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, sub := range s.subs {
		fmt.Fprintf(tw, "  %s\t%s\n", sub.name, sub.summary)
	}
	tw.Flush()
}

func printExamples(w io.Writer, s *cmdSpec) {
	if len(s.examples) == 0 {
		return
	}
	fmt.Fprint(w, "\nexamples:\n")
	for _, e := range s.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
}

// printFlags lists a flag set as --name TYPE, its usage and its default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if len(f.Name) == 1 {
			name = "-" + f.Name
		}
		if typ != "" {
			name += " " + typ
		}
		if !isZeroDefault(f.DefValue) {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	})
	tw.Flush()
}

func isZeroDefault(v string) bool {
	switch v {
	case "", "0", "false", "0s", "[]", "map[]":
		return true
	}
	return false
}

// runHelp is `counternet help [COMMAND [SUBCOMMAND]]`.
func runHelp(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newBareFlags("help", stderr)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.fs.NArg() == 0 {
		printMainUsage(stdout)
		return nil
	}
	spec, path, rest, err := resolve(f.fs.Args())
	switch {
	case err != nil && spec != nil && spec.subs != nil && len(rest) == 0:
		printGroupHelp(stdout, path, spec) // `help chain`
		return nil
	case err != nil:
		return err
	case len(rest) > 0:
		return usageErr("%s takes no subcommand %q", strings.Join(path, " "), rest[0])
	case spec.subs != nil:
		printGroupHelp(stdout, path, spec)
		return nil
	}
	printHelp(stdout, path, spec, flagsOf(spec))
	return nil
}

// runVersion is `counternet version` (and `counternet --version`).
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newBareFlags("version", stderr)
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	_, err := io.WriteString(stdout, versionText())
	return err
}

// versionText says the version -ldflags set, the Go version and platform,
// and the VCS revision the Go toolchain recorded in the binary.
func versionText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "counternet %s\n", version)
	fmt.Fprintf(&b, "  go        %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	rev, at, modified := "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" && revision != "" {
		rev = revision + " (from the build flags)"
	}
	switch {
	case rev == "":
		b.WriteString("  revision  unknown (not recorded: built outside a git checkout, in a worktree or with -buildvcs=false)\n")
	case modified:
		fmt.Fprintf(&b, "  revision  %s, with uncommitted changes\n", rev)
	default:
		fmt.Fprintf(&b, "  revision  %s\n", rev)
	}
	if at != "" {
		fmt.Fprintf(&b, "  committed %s\n", at)
	}
	return b.String()
}
