package loadkit

import (
	"os"
	"testing"
)

func TestStatusKB(t *testing.T) {
	status := "Name:\tasyncplay\nVmPeak:\t  99999 kB\nVmRSS:\t   61234 kB\nThreads:\t8\n"
	if got, err := StatusKB(status, "VmRSS"); err != nil || got != 61234 {
		t.Errorf("StatusKB(VmRSS) = %d, %v; want 61234", got, err)
	}
	if got, err := StatusKB("Name:\tx\n", "VmRSS"); err == nil {
		t.Errorf("StatusKB(no VmRSS) = %d, nil; want an error", got)
	}
	if got, err := StatusKB("VmRSS:\n", "VmRSS"); err == nil {
		t.Errorf("StatusKB(VmRSS without a value) = %d, nil; want an error", got)
	}
}

func TestRSSKBOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("SKIP: no /proc on this system; RSSKB reads Linux's /proc/PID/status")
	}
	if kb, err := RSSKB(os.Getpid()); err != nil || kb <= 0 {
		t.Errorf("RSSKB(this process) = %d, %v; want a positive size", kb, err)
	}
}

func TestMetric(t *testing.T) {
	text := "# HELP go_goroutines Goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 1007\nasyncplay_runs{state=\"active\"} 3\n"
	if got, ok := Metric(text, "go_goroutines"); !ok || got != 1007 {
		t.Errorf("Metric(go_goroutines) = %v, %v; want 1007, true", got, ok)
	}
	for _, name := range []string{"asyncplay_runs_total", "go_gc", "asyncplay_runs"} {
		if got, ok := Metric(text, name); ok {
			t.Errorf("Metric(%s) = %v, true; want false (absent or labelled)", name, got)
		}
	}
}

func TestRaiseFileLimit(t *testing.T) {
	n, err := RaiseFileLimit()
	if err != nil || n == 0 {
		t.Errorf("RaiseFileLimit() = %d, %v; want the limit in force", n, err)
	}
}
