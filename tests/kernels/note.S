/*
 * The tiny kernel with one mkbootimg note written by hand, as a kernel in
 * assembly (or in any language without protocol.h) writes one. tests/tests.mk
 * builds it once per note, with
 *   NOTE_TYPE   the note's type (1 stack size, 2 framebuffer, 3 info version)
 *   NOTE_DESC   its descriptor: 32-bit words, comma-separated
 * for the tests of what mkbootimg accepts and refuses at build time.
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	mov	$0x10, %eax		/* isa-debug-exit: pass */
	outl	%eax, $0xf4
1:	cli
	hlt
	jmp	1b

/* One note: namesz, descsz, type, the name padded to 4 bytes, the descriptor. */
	.section .note.mkbootimg, "a", @note
	.balign	4
	.long	10			/* namesz: "mkbootimg" and its NUL */
	.long	3f - 2f			/* descsz */
	.long	NOTE_TYPE
	.asciz	"mkbootimg"		/* 10 bytes ... */
	.balign	4			/* ... padded to 12 */
2:	.long	NOTE_DESC
3:

	.section .note.GNU-stack, "", @progbits
