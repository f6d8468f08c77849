/*
 * Reports "fail": 0x11 to isa-debug-exit, so QEMU exits with 35. It first
 * shows its screen for about half a second, as a kernel that runs its tests
 * before the verdict does, so that run can print the screen it saw.
 */
#include "screen.h"
	.text
	.globl _start
_start:
	SCREEN "run-test: fail kernel"
	rdtsc				/* wait ~2^30 TSC ticks: 0.3-0.5 s at 2-3 GHz */
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, %rsi
1:	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	sub	%rsi, %rdx
	cmp	$0x40000000, %rdx
	jb	1b
	mov	$0x11, %eax
	outl	%eax, $0xf4
2:	cli
	hlt
	jmp	2b

	.section .note.GNU-stack, "", @progbits
