/*
 * COM1 of a UEFI run, as the user's terminal gets it. OVMF mirrors its
 * console to COM1 with terminal escape sequences (clear the screen, move
 * the cursor, change modes) that would wipe or garble the user's terminal,
 * and its boot manager announces each boot option it loads and starts.
 * The filter drops every escape sequence, and the boot manager's lines of
 * an ordinary boot ("BdsDxe: loading ...", "starting ...", and the failed
 * attempt on QEMU's empty DVD drive); its other lines (a boot option that
 * failed, no bootable device) pass. Bytes come in pieces as QEMU writes
 * them: the filter keeps its state between calls. Pure, so unit-tested.
 */
#ifndef MKB_COM1_FILTER_H
#define MKB_COM1_FILTER_H

#include <stddef.h>

#define COM1_FILTER_LINE_MAX 512
#define FIRMWARE_LINE_PREFIX "BdsDxe: "

struct com1_filter {
	int keep_firmware_lines;  /* 1: only escape sequences go (run -v) */
	int escape;               /* 0: text; 1: after ESC; 2: inside a CSI sequence (ESC [) */
	int line_start;           /* the next byte starts a line */
	int holding;              /* the line so far may be the boot manager's: held in line */
	size_t held;
	char line[COM1_FILTER_LINE_MAX];
};

void com1_filter_init(struct com1_filter *f, int keep_firmware_lines);

/*
 * Filter n bytes of in into out, which has room for n + COM1_FILTER_LINE_MAX
 * bytes; returns the bytes written. flush: the stream ends here (a held
 * line that ends without a newline is judged as it is).
 */
size_t com1_filter_feed(struct com1_filter *f, const char *in, size_t n, char *out, int flush);

/* text (NUL-terminated) without its escape sequences, in place: for reading the loader's message. */
void com1_strip_escapes(char *text);

#endif
