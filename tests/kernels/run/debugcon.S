/*
 * Writes a line to port 0xe9, QEMU's debug console (only there when the
 * test passes -debugcon to QEMU after --), then reports "pass".
 */
	.text
	.globl _start
_start:
	lea	message(%rip), %rsi
	mov	$(message_end - message), %ecx
	mov	$0xe9, %dx
	rep outsb
	mov	$0x10, %eax
	outl	%eax, $0xf4
1:	cli
	hlt
	jmp	1b

	.section .rodata
message:
	.ascii "run-test: debugcon reached\n"
message_end:

	.section .note.GNU-stack, "", @progbits
