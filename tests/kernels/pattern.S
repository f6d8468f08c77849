/*
 * A multi-MiB .data array with a known pattern, for entry-check.c to verify
 * word by word: word i is PATTERN_WORD(i) below. Its size is deliberately not
 * a multiple of the sector or page size. Kept in assembly because a C
 * initializer of 786433 values would be a file of megabytes.
 *
 * The formula must match pattern_word() in entry-check.c. It differs from
 * word to word and from sector to sector, so a sector loaded twice, skipped
 * or put at the wrong place is found.
 */
#define PATTERN_WORDS 786433 /* 3 MiB + 4 bytes */
#define PATTERN_WORD(i) ((((i) * 0x9E3779B1) ^ ((i) >> 5)) & 0xffffffff)

	.section .data.pattern, "aw"
	.balign 4096
	.globl data_pattern
data_pattern:
	.set i, 0
	.rept PATTERN_WORDS
	.long PATTERN_WORD(i)
	.set i, i + 1
	.endr

	.section .rodata
	.balign 8
	.globl data_pattern_words
data_pattern_words:
	.quad PATTERN_WORDS

	.section .note.GNU-stack, "", @progbits
