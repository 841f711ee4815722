package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestBenchBlobMissing: serve refuses to start when ASYNCPLAY_BENCH_BLOB
// names a file that is not there, and says which setting is wrong.
func TestBenchBlobMissing(t *testing.T) {
	t.Setenv("ASYNCPLAY_BENCH_BLOB", t.TempDir()+"/missing.html")
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--rate-limit", "1000", "--max-sockets-per-client", "50"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ASYNCPLAY_BENCH_BLOB") {
		t.Errorf("serve with a missing bench blob = %v; want an error naming ASYNCPLAY_BENCH_BLOB", err)
	}
}
