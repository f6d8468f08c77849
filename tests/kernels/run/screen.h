/*
 * SCREEN(text): write text in the top-left corner of the VGA text screen
 * (0xB8000, identity-mapped at entry), white on blue, so the tests can find
 * it in the screen mkbootimg prints.
 */
	.macro SCREEN text
	.section .rodata
1:	.ascii "\text"
2:
	.text
	lea	1b(%rip), %rsi
	mov	$0xb8000, %edi
	mov	$(2b - 1b), %ecx
3:	movzbl	(%rsi), %eax
	or	$0x1f00, %eax
	mov	%ax, (%rdi)
	inc	%rsi
	add	$2, %rdi
	loop	3b
	.endm
