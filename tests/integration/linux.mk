# Linux boot protocol (tests/integration/linux.py): Debian's Linux 6.1 with a
# tiny initramfs, memtest86+ and iPXE, fetched with apt-get download into
# $(BUILD)/linux-packages (a "network" skip where that is impossible), built
# into images by mkbootimg and booted on SeaBIOS (pc, q35) and OVMF.
#
#   make check-linux

.PHONY: check-linux

LINUX_TEST_DIR := $(BUILD)/tests/linux
# What /init prints; linux.py looks for exactly this line.
LINUX_INIT_MARKER := mkbootimg-initramfs: /init runs
LINUX_INIT_CFLAGS := -static -nostdlib -ffreestanding -fno-pie -no-pie -fno-stack-protector \
		     -fno-asynchronous-unwind-tables -Os $(WARN) -s -Wl,--build-id=none -Wl,-z,noexecstack \
		     -Wl,-N -Wl,--no-warn-rwx-segments
NEWC := $(PYTHON) tests/initramfs/newc.py
$(eval $(call FLAGS_STAMP,linux-init,CC LINUX_INIT_CFLAGS LINUX_INIT_MARKER))

# One page-free segment (-N): /init is under 1 KiB, and so the initramfs is small.
$(LINUX_TEST_DIR)/init: tests/initramfs/init.c $(FLAGS_DIR)/linux-init
	@mkdir -p $(@D)
	$(CC) $(LINUX_INIT_CFLAGS) -DMARKER='"$(LINUX_INIT_MARKER)"' -o $@ $<

# The initramfs: /init and the /dev/console it writes to.
$(LINUX_TEST_DIR)/initrd.cpio: $(LINUX_TEST_DIR)/init tests/initramfs/newc.py
	$(NEWC) -o $@ dir:dev char:dev/console=5,1 file:init=$<

# Two initrds given in this order: /init shows the first's /proof-first and
# /proof-last, which the second, unpacked over it, must have replaced.
$(LINUX_TEST_DIR)/first.cpio: tests/initramfs/newc.py tests/integration/linux.mk
	@mkdir -p $(@D)
	$(NEWC) -o $@ "text:proof-first=from the first initrd" "text:proof-last=the first initrd"
$(LINUX_TEST_DIR)/second.cpio: $(LINUX_TEST_DIR)/init tests/initramfs/newc.py tests/integration/linux.mk
	$(NEWC) -o $@ dir:dev char:dev/console=5,1 file:init=$< "text:proof-last=the second initrd"

LINUX_TEST_FILES := $(LINUX_TEST_DIR)/initrd.cpio $(LINUX_TEST_DIR)/first.cpio $(LINUX_TEST_DIR)/second.cpio

LINUX_JOBS ?= 2
check-linux: $(BUILD)/mkbootimg $(LINUX_TEST_FILES) $(BUILD)/tests/kernels/tiny.elf
	$(PYTHON) tests/integration/linux.py --qemu $(QEMU) --jobs $(LINUX_JOBS) --build $(BUILD) \
		--mkbootimg $(BUILD)/mkbootimg --files $(LINUX_TEST_DIR) --native $(BUILD)/tests/kernels/tiny.elf \
		--marker "$(LINUX_INIT_MARKER)"
