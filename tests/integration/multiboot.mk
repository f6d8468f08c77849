# Multiboot: test kernels that check everything from inside (tests/kernels/multiboot/),
# and real Multiboot kernels from Debian packages (tests/integration/multiboot.py).
#
#   make check-multiboot

.PHONY: check-multiboot

MB_KERNELS := $(BUILD)/tests/kernels/multiboot
MB_MODULE_TEXT := mkbootimg multiboot module
MB_CFLAGS := -m32 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -mno-sse -mno-mmx \
	     -nostdlib -static -Wall -Wextra -Werror -Wno-array-bounds -Wl,--build-id=none -Wl,-m,elf_i386 \
	     -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
MB_DEPS := tests/kernels/multiboot/entry.S tests/kernels/multiboot/check.c \
	   tests/kernels/multiboot/link.ld tests/integration/multiboot.mk $(FLAGS_DIR)/kernels

# $(1) name, $(2) Multiboot version, $(3) extra flags. The command line and
# module string are what the tool gives: the file's name first (mkbootimg(1)).
define MB_CHECK
$(MB_KERNELS)/$(1).elf: $(MB_DEPS)
	@mkdir -p $$(@D)
	$(CC) $(MB_CFLAGS) -DMB_VERSION=$(2) $(3) -DMODULE_TEXT='"$(MB_MODULE_TEXT)"' \
		-DEXPECTED_CMDLINE='"$(1)$(4) a=1 b=two"' -DEXPECTED_MODULE_STRING='"module.txt m=1"' \
		-T tests/kernels/multiboot/link.ld -o $$@ tests/kernels/multiboot/entry.S \
		tests/kernels/multiboot/check.c
endef
$(eval $(call MB_CHECK,mbcheck1,1,,.elf))
$(eval $(call MB_CHECK,mbcheck2,2,,.elf))
$(eval $(call MB_CHECK,mbcheck1-elf64,1,,.elf64))
$(eval $(call MB_CHECK,mbcheck1-aout,1,-DAOUT -DNO_SECTIONS,.bin))

# The same Multiboot 1 kernel in an ELF64 container.
$(MB_KERNELS)/mbcheck1-elf64.elf64: $(MB_KERNELS)/mbcheck1-elf64.elf
	objcopy -I elf32-i386 -O elf64-x86-64 $< $@
# A flat binary loaded by the header's address fields (the a.out kludge).
$(MB_KERNELS)/mbcheck1-aout.bin: $(MB_KERNELS)/mbcheck1-aout.elf
	objcopy -O binary $< $@
$(MB_KERNELS)/module.txt: tests/integration/multiboot.mk
	@mkdir -p $(@D)
	printf '%s' '$(MB_MODULE_TEXT)' > $@

MB_TEST_FILES := $(MB_KERNELS)/mbcheck1.elf $(MB_KERNELS)/mbcheck2.elf \
		 $(MB_KERNELS)/mbcheck1-elf64.elf64 $(MB_KERNELS)/mbcheck1-aout.bin $(MB_KERNELS)/module.txt

# A boot sector that only spins: the negative case of the grub-invaders oracle.
MB_SPIN := $(BUILD)/tests/harness/spin.img
$(MB_SPIN): tests/harness/spin.asm $(FLAGS_DIR)/kernels
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

check-multiboot: $(BUILD)/mkbootimg $(MB_TEST_FILES) $(MB_SPIN)
	$(PYTHON) tests/integration/multiboot.py --qemu $(QEMU) --build $(BUILD) --kernels $(MB_KERNELS) \
		--spin $(MB_SPIN)
