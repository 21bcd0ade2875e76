package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
)

// proc is a server child process of a test: its own process group, killed
// by the kernel when the thread that started it ends, output appended to a
// log file.
type proc struct {
	name    string
	pid     int
	done    chan struct{} // closed when the child has exited
	waitErr error         // the child's exit status, set before done closes
}

// spawnProc starts bin with args in dir from a goroutine locked to its OS
// thread and waits for it there: Pdeathsig fires when the thread that
// forked the child ends, so that thread must live exactly as long as the
// child.
func spawnProc(name, dir, logPath, bin string, args ...string) (*proc, error) {
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("starting %s: opening %s: %w", name, logPath, err)
	}
	p := &proc{name: name, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: the thread ends with this goroutine, after the
		// child has exited.
		defer out.Close()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("starting %s: running %s: %w", name, bin, err)
			close(p.done)
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// exited reports whether the child has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the child's process group and waits for it to exit;
// when ctx ends first it sends SIGKILL. It reports whether the child exited
// on SIGTERM.
func (p *proc) stop(ctx context.Context) bool {
	if p.exited() {
		return true
	}
	_ = syscall.Kill(-p.pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-ctx.Done():
		p.kill()
		return false
	}
}

// kill sends SIGKILL to the child's process group and waits for it to exit.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	<-p.done
}

// tailFile returns at most limit bytes from the end of path, for error
// messages.
func tailFile(path string, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(0, fi.Size()-limit)
	buf := make([]byte, fi.Size()-off)
	n, _ := f.ReadAt(buf, off)
	return strings.TrimSpace(string(buf[:n]))
}
