package demo_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/demo"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// shellWords splits a command line as a shell would for the demo's
// printed commands: words separated by spaces, double-quoted words, and a
// comment from an unquoted " #" on.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case c == '\\' && quoted && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !quoted && !inWord:
			return words
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestKeptDemoHandsOver runs `counternet demo --keep`, takes the
// environment lines and commands it prints, and runs each command, as
// printed, with the counternet binary in another process: the saved
// queries answer rows, capture show finds the page, export writes a
// package, chain sync reaches the fixture chain.
func TestKeptDemoHandsOver(t *testing.T) {
	cfg := testConfig(t)
	bin := filepath.Join(t.TempDir(), "counternet")
	build := exec.Command("go", "build", "-o", bin, "github.com/counternet/counternet/cmd/counternet")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building counternet: %v\n%s", err, b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, cfg, demo.Options{Seed: 11, Keep: true, Out: out}, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("kept demo ended with %v", err)
		}
	}()
	deadline := time.After(4 * time.Minute)
	for !strings.Contains(out.String(), "listings loaded: ") {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("demo ended before handing over: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("no hand-over after 4 minutes:\n%s", out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	text := out.String()
	var env, cmds []string
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "export COUNTERNET_"):
			env = append(env, strings.TrimPrefix(l, "export "))
		case strings.HasPrefix(l, "counternet ") && !strings.HasPrefix(l, "counternet demo"):
			cmds = append(cmds, l)
		}
	}
	for _, name := range []string{"COUNTERNET_CLICKHOUSE_DSN=clickhouse://127.0.0.1:", "COUNTERNET_NATS_URL=nats://", "COUNTERNET_DATA_DIR=/"} {
		if !strings.Contains(strings.Join(env, "\n"), name) {
			t.Errorf("the kept demo prints no line %s...:\n%s", name, text)
		}
	}
	if len(cmds) < 5 {
		t.Fatalf("the kept demo prints %d commands:\n%s", len(cmds), text)
	}
	base := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	for _, line := range cmds {
		args := shellWords(line)
		cmd := exec.Command(bin, args[1:]...)
		cmd.Env = append(base, env...)
		cmd.Dir = t.TempDir() // nothing of the repository is needed
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%s: %v\n%s%s", line, err, stdout.String(), stderr.String())
			continue
		}
		got := stdout.String()
		switch {
		case args[1] == "query" && (strings.Contains(got, "(0 rows)") || strings.Count(got, "\n") < 3):
			t.Errorf("%s: answers no rows against the kept demo:\n%s", line, got)
		case args[1] == "capture" && !strings.HasPrefix(got, "HTTP/"):
			t.Errorf("%s: no HTTP response:\n%s%s", line, got, stderr.String())
		case args[1] == "export" && !strings.Contains(got, "written"):
			t.Errorf("%s: no package written:\n%s%s", line, got, stderr.String())
		case args[1] == "chain" && !strings.Contains(got, "flows:"):
			t.Errorf("%s: no chain analysis:\n%s%s", line, got, stderr.String())
		}
		t.Logf("$ %s\n%s", line, firstLines(got, 4))
	}
	checkConsole(t, text)
	t.Logf("demo output:\n%s", text)
}

// checkConsole signs in to the console the kept demo printed, with the
// investigator login it printed, and opens the routes page.
func checkConsole(t *testing.T, text string) {
	m := regexp.MustCompile(`the investigators' console: (https://\S+)`).FindStringSubmatch(text)
	login := regexp.MustCompile(`sign in as investigator +password (\S+)`).FindStringSubmatch(text)
	if m == nil || login == nil {
		t.Fatalf("the kept demo prints no console URL or login:\n%s", text)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := hc.Get(m[1] + "login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindSubmatch(page)
	if tok == nil {
		t.Fatalf("console login page without its token:\n%s", page)
	}
	resp, err = hc.PostForm(m[1]+"login", url.Values{"token": {string(tok[1])}, "user": {"investigator"}, "password": {login[1]}, "next": {"/routes?days=3650"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<span id="whoami">investigator</span>`) || !strings.Contains(string(page), `<table id="routes">`) {
		t.Errorf("signed in to the demo console with the printed login: %d\n%s", resp.StatusCode, page)
	}
}

func firstLines(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	return strings.Join(ls[:min(n, len(ls))], "\n")
}
