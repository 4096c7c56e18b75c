//go:build !purego

#include "textflag.h"

// The arithmetic of both kernels is specified in kernel.go; dotGeneric and
// axpyGeneric are the portable versions and must give the same bits.

// func dotAVX2(x []float32, w []float64) float64
TEXT ·dotAVX2(SB), NOSPLIT, $0-56
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ w_base+24(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD X8, X8, X8
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   dot_blocks4

dot_loop16:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VFMADD231PD (DI), Y4, Y0
	VFMADD231PD 32(DI), Y5, Y1
	VFMADD231PD 64(DI), Y6, Y2
	VFMADD231PD 96(DI), Y7, Y3
	ADDQ $64, SI
	ADDQ $128, DI
	DECQ BX
	JNZ  dot_loop16

dot_blocks4:
	ANDQ $15, CX
	CMPQ CX, $4
	JB   dot_scalar
	VCVTPS2PD (SI), Y4
	VFMADD231PD (DI), Y4, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JB   dot_scalar
	VCVTPS2PD (SI), Y4
	VFMADD231PD (DI), Y4, Y1
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JB   dot_scalar
	VCVTPS2PD (SI), Y4
	VFMADD231PD (DI), Y4, Y2
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $4, CX

dot_scalar:
	TESTQ CX, CX
	JZ    dot_reduce

dot_scalar_loop:
	VMOVSS (SI), X4
	VCVTSS2SD X4, X4, X4
	VFMADD231SD (DI), X4, X8
	ADDQ $4, SI
	ADDQ $8, DI
	DECQ CX
	JNZ  dot_scalar_loop

dot_reduce:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VUNPCKHPD X0, X0, X1
	VADDSD X1, X0, X0
	VADDSD X8, X0, X0
	VMOVSD X0, ret+48(FP)
	VZEROUPPER
	RET

// func axpyAVX2(a float64, x []float32, y []float64)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSD a+0(FP), Y15
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   axpy_tail

axpy_loop16:
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VCVTPS2PD 32(SI), Y2
	VCVTPS2PD 48(SI), Y3
	VFMADD213PD (DI), Y15, Y0
	VFMADD213PD 32(DI), Y15, Y1
	VFMADD213PD 64(DI), Y15, Y2
	VFMADD213PD 96(DI), Y15, Y3
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADDQ $64, SI
	ADDQ $128, DI
	DECQ BX
	JNZ  axpy_loop16

axpy_tail:
	ANDQ $15, CX
	JZ   axpy_done

axpy_tail_loop:
	VMOVSS (SI), X0
	VCVTSS2SD X0, X0, X0
	VFMADD213SD (DI), X15, X0
	VMOVSD X0, (DI)
	ADDQ $4, SI
	ADDQ $8, DI
	DECQ CX
	JNZ  axpy_tail_loop

axpy_done:
	VZEROUPPER
	RET


// func gram4x8AVX2(a, b *float32, stride, m int, out *[32]float64)
// out[r*8+c] += Σₖ a[k*stride+r]·b[k*stride+c] for r < 4, c < 8, k < m,
// each entry continuing its chain of fused multiply-adds in k order, in
// float64 on values converted exactly from float32: the arithmetic of
// gram4x8Generic.
TEXT ·gram4x8AVX2(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ m+24(FP), CX
	MOVQ out+32(FP), DI
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	VMOVUPD 128(DI), Y4
	VMOVUPD 160(DI), Y5
	VMOVUPD 192(DI), Y6
	VMOVUPD 224(DI), Y7
	TESTQ CX, CX
	JZ    gram_done

gram_loop:
	VCVTPS2PD (DX), Y8
	VCVTPS2PD 16(DX), Y9
	VBROADCASTSS (SI), X10
	VCVTPS2PD X10, Y10
	VFMADD231PD Y8, Y10, Y0
	VFMADD231PD Y9, Y10, Y1
	VBROADCASTSS 4(SI), X11
	VCVTPS2PD X11, Y11
	VFMADD231PD Y8, Y11, Y2
	VFMADD231PD Y9, Y11, Y3
	VBROADCASTSS 8(SI), X12
	VCVTPS2PD X12, Y12
	VFMADD231PD Y8, Y12, Y4
	VFMADD231PD Y9, Y12, Y5
	VBROADCASTSS 12(SI), X13
	VCVTPS2PD X13, Y13
	VFMADD231PD Y8, Y13, Y6
	VFMADD231PD Y9, Y13, Y7
	ADDQ R8, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  gram_loop

gram_done:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	VZEROUPPER
	RET

// func dotAxpyAVX2(x []float32, w []float64, a float64, y []float32, g []float64) float64
// Returns dot(x, w), with exactly dotAVX2's arithmetic, and meanwhile does
// axpy(a, y, g), with exactly axpyAVX2's: the pass computes the margin of
// the next row while it adds the previous row to the gradient, so that
// the work on the previous row (in L1) overlaps the wait for the next one
// (from memory). len(y) must equal len(x); w and g at least as long.
TEXT ·dotAxpyAVX2(SB), NOSPLIT, $0-112
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ w_base+24(FP), DI
	VBROADCASTSD a+48(FP), Y15
	MOVQ y_base+56(FP), R9
	MOVQ g_base+80(FP), R10
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   da_tail

da_loop16:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VFMADD231PD (DI), Y4, Y0
	VFMADD231PD 32(DI), Y5, Y1
	VFMADD231PD 64(DI), Y6, Y2
	VFMADD231PD 96(DI), Y7, Y3
	VCVTPS2PD (R9), Y8
	VCVTPS2PD 16(R9), Y9
	VMOVUPD (R10), Y12
	VMOVUPD 32(R10), Y13
	VFMADD231PD Y8, Y15, Y12
	VFMADD231PD Y9, Y15, Y13
	VMOVUPD Y12, (R10)
	VMOVUPD Y13, 32(R10)
	VCVTPS2PD 32(R9), Y8
	VCVTPS2PD 48(R9), Y9
	VMOVUPD 64(R10), Y12
	VMOVUPD 96(R10), Y13
	VFMADD231PD Y8, Y15, Y12
	VFMADD231PD Y9, Y15, Y13
	VMOVUPD Y12, 64(R10)
	VMOVUPD Y13, 96(R10)
	ADDQ $64, SI
	ADDQ $128, DI
	ADDQ $64, R9
	ADDQ $128, R10
	DECQ BX
	JNZ  da_loop16

da_tail:
	ANDQ $15, CX
	// The axpy's last (len mod 16) elements, one at a time.
	MOVQ CX, BX
	MOVQ R9, R11
	MOVQ R10, R12
	TESTQ BX, BX
	JZ    da_blocks4

da_axpy_tail:
	VMOVSS (R11), X8
	VCVTSS2SD X8, X8, X8
	VFMADD213SD (R12), X15, X8
	VMOVSD X8, (R12)
	ADDQ $4, R11
	ADDQ $8, R12
	DECQ BX
	JNZ  da_axpy_tail

da_blocks4:
	// The dot's tail, as in dotAVX2.
	VXORPD X8, X8, X8
	CMPQ CX, $4
	JB   da_scalar
	VCVTPS2PD (SI), Y4
	VFMADD231PD (DI), Y4, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JB   da_scalar
	VCVTPS2PD (SI), Y4
	VFMADD231PD (DI), Y4, Y1
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JB   da_scalar
	VCVTPS2PD (SI), Y4
	VFMADD231PD (DI), Y4, Y2
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $4, CX

da_scalar:
	TESTQ CX, CX
	JZ    da_reduce

da_scalar_loop:
	VMOVSS (SI), X4
	VCVTSS2SD X4, X4, X4
	VFMADD231SD (DI), X4, X8
	ADDQ $4, SI
	ADDQ $8, DI
	DECQ CX
	JNZ  da_scalar_loop

da_reduce:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VUNPCKHPD X0, X0, X1
	VADDSD X1, X0, X0
	VADDSD X8, X0, X0
	VMOVSD X0, ret+104(FP)
	VZEROUPPER
	RET
