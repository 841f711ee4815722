//go:build !linux

package pyrun

import "syscall"

// ProcAttr is how a run's process (an interpreter, or a Go worker) is
// started: in a process group of its own, so that ending the run can kill
// everything it started. Only Linux can also have it killed when this
// process dies.
func ProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// pythonProcAttr is ProcAttr: only Linux has PID namespaces.
func pythonProcAttr(bool) *syscall.SysProcAttr { return ProcAttr() }

func namespaceRefused(error) bool { return false }
