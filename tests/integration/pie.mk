# Relocatable (PIE) kernels and KASLR (tests/integration/pie.py): pie-check
# built by gcc (-static-pie: R_X86_64_RELATIVE), by clang and ld.lld (-pie
# --no-dynamic-linker) and by gcc as a shared object (-shared: R_X86_64_64
# and GLOB_DAT against its own symbols), and with MKBOOTIMG_REQUEST_KASLR;
# booted at their default base, at --base, and with --kaslr on SeaBIOS and
# OVMF.
#
#   make check-pie

.PHONY: check-pie

PIE_KERNELS := $(BUILD)/tests/pie
# -fpie: code that runs anywhere (-mcmodel=kernel does not exist for PIC).
PIE_CFLAGS := $(filter-out -fno-pic -fno-pie -mcmodel=kernel,$(KERNEL_CFLAGS)) -fpie -mcmodel=small
PIE_LDFLAGS := -nostdlib -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -T tests/kernels/pie.ld
PIE_DEPS := tests/kernels/pie-check.c tests/kernels/pie.ld include/mkbootimg/protocol.h \
	    tests/integration/pie.mk $(FLAGS_DIR)/pie
$(eval $(call FLAGS_STAMP,pie,CC CLANG LD_LLD PIE_CFLAGS PIE_LDFLAGS))

$(PIE_KERNELS)/pie-gcc.elf: $(PIE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(PIE_CFLAGS) -static-pie $(PIE_LDFLAGS) -o $@ tests/kernels/pie-check.c

$(PIE_KERNELS)/pie-shared.elf: $(PIE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(PIE_CFLAGS) -fPIC -shared -Wl,-e,_start $(PIE_LDFLAGS) -o $@ tests/kernels/pie-check.c

$(PIE_KERNELS)/pie-note.elf: $(PIE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(PIE_CFLAGS) -DKASLR_NOTE -static-pie $(PIE_LDFLAGS) -o $@ tests/kernels/pie-check.c

PIE_TEST_FILES := $(PIE_KERNELS)/pie-gcc.elf $(PIE_KERNELS)/pie-shared.elf $(PIE_KERNELS)/pie-note.elf

ifneq ($(and $(shell command -v $(CLANG) 2>/dev/null),$(shell command -v $(LD_LLD) 2>/dev/null)),)
# Compiled and linked in two steps: clang -Werror rejects link flags when compiling.
$(PIE_KERNELS)/pie-clang.o: $(PIE_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(PIE_CFLAGS) -c -o $@ tests/kernels/pie-check.c
$(PIE_KERNELS)/pie-clang.elf: $(PIE_KERNELS)/pie-clang.o tests/kernels/pie.ld tests/integration/pie.mk
	$(CLANG) -fuse-ld=lld -pie -Wl,--no-dynamic-linker -Wl,-z,separate-loadable-segments $(PIE_LDFLAGS) \
		-o $@ $<
PIE_TEST_FILES += $(PIE_KERNELS)/pie-clang.elf
else
$(PIE_KERNELS)/pie-clang.skip: tests/integration/pie.mk
	@mkdir -p $(@D)
	echo "clang: $(CLANG) or $(LD_LLD) not found" > $@
PIE_TEST_FILES += $(PIE_KERNELS)/pie-clang.skip
endif

PIE_JOBS ?= 2
check-pie: $(BUILD)/mkbootimg $(PIE_TEST_FILES) $(TEST_KERNELS)/tiny.elf
	$(PYTHON) tests/integration/pie.py --qemu $(QEMU) --jobs $(PIE_JOBS) --mkbootimg $(BUILD)/mkbootimg \
		--kernels $(PIE_KERNELS) --tiny $(TEST_KERNELS)/tiny.elf
