package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes: a runtime error exits 1, a usage error (unknown command or
// flag, missing or stray argument) exits 2.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is an error in the command line rather than in what the
// command did: run prints it with a pointer to the command's help and
// exits 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageErr makes a usage error; format and a are as fmt.Errorf's.
func usageErr(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// cmdStderr is the stderr run hands a command. It writes to the real
// stderr and keeps the flag sets newFlags makes for the command, so run
// can tell a flag error from a runtime one (status.go and every other
// command parse flags the same way) and help can list the flags.
type cmdStderr struct {
	io.Writer
	flags []*common
}

// parseFailed reports whether a flag set made for the command failed to
// parse its arguments.
func (s *cmdStderr) parseFailed() bool {
	for _, c := range s.flags {
		if c.parseFailed {
			return true
		}
	}
	return false
}

func (s *cmdStderr) flagSet() *flag.FlagSet {
	if len(s.flags) == 0 {
		return nil
	}
	return s.flags[0].fs
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printMainUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printMainUsage(stdout)
		return exitOK
	case "--version", "-version":
		args = append([]string{"version"}, args[1:]...)
	}
	spec, path, rest, err := resolve(args)
	if err != nil {
		if spec != nil && spec.subs != nil && len(rest) == 0 {
			printGroupSynopsis(stderr, path, spec)
		}
		printUsageError(stderr, path, err)
		return exitUsage
	}
	if spec.subs != nil { // a group asked for help: `counternet chain -h`
		printGroupHelp(stdout, path, spec)
		return exitOK
	}
	se := &cmdStderr{Writer: stderr}
	if spec.noArgs {
		if err := checkNoArgs(spec, rest); err != nil {
			printUsageError(stderr, path, err)
			return exitUsage
		}
	}
	err = spec.run(ctx, rest, stdout, se)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout, path, spec, se.flagSet())
		return exitOK
	case errors.As(err, &ue) || se.parseFailed():
		if len(rest) == 0 {
			printSynopsis(stderr, spec)
		}
		printUsageError(stderr, path, err)
		return exitUsage
	}
	fmt.Fprintln(stderr, collapseRepeats(errorLine(path, err)))
	return exitFailure
}

// resolve walks the command table along args to a command that runs, or
// to a group when args ask for its help. It returns the spec reached, its
// path of names and the arguments left; the error is a usage error, and
// the spec and path are then as far as the walk got.
func resolve(args []string) (spec *cmdSpec, path, rest []string, err error) {
	specs := commands
	rest = args
	for {
		if len(rest) == 0 {
			return spec, path, rest, usageErr("a subcommand is required: %s", names(spec.subs))
		}
		next := find(specs, rest[0])
		if next == nil {
			if spec == nil {
				return nil, nil, rest, usageErr("unknown command %q", rest[0])
			}
			if isHelpArg(rest[0]) {
				return spec, path, rest[1:], nil
			}
			return spec, path, rest, usageErr("unknown subcommand %q: want %s", rest[0], names(spec.subs))
		}
		spec, path, rest = next, append(path, next.name), rest[1:]
		if spec.subs == nil {
			return spec, path, rest, nil
		}
		specs = spec.subs
	}
}

func isHelpArg(a string) bool {
	return a == "-h" || a == "-help" || a == "--help" || a == "help"
}

func names(specs []*cmdSpec) string {
	var ns []string
	for _, s := range specs {
		ns = append(ns, s.name)
	}
	return strings.Join(ns, ", ")
}

// checkNoArgs parses args with the command's flags, before the command
// runs, and refuses an argument the command would ignore.
func checkNoArgs(spec *cmdSpec, args []string) error {
	fs := flagsOf(spec)
	if fs == nil {
		return nil
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the command prints its help
		}
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (this command takes flags only)", fs.Arg(0))
	}
	return nil
}

// flagsOf returns the flag set of a command that runs, as the command
// itself defines it: it runs the command with -h on a cancelled context,
// which every command answers by returning flag.ErrHelp from its flag
// parsing, before it reads or starts anything (TestEveryCommandHasHelp
// holds them to it).
func flagsOf(spec *cmdSpec) *flag.FlagSet {
	if spec.run == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	probe := &cmdStderr{Writer: io.Discard}
	if err := spec.run(ctx, []string{"-h"}, io.Discard, probe); !errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return probe.flagSet()
}

// flagError rewords the flag package's errors as usage errors.
func flagError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		if len(name) > 1 {
			name = "-" + name // as typed, most likely: --name
		}
		msg = "unknown flag -" + name
	}
	return &usageError{errors.New(msg)}
}

// errorLine is the line run prints for a command's error, before repeated
// segments are collapsed.
func errorLine(path []string, err error) string {
	msg := err.Error()
	if len(path) == 0 {
		return "counternet: " + msg
	}
	return "counternet " + strings.Join(path, " ") + ": " + msg
}

// printUsageError prints a usage error on one line and where the usage is.
func printUsageError(w io.Writer, path []string, err error) {
	if !errors.As(err, new(*usageError)) {
		err = flagError(err) // a flag set's own parse error
	}
	fmt.Fprintln(w, collapseRepeats(errorLine(path, err)))
	fmt.Fprintf(w, "Run '%s' for usage.\n", strings.Join(append([]string{"counternet", "help"}, path...), " "))
}

// collapseRepeats removes a run of ": "-separated segments that repeats
// the run right before it, on every line of msg: "fetching u: fetching u:
// EOF" becomes "fetching u: EOF". Errors wrapped twice with the same
// context say it once.
func collapseRepeats(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, line := range lines {
		segs := strings.Split(line, ": ")
		for {
			at, n := firstRepeat(segs)
			if n == 0 {
				break
			}
			segs = append(segs[:at+n], segs[at+2*n:]...)
		}
		lines[i] = strings.Join(segs, ": ")
	}
	return strings.Join(lines, "\n")
}

// firstRepeat finds segs[at:at+n] equal to segs[at+n:at+2n], shortest n
// first; n is 0 when no run repeats.
func firstRepeat(segs []string) (at, n int) {
	for n = 1; 2*n <= len(segs); n++ {
		for at = 0; at+2*n <= len(segs); at++ {
			same := true
			for k := 0; k < n && same; k++ {
				same = segs[at+k] == segs[at+n+k]
			}
			if same {
				return at, n
			}
		}
	}
	return 0, 0
}
