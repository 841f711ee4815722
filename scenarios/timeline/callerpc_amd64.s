#include "textflag.h"

// func callerPC(skip int) uintptr
//
// BP is still the caller's frame pointer here: this function keeps no frame
// of its own. Each Go frame on amd64 holds, at its frame pointer, the frame
// pointer of the frame above it, and one word higher the address that frame
// returns to. Follow skip links up, then read that word. A zero link (the
// top of the stack) gives 0.
TEXT ·callerPC(SB), NOSPLIT, $0-16
	MOVQ skip+0(FP), CX
	MOVQ BP, AX
up:
	TESTQ AX, AX
	JEQ none
	TESTQ CX, CX
	JEQ found
	MOVQ 0(AX), AX
	DECQ CX
	JMP up
found:
	MOVQ 8(AX), AX
	MOVQ AX, ret+8(FP)
	RET
none:
	MOVQ $0, ret+8(FP)
	RET
