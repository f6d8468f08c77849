/*
 * The benchmark's load kernel: one large .data segment (bench data, built by
 * the Makefile) that it sums at entry. The expected sum arrives on the
 * command line as "sum=<16 hex digits>"; a match exits QEMU with 0x10
 * (status 33), anything else with 0x11.
 */
	.section .text, "ax"
	.globl _start
_start:
	/* rdi = boot information; the cmdline address is at offset 40. */
	mov	40(%rdi), %rsi
	/* Parse 16 hex digits after "sum=". */
	add	$4, %rsi
	xor	%rdx, %rdx
	mov	$16, %ecx
1:	movzbl	(%rsi), %eax
	inc	%rsi
	sub	$'0', %eax
	cmp	$9, %eax
	jbe	2f
	sub	$('a' - '0' - 10), %eax
2:	shl	$4, %rdx
	or	%rax, %rdx
	dec	%ecx
	jnz	1b
	/* Sum the data as 64-bit words. */
	lea	data(%rip), %rsi
	lea	data_end(%rip), %rcx
	xor	%rax, %rax
3:	add	(%rsi), %rax
	add	$8, %rsi
	cmp	%rcx, %rsi
	jb	3b
	cmp	%rdx, %rax
	mov	$0x10, %eax
	je	4f
	mov	$0x11, %eax
4:	outl	%eax, $0xf4
5:	cli
	hlt
	jmp	5b

	.section .data, "aw"
	.balign 4096
data:
	.incbin BENCH_DATA
data_end:

	.section .note.GNU-stack, "", @progbits
