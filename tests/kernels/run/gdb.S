/*
 * For `mkbootimg run --gdb`: a kernel with a global initialised to a known
 * value, which gdb reads at the entry (the run-command tests). It passes
 * (0x10 to isa-debug-exit) when gdb lets it run on.
 */
#include "screen.h"
	.section .rodata
	.globl	gdb_marker
	.balign	8
gdb_marker:
	.quad	0x6d6b62676462		/* "mkbgdb": what gdb must read back */

	.text
	.globl	_start
_start:
	SCREEN "run-test: gdb kernel"
	mov	$0x10, %eax
	outl	%eax, $0xf4
1:	cli
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
