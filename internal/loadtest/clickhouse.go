package loadtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Server is a clickhouse-server started again by Restart on a directory a
// warehouse.Local had set up and stopped: same configuration file, so the
// same ports and data.
type Server struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Restart starts clickhouse-server with the configuration warehouse.StartLocal
// wrote into dir (its ports included) and returns once the native address
// addr answers a ping. warehouse.StartLocal would pick new ports; a loader
// that must find the server where it was needs the old ones.
func Restart(ctx context.Context, dir, addr string, auth clickhouse.Auth) (*Server, error) {
	bin, args, err := serverProgram()
	if err != nil {
		return nil, err
	}
	out, err := os.OpenFile(filepath.Join(dir, "log", "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("restarting clickhouse-server: %w", err)
	}
	s := &Server{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // Pdeathsig follows the forking thread
		defer out.Close()
		s.cmd = exec.Command(bin, append(args, "--config-file="+filepath.Join(dir, "config.xml"))...)
		s.cmd.Dir = dir
		s.cmd.Stdout, s.cmd.Stderr = out, out
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := s.cmd.Start(); err != nil {
			started <- fmt.Errorf("restarting clickhouse-server: %w", err)
			close(s.done)
			return
		}
		started <- nil
		_ = s.cmd.Wait()
		close(s.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: auth, DialTimeout: time.Second})
		if err == nil {
			err = conn.Ping(wctx)
			conn.Close()
		}
		if err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("restarting clickhouse-server: exited during startup (last ping: %v)", err)
		case <-wctx.Done():
			s.Stop()
			return nil, fmt.Errorf("restarting clickhouse-server: not answering on %s: %w", addr, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop ends the server (SIGTERM, SIGKILL after 20 s) and waits for it.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// serverProgram finds clickhouse-server as warehouse.StartLocal does.
func serverProgram() (string, []string, error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil, nil
	}
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil, nil
		}
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return p, []string{"server"}, nil
	}
	return "", nil, errors.New("restarting clickhouse-server: no clickhouse-server program found")
}
