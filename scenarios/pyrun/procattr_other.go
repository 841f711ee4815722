//go:build !linux

package pyrun

import "syscall"

// ProcAttr is how a run's process (an interpreter, or a Go worker) is
// started: in a process group of its own, so that ending the run can kill
// everything it started. Only Linux can also have it killed when this
// process dies.
func ProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// Only Linux has PID namespaces: an interpreter has its process group.
const isolateNone int32 = 2

func firstIsolation() int32 { return isolateNone }

func pythonProcAttr(int32) *syscall.SysProcAttr { return ProcAttr() }

func isolationRefused(error) (forGood, forNow bool) { return false, false }
