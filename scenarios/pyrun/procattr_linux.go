//go:build linux

package pyrun

import (
	"errors"
	"os"
	"syscall"
)

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

// How an interpreter is isolated, best first. A process group does not hold
// a program that means to leave it: a child started with
// start_new_session=True, or one that calls setsid() after a double fork,
// is in no group of the run's and would outlive it. In a PID namespace the
// interpreter is the namespace's init, and when it exits, however it exits,
// the kernel kills everything else in the namespace. Root with
// CAP_SYS_ADMIN may make one alone; anyone else (root in a container
// without that capability too) needs a user namespace around it, mapped to
// the same user and group, so the program runs with no privilege it did
// not have.
const (
	isolatePID     int32 = iota // a PID namespace
	isolateUserPID              // a user namespace and a PID namespace in it
	isolateNone                 // the process group alone
)

// firstIsolation is where Run starts: a PID namespace alone only for root.
func firstIsolation() int32 {
	if os.Geteuid() == 0 {
		return isolatePID
	}
	return isolateUserPID
}

// pythonProcAttr is ProcAttr for an interpreter, isolated as mode says.
func pythonProcAttr(mode int32) *syscall.SysProcAttr {
	a := ProcAttr()
	switch mode {
	case isolatePID:
		a.Cloneflags = syscall.CLONE_NEWPID
	case isolateUserPID:
		uid, gid := os.Geteuid(), os.Getegid()
		a.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		a.GidMappingsEnableSetgroups = false
	}
	return a
}

// isolationRefused says what err from starting an interpreter isolated as
// mode means: whether the kernel refused that kind of namespace for good
// (not allowed here, not built in), so the next mode should be tried for
// this run and every later one; or only for now (none left: too many
// namespaces or processes), so this run goes without and later runs try
// again. Any other error is the start's own, and is no namespace's fault.
func isolationRefused(err error) (forGood, forNow bool) {
	switch {
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EINVAL), errors.Is(err, syscall.ENOSYS):
		return true, false
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EUSERS), errors.Is(err, syscall.EAGAIN):
		return false, true
	}
	return false, false
}
