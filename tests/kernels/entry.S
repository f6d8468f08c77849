/*
 * Entry stub of the entry-check kernels, and their exception stubs.
 *
 * _start records RSP, RBP, RDI and RFLAGS at the very first instructions,
 * before any code could change them, so that entry-check.c checks what the
 * loader really handed over. It then aligns the stack itself: a wrong
 * alignment is to be reported, not to crash the checker.
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	mov	%rsp, entry_rsp(%rip)
	mov	%rbp, entry_rbp(%rip)
	mov	%rdi, entry_rdi(%rip)
	pushfq				/* the first write to the stack */
	popq	entry_rflags(%rip)

	and	$-16, %rsp		/* as the ABI wants before a call */
	xor	%ebp, %ebp
	call	check_main		/* check_main(RDI): does not return */
1:	cli
	hlt
	jmp	1b

/*
 * Exception stubs: 32 of them, 16 bytes apart from isr_stubs, so that the C
 * side finds stub n at isr_stubs + 16 * n. Each pushes a dummy error code
 * where the CPU pushes none, then the vector number, and goes to the C
 * handler, which reports the exception as a failed check and exits QEMU
 * (or, for the one fault probe_read expects, returns). Without them any
 * fault would be a silent triple fault.
 */
	.text
	.macro	isr n
	.balign	16
	.if	\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	isr_common
	.endm

	.balign	16
	.globl	isr_stubs
isr_stubs:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	isr	\n
	.endr

isr_common:
	mov	%rsp, %rdi		/* struct exception_frame * */
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	call	exception		/* returns only from a fault probe_read expects, */
	mov	%rbp, %rsp		/* with the frame's RIP moved to probe_fault */
	pop	%rbp
	add	$16, %rsp		/* vector and error code */
	iretq

/*
 * int probe_read(const volatile void *p): 0 when the byte at p can be read,
 * 1 when reading it faults. The exception handler recognises a fault at
 * probe_insn and resumes at probe_fault. Clobbers what a call may.
 */
	.globl	probe_read, probe_insn, probe_fault
probe_read:
	xor	%eax, %eax
probe_insn:
	movb	(%rdi), %cl
	ret
probe_fault:
	mov	$1, %eax
	ret

	.data
	.balign	8
	.globl	entry_rsp, entry_rbp, entry_rdi, entry_rflags
entry_rsp:	.quad 0
entry_rbp:	.quad 0
entry_rdi:	.quad 0
entry_rflags:	.quad 0

	.section .note.GNU-stack, "", @progbits
