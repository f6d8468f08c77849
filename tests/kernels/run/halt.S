/* Halts with interrupts off and no verdict, as a kernel that gave up would. */
#include "screen.h"
	.text
	.globl _start
_start:
	SCREEN "run-test: halted without a verdict"
1:	cli
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
