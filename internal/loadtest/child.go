package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/stack"
)

// Environment of a re-executed test binary that runs a loader instead of
// its tests.
const (
	EnvChild     = "COUNTERNET_LOADTEST_CHILD"      // "loader" runs the loader, "drain" only fetches and acks
	EnvDrain     = "COUNTERNET_LOADTEST_DRAIN"      // how many messages a drain child acks before it stops
	EnvConfig    = "COUNTERNET_LOADTEST_CONFIG"     // config file of the child
	EnvUntilIdle = "COUNTERNET_LOADTEST_UNTIL_IDLE" // "1": stop once everything is loaded
	// EnvCPUProfile, when set in the environment of the test run, names a
	// file the loader child writes its CPU profile to.
	EnvCPUProfile = "COUNTERNET_LOADTEST_CPUPROFILE"
	// EnvDrainCPUProfile does the same for a drain child.
	EnvDrainCPUProfile = "COUNTERNET_LOADTEST_DRAIN_CPUPROFILE"
)

// Report is what a loader child prints on its last line of stdout when it
// ends by itself.
type Report struct {
	Loaded      int     `json:"loaded"`
	Batches     int     `json:"batches"`
	DeadLetters int     `json:"dead_letters"`
	Retries     int     `json:"retries"`
	Seconds     float64 `json:"seconds"`     // from the loader's start to its return
	CPUSeconds  float64 `json:"cpu_seconds"` // user and system CPU time of the child
	PeakRSSKB   int64   `json:"peak_rss_kb"` // VmHWM of the child
	Error       string  `json:"error,omitempty"`
}

