# Integration tests of `mkbootimg run` (tests/integration/run-command.py):
# they boot small kernels from tests/kernels/run/ through the command, as a
# kernel author would, and check exit statuses, messages and the screen.
#
#   make check-run-command      build what the tests need, run them
#   make bench-run-command      time `mkbootimg run --test` against plain QEMU

.PHONY: check-run-command bench-run-command

RUN_TEST_KERNEL_DIR := $(BUILD)/tests/kernels/run
RUN_TEST_KERNELS := $(patsubst tests/kernels/run/%.S,$(RUN_TEST_KERNEL_DIR)/%.elf,$(wildcard tests/kernels/run/*.S))
RUN_TEST_DEPS := $(BUILD)/mkbootimg $(BUILD)/sample-kernel.elf $(BUILD)/tests/kernels/tiny.elf $(RUN_TEST_KERNELS) \
		 $(RUN_TEST_KERNEL_DIR)/gdb-pie.elf \
		 $(BUILD)/tests/kernels/entry-check-higher-half.elf $(BUILD)/tests/kernels/multiboot/mbcheck1.elf
RUN_TEST_ARGS = --mkbootimg $(BUILD)/mkbootimg --qemu $(QEMU) --kernels $(RUN_TEST_KERNEL_DIR) \
		--tiny $(BUILD)/tests/kernels/tiny.elf --sample $(BUILD)/sample-kernel.elf \
		--big $(BUILD)/tests/kernels/entry-check-higher-half.elf \
		--multiboot $(BUILD)/tests/kernels/multiboot/mbcheck1.elf

$(RUN_TEST_KERNEL_DIR)/%.elf: tests/kernels/run/%.S tests/kernels/run/screen.h tests/kernels/run/run.ld \
		$(FLAGS_DIR)/kernels
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -Itests/kernels/run -T tests/kernels/run/run.ld $(KERNEL_LDFLAGS) -o $@ $<

# The gdb kernel as a relocatable (PIE) one, for run --gdb --kaslr (pie.mk's flags).
$(RUN_TEST_KERNEL_DIR)/gdb-pie.elf: tests/kernels/run/gdb.S tests/kernels/run/screen.h tests/kernels/pie.ld \
		$(FLAGS_DIR)/pie
	@mkdir -p $(@D)
	$(CC) $(PIE_CFLAGS) -Itests/kernels/run -static-pie $(PIE_LDFLAGS) -o $@ $<

check-run-command: $(RUN_TEST_DEPS)
	$(PYTHON) tests/integration/run-command.py $(RUN_TEST_ARGS)

bench-run-command: $(RUN_TEST_DEPS)
	$(PYTHON) tests/integration/run-command.py $(RUN_TEST_ARGS) --bench 9
