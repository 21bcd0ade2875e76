package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// runArgs runs the command line args in process.
func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// eachPath calls fn with every command path of the table, groups included.
func eachPath(fn func(path []string, s *cmdSpec)) {
	var walk func(specs []*cmdSpec, path []string)
	walk = func(specs []*cmdSpec, path []string) {
		for _, s := range specs {
			p := append(append([]string(nil), path...), s.name)
			fn(p, s)
			walk(s.subs, p)
		}
	}
	walk(commands, nil)
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errOut := runArgs(t, args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		for _, want := range []string{"counternet dev\n", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH, "revision"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out)
			}
		}
	}
}

var (
	builtOnce sync.Once
	builtBin  string
	builtErr  error
)

// builtBinary builds counternet as the Makefile does, with
// -X main.version=v0.0.0-clitest (and -X main.revision, the commit checked
// out), once for the tests that run the binary.
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "counternet-cli-test")
		if err != nil {
			builtErr = err
			return
		}
		builtBin = filepath.Join(dir, "counternet")
		ldflags := "-X main.version=v0.0.0-clitest"
		if head, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			ldflags += " -X main.revision=" + strings.TrimSpace(string(head))
		}
		out, err := exec.Command("go", "build", "-buildvcs=auto", "-ldflags", ldflags, "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			builtErr = err
			builtBin = string(out)
		}
	})
	if builtErr != nil {
		t.Fatalf("building counternet: %v\n%s", builtErr, builtBin)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" && builtErr == nil {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// TestVersionOfBuiltBinary: the version the Makefile's -ldflags set and
// the revision the binary was built from: the one the Go toolchain
// records, or in a git worktree (where it records none) the one
// -X main.revision gives.
func TestVersionOfBuiltBinary(t *testing.T) {
	bin := builtBinary(t)
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	for _, want := range []string{"counternet v0.0.0-clitest\n", runtime.Version(), "  revision  " + strings.TrimSpace(string(head))} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--version lacks %q:\n%s", want, out)
		}
	}
}

// TestEveryCommandHasHelp: `counternet help PATH` and `counternet PATH -h`
// print the same description, usage, flags and examples to stdout and exit
// 0, for every command and group of the table.
func TestEveryCommandHasHelp(t *testing.T) {
	eachPath(func(path []string, s *cmdSpec) {
		code, viaHelp, errOut := runArgs(t, append([]string{"help"}, path...)...)
		if code != 0 || errOut != "" {
			t.Errorf("help %v: exit %d, stderr %q", path, code, errOut)
		}
		for _, h := range []string{"-h", "--help"} {
			code, viaFlag, errOut := runArgs(t, append(append([]string(nil), path...), h)...)
			if code != 0 || errOut != "" || viaFlag != viaHelp {
				t.Errorf("%v %s: exit %d, stderr %q; stdout differs from help's:\n%s\n---\n%s", path, h, code, errOut, viaFlag, viaHelp)
			}
		}
		name := "counternet " + strings.Join(path, " ")
		for _, want := range []string{name + " — " + s.summary, "usage:", s.about, "examples:\n  ", "\n  " + name} {
			if !strings.Contains(viaHelp, want) {
				t.Errorf("help %v lacks %q:\n%s", path, want, viaHelp)
			}
		}
		if strings.Contains(viaHelp, "Usage of") {
			t.Errorf("help %v is the flag package's dump:\n%s", path, viaHelp)
		}
		if s.run == nil {
			for _, sub := range s.subs {
				if !strings.Contains(viaHelp, "  "+sub.name+"  ") {
					t.Errorf("help %v does not list %s:\n%s", path, sub.name, viaHelp)
				}
			}
			return
		}
		// The command answers -h before it reads or starts anything, with
		// its one flag set: what help and completion list.
		fs := flagsOf(s)
		if fs == nil {
			t.Errorf("%v: -h does not end in its flag parsing", path)
			return
		}
		if len(s.synopsis) == 0 || !strings.HasPrefix(s.synopsis[0], name) {
			t.Errorf("%v: synopsis %q does not start with %q", path, s.synopsis, name)
		}
		n := 0
		fs.VisitAll(func(f *flag.Flag) {
			n++
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			if !strings.Contains(viaHelp, "\n  "+dash+f.Name+" ") {
				t.Errorf("help %v does not list --%s:\n%s", path, f.Name, viaHelp)
			}
		})
		if n > 0 && !strings.Contains(viaHelp, "\nflags:\n") {
			t.Errorf("help %v has no flags section", path)
		}
	})
	// The list of commands, on request to stdout, without one to stderr.
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		if code, out, _ := runArgs(t, args...); code != 0 || !strings.Contains(out, "  query ") || !strings.Contains(out, "  completion ") {
			t.Errorf("%v: exit %d:\n%s", args, code, out)
		}
	}
}