// RunChildIfAsked turns a re-executed test binary into a loader process, the
// way "counternet load --config FILE [--until-idle]" runs one (same config
// loading and wiring through internal/stack), and exits. It returns at once
// in a normal test run. Call it first in TestMain.
//
// A "drain" child instead pulls from the loader's consumer, with the same
// configuration, and acks every message without decoding or storing it:
// the ceiling JetStream sets on any loader.
func RunChildIfAsked() {
	run := map[string]func(context.Context) (Report, error){"loader": runLoaderChild, "drain": runDrainChild}[os.Getenv(EnvChild)]
	if run == nil {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	rep, err := run(ctx)
	stop()
	if err != nil {
		rep.Error = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(rep)
	if err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

func runLoaderChild(ctx context.Context) (Report, error) {
	var rep Report
	s, stop, err := openChild(ctx, stack.Need{Bus: true, Warehouse: true}, EnvCPUProfile)
	if err != nil {
		return rep, err
	}
	defer stop()
	ld, _, err := s.Loader(ctx)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	if os.Getenv(EnvUntilIdle) == "1" {
		err = ld.RunUntilIdle(ctx)
	} else {
		err = ld.Run(ctx)
	}
	rep.Seconds = time.Since(start).Seconds()
	st := ld.Stats()
	rep.Loaded, rep.Batches, rep.DeadLetters, rep.Retries = st.Loaded, st.Batches, st.DeadLetters, st.Retries
	rep.CPUSeconds = cpuSeconds()
	rep.PeakRSSKB, _ = PeakRSSKB(os.Getpid())
	return rep, err
}

// runDrainChild acks EnvDrain messages of the loader's consumer, pulled as
// the loader pulls them, and reports how long that took.
func runDrainChild(ctx context.Context) (Report, error) {
	var rep Report
	n, err := strconv.Atoi(os.Getenv(EnvDrain))
	if err != nil || n <= 0 {
		return rep, fmt.Errorf("%s: want a count of messages, got %q", EnvDrain, os.Getenv(EnvDrain))
	}
	s, stop, err := openChild(ctx, stack.Need{Bus: true}, EnvDrainCPUProfile)
	if err != nil {
		return rep, err
	}
	defer stop()
	cons, err := s.Consumer(ctx)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	it, err := cons.Messages(jetstream.PullMaxMessages(s.Cfg.Load.FetchMax))
	if err != nil {
		return rep, fmt.Errorf("pulling messages: %w", err)
	}
	defer it.Stop()
	for rep.Loaded < n {
		m, err := it.Next()
		if err != nil {
			return rep, fmt.Errorf("pulling message %d of %d: %w", rep.Loaded+1, n, err)
		}
		if err := m.Ack(); err != nil {
			return rep, fmt.Errorf("acking message %d of %d: %w", rep.Loaded+1, n, err)
		}
		rep.Loaded++
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.CPUSeconds = cpuSeconds()
	rep.PeakRSSKB, _ = PeakRSSKB(os.Getpid())
	return rep, nil
}

// openChild loads the child's config (EnvConfig), opens what need asks
// for, logging at the config's level to stderr, and starts a CPU profile
// when the environment variable profileEnv names a file; stop undoes it all.
func openChild(ctx context.Context, need stack.Need, profileEnv string) (s *stack.Stack, stop func(), err error) {
	cfg, err := config.Load(os.Getenv(EnvConfig))
	if err != nil {
		return nil, nil, err
	}
	lvl, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	log := zerolog.New(os.Stderr).Level(lvl).With().Timestamp().Int("pid", os.Getpid()).Logger()
	if s, err = stack.Open(ctx, cfg, log, need); err != nil {
		return nil, nil, err
	}
	stopProfile, err := startProfile(os.Getenv(profileEnv))
	if err != nil {
		s.Close(context.Background())
		return nil, nil, err
	}
	return s, func() { stopProfile(); s.Close(context.Background()) }, nil
}

// startProfile writes a CPU profile to path, if path is set, until stop is
// called.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("writing cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// cpuSeconds is the user and system CPU time this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// LoaderConfig is the part of a loader child's configuration a test sets.
type LoaderConfig struct {
	NATSURL       string
	ClickHouseDSN string // clickhouse://host:port/database
	Database      string
	BatchSize     int
	FlushInterval time.Duration
	MaxAckPending int
	AckWait       time.Duration
	FetchMax      int
	LogLevel      string // default warn
}

// WriteConfig writes a counternet config file for a loader child into dir
// and returns its path.
func WriteConfig(dir string, c LoaderConfig) (string, error) {
	if c.LogLevel == "" {
		c.LogLevel = "warn"
	}
	y := fmt.Sprintf(`data_dir: %q
log:
  level: %s
  format: json
nats:
  url: %q
  max_age: 24h
  duplicate_window: 2h
clickhouse:
  dsn: %q
  database: %q
load:
  consumer: loader
  batch_size: %d
  flush_interval: %s
  max_ack_pending: %d
  ack_wait: %s
  fetch_max: %d
`, filepath.Join(dir, "data"), c.LogLevel, c.NATSURL, c.ClickHouseDSN, c.Database,
		c.BatchSize, c.FlushInterval, c.MaxAckPending, c.AckWait, c.FetchMax)
	path := filepath.Join(dir, "loader.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		return "", fmt.Errorf("writing loader config: %w", err)
	}
	return path, nil
}

// Child is a loader running as a separate process: the test binary
// re-executed with EnvChild=loader.
type Child struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	done   chan struct{}
	err    error
}

// StartLoader starts a loader child with the config file at cfgPath; its
// log goes to stderr. With untilIdle it exits by itself once every
// published event is stored.
func StartLoader(cfgPath string, untilIdle bool, stderr io.Writer) (*Child, error) {
	return startChild(stderr, EnvChild+"=loader", EnvConfig+"="+cfgPath, EnvUntilIdle+"="+boolEnv(untilIdle))
}

// StartDrain starts a drain child: with the loader's config file at cfgPath
// it pulls n messages from the loader's consumer, acks each, and exits.
func StartDrain(cfgPath string, n int, stderr io.Writer) (*Child, error) {
	return startChild(stderr, EnvChild+"=drain", EnvConfig+"="+cfgPath, EnvDrain+"="+strconv.Itoa(n))
}

func startChild(stderr io.Writer, env ...string) (*Child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("starting loader child: %w", err)
	}
	c := &Child{done: make(chan struct{})}
	c.cmd = exec.Command(exe, "-test.run=^$")
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout = &c.stdout
	c.cmd.Stderr = stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the forking thread ends: keep it for the
		// child's lifetime.
		runtime.LockOSThread()
		if err := c.cmd.Start(); err != nil {
			started <- fmt.Errorf("starting loader child: %w", err)
			close(c.done)
			return
		}
		started <- nil
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

func boolEnv(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Pid is the child's process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Exited is closed when the child has exited.
func (c *Child) Exited() <-chan struct{} { return c.done }

// Kill sends SIGKILL and waits for the child to be gone.
func (c *Child) Kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// Wait waits for the child to exit by itself, killing it when ctx ends
// first, and returns its report.
func (c *Child) Wait(ctx context.Context) (Report, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		c.Kill()
		return Report{}, fmt.Errorf("waiting for loader child: %w", ctx.Err())
	}
	var rep Report
	out := strings.TrimSpace(c.stdout.String())
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		return rep, fmt.Errorf("loader child exited (%v) without a report: %q", c.err, out)
	}
	if c.err != nil {
		return rep, fmt.Errorf("loader child: %w: %s", c.err, rep.Error)
	}
	return rep, nil
}

// PeakRSSKB returns the peak resident set size (VmHWM) of process pid, in
// KiB, from /proc (Linux).
func PeakRSSKB(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading peak rss: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, errors.New("reading peak rss: no VmHWM in /proc status")
}
