package warehouse

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/rs/zerolog"
)

// ErrNoClickHouse reports that no clickhouse-server program was found, and
// says what to install.
var ErrNoClickHouse = errors.New("clickhouse-server not found in PATH, /usr/sbin or /usr/bin: " +
	"install it with \"apt-get install clickhouse-server clickhouse-client\"")

// StartupTimeout bounds how long StartLocal waits for a started server to
// answer a native ping.
const StartupTimeout = 60 * time.Second

// startAttempts is how often StartLocal picks new ports when the ones it
// picked were taken between picking and binding.
const startAttempts = 3

// Local is a clickhouse-server child process with its own configuration,
// data directory and loopback ports, started by StartLocal and ended by
// Stop. It dies with the process that started it.
type Local struct {
	dir      string
	bin      string
	args     []string
	tcpPort  int
	httpPort int
	log      zerolog.Logger
	opts     LocalOptions
	// passwords holds each user's password (see LocalUsers).
	passwords map[string]string

	pid     int
	done    chan struct{} // closed when the child has exited
	waitErr error         // the child's exit status, set before done closes

	stopOnce sync.Once
	stopErr  error
}

// StartLocal starts clickhouse-server on free loopback ports with its
// configuration, data and logs under dir, and returns once it answers a
// native ping (within StartupTimeout or ctx, whichever ends first). An
// existing data directory is reused, so a restart on the same dir keeps its
// databases. It returns ErrNoClickHouse when no server program is installed;
// when the child exits during startup the error carries the tail of its
// error log. The server admits only its users (LocalUsers), each with the
// password kept in <dir>/secrets, generated at first start.
func StartLocal(ctx context.Context, dir string, log zerolog.Logger) (*Local, error) {
	return StartLocalWith(ctx, dir, LocalOptions{}, log)
}

// StartLocalWith is StartLocal with options.
func StartLocalWith(ctx context.Context, dir string, opts LocalOptions, log zerolog.Logger) (*Local, error) {
	bin, args, err := findServer()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("starting clickhouse-server: resolving %s: %w", dir, err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "data"), filepath.Join(dir, "log")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("starting clickhouse-server: creating %s: %w", d, err)
		}
	}
	users := &Local{dir: dir, opts: opts}
	if err := users.loadPasswords(); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		l, err := startOnce(ctx, users, bin, args, log)
		if err == nil {
			return l, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
		log.Warn().Err(err).Int("attempt", attempt).Msg("clickhouse-server ports taken, retrying with new ports")
	}
	return nil, lastErr
}

// errPortTaken marks a startup that failed because a picked port was bound
// by someone else in the meantime.
var errPortTaken = errors.New("port already in use")

func startOnce(ctx context.Context, users *Local, bin string, args []string, log zerolog.Logger) (*Local, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("starting clickhouse-server: picking ports: %w", err)
	}
	dir := users.dir
	l := &Local{
		dir:       dir,
		bin:       bin,
		tcpPort:   ports[0],
		httpPort:  ports[1],
		log:       log.With().Str("component", "clickhouse-server").Logger(),
		opts:      users.opts,
		passwords: users.passwords,
		done:      make(chan struct{}),
	}
	if err := l.writeConfig(); err != nil {
		return nil, err
	}
	l.args = append(append([]string(nil), args...), "--config-file="+l.configPath())

	errLog := filepath.Join(dir, "log", "server.err.log")
	stderrLog := filepath.Join(dir, "log", "stderr.log")
	errOffset := fileSize(errLog)
	stderrOffset := fileSize(stderrLog)
	tail := func() string {
		return strings.TrimSpace(tailSince(errLog, errOffset, 4096) + "\n" + tailSince(stderrLog, stderrOffset, 2048))
	}

	if err := l.spawn(stderrLog); err != nil {
		return nil, err
	}
	l.log.Info().Str("bin", bin).Str("dir", dir).Int("tcp_port", l.tcpPort).Int("pid", l.pid).Msg("clickhouse-server started")

	waitCtx, cancel := context.WithTimeout(ctx, StartupTimeout)
	defer cancel()
	if err := l.waitReady(waitCtx); err != nil {
		select {
		case <-l.done:
			t := tail()
			if strings.Contains(t, "already in use") {
				return nil, fmt.Errorf("starting clickhouse-server: %w: %s", errPortTaken, t)
			}
			return nil, fmt.Errorf("starting clickhouse-server: exited during startup (%v); log tail:\n%s", l.waitErr, t)
		default:
		}
		stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer stopCancel()
		_ = l.Stop(stopCtx)
		return nil, fmt.Errorf("starting clickhouse-server: not answering on %s: %w; log tail:\n%s", l.Addr(), err, tail())
	}
	l.log.Info().Str("addr", l.Addr()).Msg("clickhouse-server ready")
	return l, nil
}

