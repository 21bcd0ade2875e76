package tornet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// maxLogTail bounds how much of a log file logTail reads.
const maxLogTail = 16 << 10

// node is one tor process of the network.
type node struct {
	name  string
	role  string
	dir   string // DataDirectory
	torrc string // contents

	orPort, dirPort, socksPort, controlPort int

	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has been waited for
	err    error         // from Wait, set before exited is closed
}

func (n *Network) newNode(name, role string) *node {
	nd := &node{name: name, role: role, dir: filepath.Join(n.dir, name)}
	n.nodes = append(n.nodes, nd)
	return nd
}

func (nd *node) logPath() string { return filepath.Join(nd.dir, "notice.log") }

// startNode writes nd's torrc and starts tor on it. The process gets SIGKILL
// when the thread that started it dies, so a crashed test leaves no tor
// behind (see startProcess).
func (n *Network) startNode(nd *node) error {
	if err := os.MkdirAll(nd.dir, 0o700); err != nil {
		return fmt.Errorf("creating data directory of %s: %w", nd.name, err)
	}
	torrc := filepath.Join(nd.dir, "torrc")
	if err := os.WriteFile(torrc, []byte(nd.torrc), 0o600); err != nil {
		return fmt.Errorf("writing torrc of %s: %w", nd.name, err)
	}
	if err := startProcess(nd, "tor", "--defaults-torrc", n.defaultsPath(), "-f", torrc); err != nil {
		return err
	}
	n.log.Debug().Str("node", nd.name).Int("pid", nd.cmd.Process.Pid).Msg("tor started")
	return nil
}

// startProcess runs bin in nd's directory, its output going to
// stdout.log there, and waits for it in the background. The process gets
// SIGKILL when the thread that started it dies.
func startProcess(nd *node, bin string, args ...string) error {
	out, err := os.Create(filepath.Join(nd.dir, "stdout.log"))
	if err != nil {
		return fmt.Errorf("creating stdout log of %s: %w", nd.name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = nd.dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return fmt.Errorf("starting %s for %s: %w", bin, nd.name, err)
	}
	nd.cmd, nd.exited = cmd, make(chan struct{})
	go func() {
		nd.err = cmd.Wait()
		_ = out.Close()
		close(nd.exited)
	}()
	return nil
}

// alive returns an error when nd's process has exited.
func (nd *node) alive() error {
	if nd.exited == nil {
		return fmt.Errorf("tor %s was never started", nd.name)
	}
	select {
	case <-nd.exited:
		return fmt.Errorf("tor %s exited: %v", nd.name, nd.err)
	default:
		return nil
	}
}

// logTail returns the last lines of nd's notice log, or of its stdout when
// the notice log is empty (tor writes configuration errors there).
func (nd *node) logTail(lines int) string {
	for _, p := range []string{nd.logPath(), filepath.Join(nd.dir, "stdout.log")} {
		if t := tailFile(p, lines); t != "" {
			return t
		}
	}
	return ""
}

func tailFile(path string, lines int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-maxLogTail, 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, off, maxLogTail))
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(buf, []byte("?"))), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// stopAll sends SIGTERM to every running node, waits up to grace for them to
// exit, then sends SIGKILL to the rest and waits for them.
func stopAll(nodes []*node, grace time.Duration, log zerolog.Logger) {
	var running []*node
	for _, nd := range nodes {
		if nd.exited == nil || nd.alive() != nil {
			continue
		}
		running = append(running, nd)
		if err := nd.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			log.Warn().Err(err).Str("node", nd.name).Msg("sending SIGTERM to tor")
		}
	}
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for _, nd := range running {
		select {
		case <-nd.exited:
			continue
		case <-deadline.C:
		}
		// The grace period is over: kill this one and everything still alive.
		for _, rest := range running {
			if rest.alive() == nil {
				log.Warn().Str("node", rest.name).Int("pid", rest.cmd.Process.Pid).Msg("tor ignored SIGTERM, killing it")
				_ = rest.cmd.Process.Kill()
			}
		}
		break
	}
	for _, nd := range running {
		select {
		case <-nd.exited:
		case <-time.After(grace):
			log.Error().Str("node", nd.name).Int("pid", nd.cmd.Process.Pid).Msg("tor still running after SIGKILL")
		}
	}
}
