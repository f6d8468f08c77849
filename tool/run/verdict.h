/*
 * How a run ended -> mkbootimg's exit status and the one line that says
 * what QEMU reported. Pure, so every case is unit-tested.
 */
#ifndef MKB_VERDICT_H
#define MKB_VERDICT_H

#include <stddef.h>

#define RUN_EXIT_LOADER 3    /* the loader stopped with its own message */
#define RUN_EXIT_TIMEOUT 124 /* as timeout(1) */
#define RUN_DEBUG_EXIT_PORT "0xf4"

enum run_end {
	RUN_QEMU_EXITED,   /* QEMU exited on its own; code is its exit status */
	RUN_QEMU_SIGNALED, /* QEMU died of a signal; code is the signal (0: not known) */
	RUN_HALTED,        /* the guest halted with interrupts off; mkbootimg ended QEMU */
	RUN_RESET,         /* the guest reset the machine (under -no-reboot) */
	RUN_POWEROFF,      /* the guest powered the machine off */
	RUN_TIMEOUT,       /* --timeout passed; code is the timeout in seconds */
	RUN_INTERRUPTED,   /* mkbootimg got a signal and passed it on; code is the signal */
};

struct run_outcome {
	enum run_end end;
	int code;
	const char *loader_message; /* the loader's words when it stopped the machine, else NULL */
	int kvm;                    /* the run used KVM (a timeout then names MKBOOTIMG_ACCEL=tcg) */
};

/*
 * Find the loader's stop message in text (what COM1 or the screen showed):
 * the line that starts with "mkbootimg: ", up to the loader's closing
 * "The machine is halted." (stage 1's two one-line messages have none), its
 * lines joined by spaces. 1 and the message in out, or 0 when there is none.
 */
int verdict_loader_message(const char *text, char *out, size_t n);

/*
 * The exit status for outcome o, and in msg a sentence for standard error
 * ("" when there is nothing to say). test: test mode, where only QEMU exit
 * status success_code passes.
 */
int verdict(const struct run_outcome *o, int test, int success_code, char *msg, size_t n);

#endif
