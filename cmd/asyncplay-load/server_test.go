package main

import "testing"

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tasyncplay\nVmPeak:\t  900 kB\nVmRSS:\t   61234 kB\nThreads:\t9\n"
	if got, err := parseVmRSS([]byte(status)); err != nil || got != 61234 {
		t.Errorf("parseVmRSS(status) = %d, %v; want 61234", got, err)
	}
	if got, err := parseVmRSS([]byte("Name:\tx\n")); err == nil {
		t.Errorf("parseVmRSS(no VmRSS) = %d, nil; want an error", got)
	}
}

func TestParseMetric(t *testing.T) {
	text := "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines_total 3\ngo_goroutines 1007\n"
	if got, ok := parseMetric([]byte(text), "go_goroutines"); !ok || got != 1007 {
		t.Errorf("parseMetric(go_goroutines) = %v, %v; want 1007, true", got, ok)
	}
	if got, ok := parseMetric([]byte(text), "asyncplay_runs_total"); ok {
		t.Errorf("parseMetric(absent) = %v, true; want false", got)
	}
}

func TestParseLoads(t *testing.T) {
	got, err := parseLoads("1x500, 20x30")
	if err != nil || len(got) != 2 || got[0] != (load{1, 500}) || got[1] != (load{20, 30}) {
		t.Errorf("parseLoads(1x500, 20x30) = %v, %v; want [{1 500} {20 30}]", got, err)
	}
	for _, bad := range []string{"", "500", "0x10", "1x", "ax5"} {
		if got, err := parseLoads(bad); err == nil {
			t.Errorf("parseLoads(%q) = %v, nil; want an error", bad, got)
		}
	}
}
