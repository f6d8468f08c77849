# mkbootimg on UEFI (tests/integration/uefi.py): the test kernels booted by
# OVMF on SATA, USB xHCI and virtio-blk disks, the image layouts of
# --firmware on each firmware, and `mkbootimg run --firmware uefi`.
#
#   make check-uefi

.PHONY: check-uefi

UEFI_JOBS ?= 2
# bench.mk (included later) builds it there: BENCH_DIR.
UEFI_LOAD_DIR := $(BUILD)/bench
# The 16 MiB load kernel of bench.mk: a payload with its checksum, summed again by the kernel.
UEFI_TEST_DEPS := $(BUILD)/mkbootimg $(TEST_KERNELS)/entry-check-higher-half.elf \
		  $(TEST_KERNELS)/entry-check-flat.elf $(TEST_KERNELS)/tiny.elf \
		  $(MB_KERNELS)/mbcheck1.elf $(MB_KERNELS)/mbcheck2.elf $(MB_KERNELS)/module.txt \
		  $(RUN_TEST_KERNEL_DIR)/fail.elf $(RUN_TEST_KERNEL_DIR)/loop.elf $(UEFI_LOAD_DIR)/load-16.elf \
		  $(TEST_KERNEL_NAMES:%=$(TEST_KERNELS)/%.img) $(TEST_SKIPPED:%=$(TEST_KERNELS)/%.skip) \
		  $(BUILD)/sample-kernel.img

check-uefi: $(UEFI_TEST_DEPS)
	$(PYTHON) tests/integration/uefi.py --qemu $(QEMU) --jobs $(UEFI_JOBS) --mkbootimg $(BUILD)/mkbootimg \
		--kernels $(TEST_KERNELS) --mb-kernels $(MB_KERNELS) --run-kernels $(RUN_TEST_KERNEL_DIR) \
		--bench $(UEFI_LOAD_DIR) --sample $(BUILD)/sample-kernel.img --cmdline "$(TEST_CMDLINE)" --cc "$(CC)"