// TestUsageErrorsExit2: the command line's errors exit 2 with one line
// naming the problem and a pointer to the command's help; a runtime error
// exits 1.
func TestUsageErrorsExit2(t *testing.T) {
	t.Setenv("COUNTERNET_DATA_DIR", t.TempDir())
	for _, tc := range []struct {
		args    []string
		want    string // in the error line
		pointer string
		usage   bool // the usage is printed before
	}{
		{nil, "", "", true},
		{[]string{"nosuch"}, `counternet: unknown command "nosuch"`, "counternet help", false},
		{[]string{"query"}, "counternet query: name a saved query", "counternet help query", true},
		{[]string{"query", "--bogus"}, "counternet query: unknown flag --bogus", "counternet help query", false},
		{[]string{"query", "top-routes", "--limit", "x"}, "counternet query: invalid value", "counternet help query", false},
		{[]string{"query", "top-routes", "--format", "xml"}, `counternet query: --format "xml"`, "counternet help query", false},
		{[]string{"status", "--bogus"}, "counternet status: unknown flag --bogus", "counternet help status", false},
		{[]string{"collect", "nova"}, `counternet collect: unexpected argument "nova"`, "counternet help collect", false},
		{[]string{"chain"}, "counternet chain: a subcommand is required", "counternet help chain", true},
		{[]string{"chain", "nosuch"}, `counternet chain: unknown subcommand "nosuch"`, "counternet help chain", false},
		{[]string{"chain", "tx"}, "counternet chain tx: want one transaction id", "counternet help chain tx", true},
		{[]string{"chain", "tx", "abcd"}, "counternet chain tx: no chain source", "counternet help chain tx", false},
		{[]string{"keys"}, "counternet keys: a subcommand is required: generate", "counternet help keys", true},
		{[]string{"capture", "show"}, "counternet capture show: want exactly one sha256", "counternet help capture show", true},
		{[]string{"pipeline", "test"}, "counternet pipeline test: name one or more site files", "counternet help pipeline test", true},
		{[]string{"verify", "a", "b"}, "counternet verify: want exactly one package file, got 2", "counternet help verify", false},
		{[]string{"open", "pkg.cnpkg"}, "counternet open: missing -o DIR", "counternet help open", false},
		{[]string{"completion", "fish"}, `counternet completion: no completion for shell "fish"`, "counternet help completion", false},
		{[]string{"help", "nosuch"}, `counternet help: unknown command "nosuch"`, "counternet help help", false},
	} {
		code, out, errOut := runArgs(t, tc.args...)
		if code != 2 || out != "" {
			t.Errorf("%v: exit %d, stdout %q; want 2 and nothing", tc.args, code, out)
			continue
		}
		if tc.usage != strings.HasPrefix(errOut, "usage:") && tc.usage != strings.HasPrefix(errOut, "counternet — ") {
			t.Errorf("%v: usage printed %v, want %v:\n%s", tc.args, !tc.usage, tc.usage, errOut)
		}
		if tc.want == "" {
			continue
		}
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if n := len(lines); n < 2 || !strings.HasPrefix(lines[n-2], tc.want) || lines[n-1] != "Run '"+tc.pointer+"' for usage." {
			t.Errorf("%v: stderr ends:\n%s\nwant a line starting %q, then Run '%s' for usage.", tc.args, errOut, tc.want, tc.pointer)
		}
	}
	// A runtime error: exit 1, no pointer to help.
	code, _, errOut := runArgs(t, "capture", "show", strings.Repeat("0", 64))
	if code != 1 || strings.Contains(errOut, "for usage") {
		t.Errorf("capture show on an empty data dir: exit %d\n%s", code, errOut)
	}
}

