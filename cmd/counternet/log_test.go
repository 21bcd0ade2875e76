package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/counternet/counternet/internal/config"
)

// openPTY opens a pseudo-terminal and returns its two ends: what a
// program writes to tty, the terminal shows on ptmx.
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlocking the pty: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("numbering the pty: %v", e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return ptmx, tty
}

// logLine writes one console log line through newLogger to w.
func logLine(w io.Writer) {
	cfg := &config.Config{}
	cfg.Log.Format, cfg.Log.Level = "console", "info"
	log := newLogger(cfg, &cmdStderr{Writer: w})
	wrapped := fmt.Errorf("fetching http://x.onion/: %w", fmt.Errorf("fetching http://x.onion/: %w", io.EOF))
	log.Warn().Dur("took", 1500*time.Millisecond).Err(wrapped).Msg("page failed")
}

// readPTY reads what the terminal shows of one line.
func readPTY(t *testing.T, ptmx *os.File) string {
	t.Helper()
	ptmx.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte("\n")) {
		n, err := ptmx.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("reading the terminal: %v (read %q)", err, got)
		}
	}
	return string(got)
}

// TestLogColourOnlyOnTerminal: console log lines are coloured on a
// terminal, plain in a pipe or file and when NO_COLOR is set; each says
// the date; durations say their unit; a twice-wrapped error says its
// context once.
func TestLogColourOnlyOnTerminal(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	ptmx, tty := openPTY(t)
	logLine(tty)
	if got := readPTY(t, ptmx); !strings.Contains(got, "\x1b[") {
		t.Errorf("on a terminal: no colour in %q", got)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	logLine(w)
	w.Close()
	piped, _ := io.ReadAll(r)
	line := string(piped)
	if strings.Contains(line, "\x1b[") {
		t.Errorf("in a pipe: colour codes in %q", line)
	}
	if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}`).MatchString(line) {
		t.Errorf("the timestamp has no date: %q", line)
	}
	if !strings.Contains(line, "took=1.5s") {
		t.Errorf("the duration has no unit: %q", line)
	}
	if !strings.Contains(line, "fetching http://x.onion/: EOF") || strings.Count(line, "fetching") != 1 {
		t.Errorf("the error repeats itself: %q", line)
	}

	t.Setenv("NO_COLOR", "1")
	logLine(tty)
	if got := readPTY(t, ptmx); strings.Contains(got, "\x1b[") {
		t.Errorf("NO_COLOR set: colour on the terminal in %q", got)
	}
}

// TestJSONLogDurations: JSON log lines carry durations with their unit
// too, and /dev/null (a character device, not a terminal) gets no colour.
func TestJSONLogDurations(t *testing.T) {
	cfg := &config.Config{}
	cfg.Log.Format, cfg.Log.Level = "json", "info"
	var buf bytes.Buffer
	log := newLogger(cfg, &buf)
	log.Info().Dur("took", 2*time.Minute).Err(errors.New("a: a: b")).Msg("x")
	if !strings.Contains(buf.String(), `"took":"2m0s"`) || !strings.Contains(buf.String(), `"error":"a: b"`) {
		t.Errorf("JSON line: %s", buf.String())
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	t.Setenv("NO_COLOR", "")
	if colour(null) {
		t.Error("/dev/null taken for a terminal")
	}
}
