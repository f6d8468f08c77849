# `make check-install`: mkbootimg install on loop devices that the test makes
# (tests/integration/install.py). Needs root and loop devices; without them
# the device tests are skipped, with the reason. The tests over an old GPT
# also need sgdisk (gdisk), the completion tests bash and zsh; each is
# skipped, with the reason, without them.

.PHONY: check-install

INSTALL_TEST_KERNELS := $(BUILD)/tests/kernels

check-install: $(BUILD)/mkbootimg $(INSTALL_TEST_KERNELS)/tiny.elf $(INSTALL_TEST_KERNELS)/tiny.img \
	       $(INSTALL_TEST_KERNELS)/entry-check-higher-half.img
	$(PYTHON) tests/integration/install.py --mkbootimg $(BUILD)/mkbootimg --qemu $(QEMU) \
		--kernels $(INSTALL_TEST_KERNELS)