// TestNoUsageErrorRepeatsItself: for every command, the usage errors (an
// unknown flag; no arguments for those that need some; an unknown
// subcommand for groups) say each thing once: no segment of the
// ": "-separated chain repeats, and the message does not restate the
// command "counternet X:" already names.
func TestNoUsageErrorRepeatsItself(t *testing.T) {
	t.Setenv("COUNTERNET_DATA_DIR", t.TempDir())
	var cases [][]string
	eachPath(func(path []string, s *cmdSpec) {
		p := func(extra ...string) []string { return append(append([]string(nil), path...), extra...) }
		switch {
		case s.subs != nil:
			cases = append(cases, p(), p("nosuch"))
		case s.name == "help":
			cases = append(cases, p("--no-such-flag"), p("nosuch"))
		case !s.noArgs:
			cases = append(cases, p("--no-such-flag"), p())
		default:
			cases = append(cases, p("--no-such-flag"), p("stray"))
		}
	})
	for _, args := range cases {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut.String())
		}
		// The line as the command's error made it, before run collapses
		// repeats: the test is of the errors themselves.
		line := rawErrorLine(t, args)
		if at, n := firstRepeat(strings.Split(line, ": ")); n > 0 {
			t.Errorf("%v: %q repeats %q", args, line, strings.Join(strings.Split(line, ": ")[at:at+n], ": "))
		}
		name, msg, _ := strings.Cut(line, ": ")
		words := strings.Fields(strings.TrimPrefix(name, "counternet"))
		for k := range words {
			if strings.HasPrefix(msg, strings.Join(words[k:], " ")+":") || strings.HasPrefix(msg, strings.Join(words[k:], " ")+" ") {
				t.Errorf("%v: %q restates %q", args, line, strings.Join(words[k:], " "))
			}
		}
		if strings.HasPrefix(msg, "usage:") {
			t.Errorf("%v: %q is a usage line as an error", args, line)
		}
	}
}

// rawErrorLine is the error line of the command line args as the
// command's own error made it.
func rawErrorLine(t *testing.T, args []string) string {
	t.Helper()
	spec, path, rest, err := resolve(args)
	if err == nil && spec.subs == nil {
		if spec.noArgs {
			err = checkNoArgs(spec, rest)
		}
		if err == nil {
			se := &cmdStderr{Writer: &bytes.Buffer{}}
			err = spec.run(context.Background(), rest, &bytes.Buffer{}, se)
		}
	}
	if err == nil {
		t.Fatalf("%v: no error", args)
	}
	return errorLine(path, err)
}

func TestCollapseRepeats(t *testing.T) {
	for in, want := range map[string]string{
		"counternet collect: fetching http://x.onion/: fetching http://x.onion/: EOF": "counternet collect: fetching http://x.onion/: EOF",
		"a: b: a: b: c":         "a: b: c",
		"a: a: a: b":            "a: b",
		"a: b: c\nx: x: y":      "a: b: c\nx: y",
		"a: b: a: c":            "a: b: a: c",
		`want "x: y": got "x"`:  `want "x: y": got "x"`,
		"loading: reading: EOF": "loading: reading: EOF",
	} {
		if got := collapseRepeats(in); got != want {
			t.Errorf("collapseRepeats(%q) = %q, want %q", in, got, want)
		}
	}
}
