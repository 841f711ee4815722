package timeline

// callerPC returns the address that the function skip frames above its
// caller returns to: callerPC(0), called in F, gives a program counter in
// F's caller. It walks frame pointers, which Go keeps on amd64, so it costs
// a few loads where runtime.Callers (about 100 ns here) decodes tables for
// every frame. Frame pointers see physical frames only, so every function
// between the scenario's line and the call to callerPC must stay out of line
// (go:noinline); inlining within the scenario's code is fine, because the
// line lookup expands it. Implemented in callerpc_amd64.s.
func callerPC(skip int) uintptr
