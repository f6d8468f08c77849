/*
 * Multiboot test kernels' entry: the header (Multiboot 1 with MB_VERSION=1,
 * Multiboot 2 with MB_VERSION=2), then a stack and check(magic, info) in
 * check.c, which reports through isa-debug-exit.
 */
	.section .multiboot, "a"
#if MB_VERSION == 1
	.align 4
header:
	.long 0x1badb002
#ifdef AOUT
#define FLAGS ((1 << 0) | (1 << 1) | (1 << 2) | (1 << 16))
#else
#define FLAGS ((1 << 0) | (1 << 1) | (1 << 2))
#endif
	.long FLAGS
	.long -(0x1badb002 + FLAGS)
	.long header, _load_start, _edata, _end, _start /* used with AOUT only */
	.long 1, 0, 0, 0 /* EGA text mode */
#else
	.align 8
header:
	.long 0xe85250d6, 0, header_end - header, -(0xe85250d6 + (header_end - header))
	.align 8
	/* Information request: everything check.c needs, none optional. */
	.short 1, 0
	.long 8 + 4 * 10
	.long 1, 2, 3, 4, 5, 6, 8, 9, 14, 21
	.align 8
	.short 4, 0 /* console flags: EGA text supported */
	.long 12, 2
	.align 8
	.short 6, 0 /* module alignment */
	.long 8
	.align 8
	.short 0, 0 /* end */
	.long 8
header_end:
#endif

	.text
	.code32
	.globl _start
_start:
	mov $stack_top, %esp
	push %ebx
	push %eax
	call check
1:	cli
	hlt
	jmp 1b

	.bss
	.align 16
	.space 16384
stack_top:
