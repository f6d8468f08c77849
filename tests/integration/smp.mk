# Multiprocessor start-up (tests/integration/smp.py): smp-check, a kernel
# asking MKBOOTIMG_REQUEST_SMP, booted by `mkbootimg run --smp N` on q35 and
# pc (SeaBIOS) and on OVMF; one CPU; CPUs QEMU lists but does not plug in;
# and, with --timing, the time to all APs parked against the same kernel
# without the request.
#
#   make check-smp

.PHONY: check-smp

SMP_KERNELS := $(TEST_KERNELS)/smp-check.elf $(TEST_KERNELS)/smp-exit.elf $(TEST_KERNELS)/smp-exit-norequest.elf
SMP_DEPS := tests/kernels/smp-check.c include/mkbootimg/protocol.h tests/kernels/higher-half.ld \
	    tests/kernels/kernel.ld tests/integration/smp.mk

$(TEST_KERNELS)/smp-check.elf: $(SMP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -Ltests/kernels -T tests/kernels/higher-half.ld $(KERNEL_LDFLAGS) -o $@ $<

$(TEST_KERNELS)/smp-exit.elf: $(SMP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -DEXIT_AT_ENTRY -Ltests/kernels -T tests/kernels/higher-half.ld $(KERNEL_LDFLAGS) -o $@ $<

$(TEST_KERNELS)/smp-exit-norequest.elf: $(SMP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -DEXIT_AT_ENTRY -DNO_REQUEST -Ltests/kernels -T tests/kernels/higher-half.ld \
		$(KERNEL_LDFLAGS) -o $@ $<

check-smp: $(BUILD)/mkbootimg $(SMP_KERNELS) $(TEST_KERNELS)/entry-check-higher-half.elf
	$(PYTHON) tests/integration/smp.py --qemu $(QEMU) --mkbootimg $(BUILD)/mkbootimg --kernels $(TEST_KERNELS)
