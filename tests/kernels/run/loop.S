/* Never ends and never halts: only a timeout stops it. */
#include "screen.h"
	.text
	.globl _start
_start:
	SCREEN "run-test: looping forever"
1:	pause
	jmp	1b

	.section .note.GNU-stack, "", @progbits
