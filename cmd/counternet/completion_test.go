package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// completionScript writes `counternet completion SHELL` to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, out, errOut := runArgs(t, "completion", shell)
	if code != 0 || errOut != "" {
		t.Fatalf("completion %s: exit %d: %s", shell, code, errOut)
	}
	file := filepath.Join(t.TempDir(), "counternet."+shell)
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// bashComplete returns what bash offers for the last word of line, with
// the script at file loaded.
func bashComplete(t *testing.T, file, line string) []string {
	t.Helper()
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, shQuote(w))
	}
	script := `source ` + shQuote(file) + `
COMP_WORDS=(` + strings.Join(quoted, " ") + `); COMP_CWORD=` + strconv.Itoa(len(words)-1) + `
_counternet
printf '%s\n' "${COMPREPLY[@]}"`
	out, err := exec.Command("bash", "--norc", "--noprofile", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	var got []string
	for _, w := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if w != "" {
			got = append(got, w)
		}
	}
	sort.Strings(got)
	return got
}

func needShell(t *testing.T, shell string) {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		t.Skipf("%s is not installed (apt-get install %s)", shell, shell)
	}
}

// TestBashCompletion loads the script in bash and completes partial
// commands, subcommands, flags and arguments.
func TestBashCompletion(t *testing.T) {
	needShell(t, "bash")
	file := completionScript(t, "bash")
	out, err := exec.Command("bash", "--norc", "--noprofile", "-c", "source "+shQuote(file)+"; complete -p counternet").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "complete -o default -F _counternet counternet" {
		t.Fatalf("complete -p counternet: %v: %q", err, out)
	}
	for line, want := range map[string]string{
		"counternet qu":                        "query",
		"counternet d":                         "dead-letters demo",
		"counternet --ver":                     "--version",
		"counternet chain sy":                  "sync",
		"counternet chain t":                   "tags tx",
		"counternet pipeline ":                 "extract test",
		"counternet chain sync --ho":           "--hops",
		"counternet --config x.yaml chain sy":  "sync",
		"counternet query --for":               "--format",
		"counternet query top-r":               "top-routes",
		"counternet completion ":               "bash zsh",
		"counternet help ch":                   "chain check",
		"counternet keys generate --o":         "--out",
		"counternet export --legal":            "--legal-basis",
		"counternet status --":                 "--config --help",
		"counternet collect --source nova --c": "--config",
	} {
		if got := strings.Join(bashComplete(t, file, line), " "); got != want {
			t.Errorf("%q completes to %q, want %q", line, got, want)
		}
	}
}

// TestCompletionListsWhatHelpLists: for every command, the flags bash
// completes after "--" are the flags its help lists.
func TestCompletionListsWhatHelpLists(t *testing.T) {
	needShell(t, "bash")
	file := completionScript(t, "bash")
	leaves(commands, nil, func(path []string, s *cmdSpec) {
		var want []string
		flagsOf(s).VisitAll(func(f *flag.Flag) { want = append(want, "--"+f.Name) })
		want = append(want, "--help")
		sort.Strings(want)
		got := bashComplete(t, file, "counternet "+strings.Join(path, " ")+" --")
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%v: completes %v, help lists %v", path, got, want)
		}
	})
}

// TestZshCompletion loads the script in zsh after compinit, checks it
// registers, and runs its function with zsh's completion helpers
// replaced by ones that print what they are offered.
func TestZshCompletion(t *testing.T) {
	needShell(t, "zsh")
	file := completionScript(t, "zsh")
	script := `autoload -U compinit && compinit -u -d ` + shQuote(filepath.Join(t.TempDir(), "zcompdump")) + `
source ` + shQuote(file) + `
print -r -- "registered=${_comps[counternet]}"
_describe() { local a; for a in "${(@P)${@[-1]}}"; do print -r -- "offer ${a%%:*}"; done }
_files() { print -r -- "offer FILES" }
words=(counternet qu); CURRENT=2; PREFIX=qu; _counternet
words=(counternet chain sync --ho); CURRENT=4; PREFIX=--ho; _counternet
words=(counternet chain sync --sources ''); CURRENT=5; PREFIX=''; _counternet
words=(counternet completion ''); CURRENT=3; PREFIX=''; _counternet
`
	out, err := exec.Command("zsh", "-f", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	for _, want := range []string{"registered=_counternet", "offer query", "offer chain", "offer --hops", "offer FILES", "offer bash\noffer zsh"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("zsh output lacks %q:\n%s", want, out)
		}
	}
}

// TestCompletionFromBinary: what a user types in ~/.bashrc works with
// the built binary.
func TestCompletionFromBinary(t *testing.T) {
	needShell(t, "bash")
	bin := builtBinary(t)
	cmd := exec.Command("bash", "--norc", "--noprofile", "-c",
		`source <(counternet completion bash); complete -p counternet; COMP_WORDS=(counternet chain an); COMP_CWORD=2; _counternet; echo "${COMPREPLY[@]}"`)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "complete -o default -F _counternet counternet\nanalyze\n" {
		t.Errorf("bash: %v: %q", err, out)
	}
}
