/*
 * How a run ended -> mkbootimg's exit status and the one line that says
 * what QEMU reported. Pure, so every case is unit-tested.
 */
#ifndef MKB_VERDICT_H
#define MKB_VERDICT_H

#include <stddef.h>

#define RUN_EXIT_TIMEOUT 124 /* as timeout(1) */
#define RUN_DEBUG_EXIT_PORT "0xf4"

enum run_end {
	RUN_QEMU_EXITED,   /* QEMU exited on its own; code is its exit status */
	RUN_QEMU_SIGNALED, /* QEMU died of a signal; code is the signal */
	RUN_HALTED,        /* the guest halted with interrupts off; mkbootimg ended QEMU */
	RUN_RESET,         /* the guest reset the machine (under -no-reboot) */
	RUN_POWEROFF,      /* the guest powered the machine off */
	RUN_TIMEOUT,       /* --timeout passed; code is the timeout in seconds */
	RUN_INTERRUPTED,   /* mkbootimg got a signal and passed it on; code is the signal */
};

struct run_outcome {
	enum run_end end;
	int code;
};

/*
 * The exit status for outcome o, and in msg a sentence for standard error
 * ("" when there is nothing to say). test: test mode, where only QEMU exit
 * status success_code passes.
 */
int verdict(const struct run_outcome *o, int test, int success_code, char *msg, size_t n);

#endif