// spawn starts the child from a goroutine locked to its OS thread and waits
// for it there: Pdeathsig fires when the thread that forked the child ends,
// so that thread must live exactly as long as the child.
func (l *Local) spawn(stderrPath string) error {
	out, err := os.OpenFile(stderrPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("starting clickhouse-server: opening %s: %w", stderrPath, err)
	}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The thread is never unlocked: it ends with this goroutine, after
		// the child has exited.
		defer out.Close()
		cmd := exec.Command(l.bin, l.args...)
		cmd.Dir = l.dir
		cmd.Stdout = out
		cmd.Stderr = out
		cmd.SysProcAttr = sysProcAttr()
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("starting clickhouse-server: running %s: %w", l.bin, err)
			close(l.done)
			return
		}
		l.pid = cmd.Process.Pid
		started <- nil
		l.waitErr = cmd.Wait()
		close(l.done)
	}()
	return <-started
}

func (l *Local) waitReady(ctx context.Context) error {
	var lastErr error
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if lastErr = ping(ctx, l.Addr(), WriterUser, l.passwords[WriterUser]); lastErr == nil {
			return nil
		}
		select {
		case <-l.done:
			return fmt.Errorf("server exited: %w", lastErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last ping: %v)", ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

func ping(ctx context.Context, addr, user, password string) error {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Username: user, Password: password},
		DialTimeout: time.Second,
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return conn.Ping(pctx)
}

// Addr is the server's native protocol address, host:port.
func (l *Local) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.tcpPort))
}

// HTTPAddr is the server's HTTP interface address, host:port.
func (l *Local) HTTPAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.httpPort))
}

// ClientCommand is the clickhouse-client command line that reaches this
// server as ReadOnlyUser, for people who want to look at the data: the
// password is in a client config file of mode 0600, not on the command line.
func (l *Local) ClientCommand() string {
	return fmt.Sprintf("clickhouse-client --config-file %s --host 127.0.0.1 --port %d", l.clientConfigPath(), l.tcpPort)
}

// Dir is the directory holding the server's configuration, data and logs.
func (l *Local) Dir() string { return l.dir }

// Stop ends the server: SIGTERM first, SIGKILL when ctx ends before the
// server has exited. It waits for the exit and is idempotent: later calls
// return the first call's result.
func (l *Local) Stop(ctx context.Context) error {
	l.stopOnce.Do(func() {
		select {
		case <-l.done:
			if l.waitErr != nil {
				l.stopErr = fmt.Errorf("stopping clickhouse-server: it had already exited: %w", l.waitErr)
			}
			return
		default:
		}
		_ = syscall.Kill(-l.pid, syscall.SIGTERM)
		select {
		case <-l.done:
			l.log.Info().Msg("clickhouse-server stopped")
		case <-ctx.Done():
			_ = syscall.Kill(-l.pid, syscall.SIGKILL)
			<-l.done
			l.log.Warn().Msg("clickhouse-server killed after stop deadline")
		}
	})
	return l.stopErr
}

func (l *Local) configPath() string { return filepath.Join(l.dir, "config.xml") }

// writeConfig writes config.xml and users.xml for this run; ports change on
// every start, data paths do not.
func (l *Local) writeConfig() error {
	x := xmlText
	data := filepath.Join(l.dir, "data") + "/"
	logs := filepath.Join(l.dir, "log")
	usersPath := filepath.Join(l.dir, "users.xml")
	config := fmt.Sprintf(configTemplate,
		x(filepath.Join(logs, "server.log")), x(filepath.Join(logs, "server.err.log")),
		l.tcpPort, l.httpPort,
		x(data), x(data+"tmp/"), x(data+"user_files/"), x(data+"format_schemas/"),
		x(usersPath))
	if err := os.WriteFile(l.configPath(), []byte(config), 0o640); err != nil {
		return fmt.Errorf("starting clickhouse-server: writing config: %w", err)
	}
	return l.writeUsers(usersPath)
}

// xmlText escapes s for XML text.
func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// configTemplate is a server configuration that ClickHouse 18.16 and current
// releases both read. Arguments: log file, error log file, native port, HTTP
// port, data path, tmp path, user files path, format schema path, users file.
const configTemplate = `<?xml version="1.0"?>
<!-- Written by counternet on every start; edits are overwritten. -->
<yandex>
    <logger>
        <level>warning</level>
        <log>%s</log>
        <errorlog>%s</errorlog>
        <size>100M</size>
        <count>3</count>
        <console>0</console>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>%d</tcp_port>
    <http_port>%d</http_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>%s</path>
    <tmp_path>%s</tmp_path>
    <user_files_path>%s</user_files_path>
    <format_schema_path>%s</format_schema_path>
    <users_config>%s</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
</yandex>
`

// serverPaths are where Debian installs the server, tried after PATH.
var serverPaths = []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"}

// findServer locates the server program: clickhouse-server in PATH or the
// Debian locations, else the single-binary "clickhouse server".
func findServer() (string, []string, error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil, nil
	}
	for _, p := range serverPaths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil, nil
		}
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return p, []string{"server"}, nil
	}
	return "", nil, ErrNoClickHouse
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// tailSince returns at most max bytes of what was written to path after
// offset.
func tailSince(path string, offset int64, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	size := fileSize(path)
	if size < offset {
		offset = 0 // the file was rotated
	}
	if size-offset > max {
		offset = size - max
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, max))
	return string(b)
}
