/* Reports "fail" at once: 0x11 to isa-debug-exit, so QEMU exits with 35. */
#include "screen.h"
	.text
	.globl _start
_start:
	SCREEN "run-test: fail kernel"
	mov	$0x11, %eax
	outl	%eax, $0xf4
1:	cli
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
