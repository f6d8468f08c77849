#include "run-setup.h"
#include "cargo.h"
#include "run-options.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/*
 * The firmware: --firmware, else $MKBOOTIMG_FIRMWARE, else what a ready
 * image boots on (BIOS when it can: faster), else BIOS. A choice the image
 * cannot boot with is refused, naming who made it.
 */
static int resolve_firmware(struct run_setup *s, const struct run_options *o, const struct run_env *e)
{
	enum run_firmware fw = o->firmware;
	const char *chosen_by = "--firmware";
	char env_choice[64];

	if (fw == RUN_FIRMWARE_UNSET && e->firmware != NULL && e->firmware[0] != '\0') {
		if (run_firmware_parse(e->firmware, &fw) != 0)
			return mkb_fail(RUN_FIRMWARE_ENV ": %s", mkb_error());
		snprintf(env_choice, sizeof env_choice, RUN_FIRMWARE_ENV "=%s", run_firmware_name(fw));
		chosen_by = env_choice;
	}
	s->firmware_from_image = 0;
	if (e->image_known && fw == RUN_FIRMWARE_UNSET && !e->image.bios && e->image.uefi) {
		fw = RUN_FIRMWARE_UEFI;
		s->firmware_from_image = 1;
	}
	if (e->image_known && fw == RUN_FIRMWARE_BIOS && !e->image.bios)
		return mkb_fail("%s: this image has no BIOS loader (it was made with --firmware uefi), and %s "
		                "asks for BIOS: run it with --firmware uefi, or make the image with "
		                "--firmware hybrid (the default)", o->target, chosen_by);
	if (e->image_known && fw == RUN_FIRMWARE_UEFI && !e->image.uefi)
		return mkb_fail("%s: this image has no UEFI loader (it was made with --firmware bios), and %s "
		                "asks for UEFI: run it with --firmware bios, or make the image with "
		                "--firmware hybrid (the default)", o->target, chosen_by);
	s->firmware = fw == RUN_FIRMWARE_UNSET ? RUN_FIRMWARE_BIOS : fw;
	return 0;
}

int run_setup_resolve(struct run_setup *s, const struct run_options *o, const struct cargo_config *c,
                      const struct run_env *e)
{
	enum run_accel accel = o->accel;

	s->test = o->test || e->test_binary;
	s->headless = o->headless || s->test || !e->display;
	/* Such a QEMU would open a VNC server nobody looks at, and never end. */
	s->no_gui_fallback = !s->headless && e->no_gui;
	s->headless = s->headless || s->no_gui_fallback;
	/* A debugger drives the machine: mkbootimg neither stops it nor needs its monitor. */
	s->watch = s->headless && !o->gdb_port;
	if (s->test)
		s->no_reboot = c->test_no_reboot >= 0 ? c->test_no_reboot : 1;
	else
		s->no_reboot = s->headless;

	if (o->timeout >= 0)
		s->timeout = o->timeout;
	else if (s->test && !o->gdb_port)
		s->timeout = c->test_timeout >= 0 ? c->test_timeout : RUN_DEFAULT_TEST_TIMEOUT;
	else
		s->timeout = 0;
	if (o->success_exit_code >= 0)
		s->success_exit_code = o->success_exit_code;
	else if (c->test_success_exit_code >= 0)
		s->success_exit_code = c->test_success_exit_code;
	else
		s->success_exit_code = RUN_DEFAULT_SUCCESS_EXIT_CODE;

	if (o->qemu != NULL)
		s->qemu = o->qemu;
	else if (c->run_command.items != NULL)
		s->qemu = c->run_command.items[0];
	else
		s->qemu = RUN_DEFAULT_QEMU;
	s->machine = o->machine != NULL ? o->machine : RUN_DEFAULT_MACHINE;
	s->memory_mib = o->memory ? o->memory / MKB_MIB : RUN_DEFAULT_MEMORY_MIB;
	if (accel == RUN_ACCEL_UNSET && e->accel != NULL && e->accel[0] != '\0' &&
	    run_accel_parse(e->accel, &accel) != 0)
		return mkb_fail("MKBOOTIMG_ACCEL: %s", mkb_error());
	s->accel_chosen = accel == RUN_ACCEL_UNSET || accel == RUN_ACCEL_AUTO;
	if (s->accel_chosen)
		accel = e->kvm_usable ? RUN_ACCEL_KVM : RUN_ACCEL_TCG;
	s->accel = accel == RUN_ACCEL_KVM ? "kvm" : "tcg";
	s->gdb_port = o->gdb_port;
	s->smp = o->smp;
	s->serial_file = NULL;
	if (o->serial == NULL || strcmp(o->serial, "stdio") == 0)
		s->serial = RUN_SERIAL_STDIO;
	else if (strcmp(o->serial, "none") == 0)
		s->serial = RUN_SERIAL_NONE;
	else {
		s->serial = RUN_SERIAL_FILE;
		s->serial_file = o->serial;
	}
	s->read_only_disk = e->block_device;
	return resolve_firmware(s, o, e);
}
