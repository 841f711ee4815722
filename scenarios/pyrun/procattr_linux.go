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

// pythonProcAttr is ProcAttr for an interpreter, in a PID namespace of its
// own when isolate is set. A process group does not hold a program that
// means to leave it: a child started with start_new_session=True, or one
// that calls setsid() after a double fork, is in no group of the run's and
// would outlive it. In a PID namespace the interpreter is the namespace's
// init, and when it exits, however it exits, the kernel kills everything
// else in the namespace. Root may make one; anyone else needs a user
// namespace too, mapped to the same user and group, so the program runs
// with no privilege it did not have.
func pythonProcAttr(isolate bool) *syscall.SysProcAttr {
	a := ProcAttr()
	if !isolate {
		return a
	}
	a.Cloneflags = syscall.CLONE_NEWPID
	if uid, gid := os.Geteuid(), os.Getegid(); uid != 0 {
		a.Cloneflags |= syscall.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		a.GidMappingsEnableSetgroups = false
	}
	return a
}

// namespaceRefused reports whether err is the kernel refusing to make the
// namespaces (not allowed here, none left, not built in), after which runs
// go on without them.
func namespaceRefused(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) ||
		errors.Is(err, syscall.EUSERS) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENOSYS)
}
