//go:build !amd64

package timeline

import "runtime"

// callerPC returns the address that the function skip frames above its
// caller returns to. On amd64 it walks frame pointers (callerpc_amd64.s);
// elsewhere it asks runtime.Callers, which gives the same answer slower.
//
//go:noinline
func callerPC(skip int) uintptr {
	var pc [1]uintptr
	runtime.Callers(skip+3, pc[:]) // skip runtime.Callers, callerPC and its caller
	return pc[0]
}
