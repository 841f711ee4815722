package pyrun

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// Process is one process as /proc describes it.
type Process struct {
	PID, PPID, PGID int
	State           byte // R, S, D, T, Z (a zombie), X (dead) ...
}

// Processes lists this machine's processes from /proc; where there is no
// /proc (not Linux) it says why. A process that ends while it is read is
// left out. killGroup reads its group from it, and the tests look for
// what a run left behind.
func Processes() ([]Process, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 || len(f[0]) != 1 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgid, _ := strconv.Atoi(f[2])
		out = append(out, Process{PID: pid, PPID: ppid, PGID: pgid, State: f[0][0]})
	}
	return out, nil
}
