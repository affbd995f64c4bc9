#include "textflag.h"

// func dtwDiagSSE2(out, x, y, aa, bb *float64, n int) float64
//
// out[t] = (aa[t]-bb[t])^2 + min(x[t], x[t+1], y[t]) for t < n; returns
// the smallest out[t]. Two cells per iteration, then one if n is odd.
TEXT ·dtwDiagSSE2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ aa+24(FP), R8
	MOVQ bb+32(FP), R9
	MOVQ n+40(FP), CX
	MOVQ $0x7FF0000000000000, AX
	MOVQ AX, X7
	MOVLHPS X7, X7 // mn = (+inf, +inf)
	XORQ BX, BX

pair:
	LEAQ 2(BX), AX
	CMPQ AX, CX
	JGT  single
	MOVUPD (SI)(BX*8), X0  // x[t], x[t+1]
	MOVUPD 8(SI)(BX*8), X1 // x[t+1], x[t+2]
	MINPD  X1, X0
	MOVUPD (DX)(BX*8), X1  // y[t], y[t+1]
	MINPD  X1, X0
	MOVUPD (R8)(BX*8), X2
	MOVUPD (R9)(BX*8), X3
	SUBPD  X3, X2
	MULPD  X2, X2
	ADDPD  X0, X2
	MOVUPD X2, (DI)(BX*8)
	MINPD  X2, X7
	MOVQ   AX, BX
	JMP    pair

single:
	CMPQ BX, CX
	JGE  done
	MOVSD (SI)(BX*8), X0
	MOVSD 8(SI)(BX*8), X1
	MINSD X1, X0
	MOVSD (DX)(BX*8), X1
	MINSD X1, X0
	MOVSD (R8)(BX*8), X2
	SUBSD (R9)(BX*8), X2
	MULSD X2, X2
	ADDSD X0, X2
	MOVSD X2, (DI)(BX*8)
	MINSD X2, X7

done:
	MOVHLPS X7, X0
	MINSD   X7, X0
	MOVSD   X0, ret+48(FP)
	RET
