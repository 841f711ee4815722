package pyrun

import "syscall"

// becomeSubreaper makes orphans of the test's processes our children, so that
// a run's stray grandchildren are reaped by Run rather than left as zombies
// (this container's init does not reap them).
func becomeSubreaper() error {
	const prSetChildSubreaper = 36
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
