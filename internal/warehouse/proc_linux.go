package warehouse

import "syscall"

// sysProcAttr puts the server in its own process group (so a signal to the
// group reaches it and nothing else of ours) and has the kernel kill it when
// the thread that started it ends.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
