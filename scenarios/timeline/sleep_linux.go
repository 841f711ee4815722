package timeline

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleep waits for d on a timerfd, unless ctx ends first. The Go
// runtime waits for the timerfd as for any file, in epoll, which returns as
// soon as the timer fires rather than at its next whole millisecond; what
// lateness is left is the scheduler's. ok is false, before any wait, if no
// timerfd could be had (none left under the process's file limit, say); the
// caller then sleeps on the runtime's timers.
func preciseSleep(ctx context.Context, d time.Duration) (ok bool, err error) {
	deadline := time.Now().Add(d)
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return false, nil
	}
	f := os.NewFile(uintptr(fd), "timerfd") // non-blocking: the runtime polls it
	defer f.Close()
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	if err := unix.TimerfdSettime(fd, 0, &spec, nil); err != nil {
		return false, nil
	}
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var expirations [8]byte
	if _, err := f.Read(expirations[:]); err != nil && ctx.Err() == nil {
		// Not pollable after all: wait out the rest on the runtime's timers.
		return true, timerSleep(ctx, time.Until(deadline))
	}
	return true, ctx.Err()
}
