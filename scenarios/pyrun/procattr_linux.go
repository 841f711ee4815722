//go:build linux

package pyrun

import "syscall"

// ProcAttr is how a run's process (an interpreter, or a Go worker) is
// started: in a process group of its own, so that ending the run can kill
// everything it started, and set to be killed by the kernel should this
// process die without cleaning up (SIGKILL, an OOM kill), rather than go on
// as an orphan. The kernel sends that signal when the thread that started
// the process exits; Go keeps its threads for the life of the process,
// except a thread whose goroutine locked it and ended without unlocking it,
// which nothing here does.
func ProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
