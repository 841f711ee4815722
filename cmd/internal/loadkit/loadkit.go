// Package loadkit is what the load tools (asyncplay-bench, asyncplay-load)
// share: building the server they load, reading a child's memory and
// metrics, and the open-file limit that thousands of sockets need.
package loadkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// BuildServer compiles ./cmd/asyncplay of the module in dir into tmp and
// returns the binary's path.
func BuildServer(ctx context.Context, dir, tmp string) (string, error) {
	bin := filepath.Join(tmp, "asyncplay")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/asyncplay")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/asyncplay: %w\n%s", err, out)
	}
	return bin, nil
}

// RSSKB is a process's resident memory in kB (VmRSS in /proc/PID/status).
func RSSKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return StatusKB(string(b), "VmRSS")
}

// StatusKB reads a "Name:   123 kB" line of /proc/PID/status, in kB.
func StatusKB(status, name string) (int64, error) {
	for line := range strings.Lines(status) {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
			break
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", name)
}

// Metric finds an unlabelled sample of name in Prometheus text; ok is
// false when there is none.
func Metric(text, name string) (v float64, ok bool) {
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			return v, err == nil
		}
	}
	return 0, false
}

// RaiseFileLimit lifts this process's soft limit on open files to the hard
// one (children inherit it) and returns the limit now in force.
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("open-file limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("raise the open-file limit: %w", err)
		}
	}
	return lim.Cur, nil
}
