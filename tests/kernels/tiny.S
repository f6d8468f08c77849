/*
 * The tiny kernel: exits QEMU with "pass" (exit status 33) at once, through
 * isa-debug-exit at port 0xf4. Booting it measures the loader alone.
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	mov	$0x10, %eax
	outl	%eax, $0xf4
1:	cli
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
