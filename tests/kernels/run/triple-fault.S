/*
 * Triple-faults: with an empty IDT, int3 raises #GP, which raises a double
 * fault, which resets the machine (QEMU with -no-reboot stops instead).
 */
#include "screen.h"
	.text
	.globl _start
_start:
	SCREEN "run-test: triple fault kernel"
	lidt	empty_idt(%rip)
	int3
1:	jmp	1b

	.section .rodata
empty_idt:
	.word	0
	.quad	0

	.section .note.GNU-stack, "", @progbits
