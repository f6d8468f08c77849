# Tests: unit tests (tests/unit/unit.mk), test kernels (tests/kernels/) and
# the QEMU integration tests (tests/integration/run.py, which also runs the
# boot protocol's tests in tests/integration/protocol.py). Every Python suite
# uses tests/integration/harness.py. A kernel that cannot be built here leaves
# a .skip file, "KIND: why", KIND one of harness.py's EXPECTED_SKIPS.
#
#   make check-integration   build the tool, the kernels and their images; boot each
#   make test-kernels        only build the test kernels (no tool needed)

include tests/unit/unit.mk
include tests/integration/run-command.mk
include tests/integration/install.mk
include tests/integration/multiboot.mk
include tests/integration/newcomer.mk
include tests/integration/layout.mk
include tests/integration/linux.mk

.PHONY: check-integration test-kernels

TEST_KERNELS := $(BUILD)/tests/kernels

# The command line every test image gets; entry-check and rust-check compare
# what they were handed with it. No quotes or dollars: it passes through the shell.
TEST_CMDLINE := mkbootimg-test root=/dev/sda1 a=1 b=two

# Changing this file rebuilds the kernels: it holds their -D settings.
ENTRY_CHECK_DEPS := tests/kernels/entry.S tests/kernels/entry-check.c include/mkbootimg/protocol.h \
		    tests/kernels/kernel.ld tests/tests.mk

$(TEST_KERNELS)/pattern.o: tests/kernels/pattern.S
	@mkdir -p $(@D)
	$(CC) -c -o $@ $<

# entry-check, built once per layout: $(1) variant, $(2) linker script,
# $(3) extra compiler flags, $(4) the expected command line.
define ENTRY_CHECK
$(TEST_KERNELS)/entry-check-$(1).elf: $(ENTRY_CHECK_DEPS) tests/kernels/$(2) $(TEST_KERNELS)/pattern.o
	@mkdir -p $$(@D)
	$(CC) $(KERNEL_CFLAGS) $(3) -DVARIANT='"$(1)"' -DEXPECTED_CMDLINE='"$(4)"' \
		-Ltests/kernels -T tests/kernels/$(2) $(KERNEL_LDFLAGS) -o $$@ \
		tests/kernels/entry.S tests/kernels/entry-check.c $(TEST_KERNELS)/pattern.o
endef

$(eval $(call ENTRY_CHECK,higher-half,higher-half.ld,,$(TEST_CMDLINE)))
$(eval $(call ENTRY_CHECK,flat,flat.ld,-mcmodel=small,$(TEST_CMDLINE)))
$(eval $(call ENTRY_CHECK,noat,noat.ld,,$(TEST_CMDLINE)))
$(eval $(call ENTRY_CHECK,segments,segments.ld,-DEXPECTED_SEGMENTS=5,$(TEST_CMDLINE)))
# Big stack: no --cmdline at all, so the command line must be "".
$(eval $(call ENTRY_CHECK,bigstack,higher-half.ld,-DEXPECTED_STACK_SIZE=0x100000,))
# The same 1 MiB stack asked for by a note (MKBOOTIMG_REQUEST_STACK_SIZE), not a flag.
$(eval $(call ENTRY_CHECK,stacknote,higher-half.ld,-DEXPECTED_STACK_SIZE=0x100000 -DSTACK_NOTE=0x100000,$(TEST_CMDLINE)))
# Modules: protocol.py builds its images, with --module and a command line of CRCs.
$(eval $(call ENTRY_CHECK,modules,higher-half.ld,-DMODULE_CRCS,))

TEST_KERNEL_NAMES := entry-check-higher-half entry-check-flat entry-check-noat \
		     entry-check-segments entry-check-bigstack entry-check-stacknote tiny

# Kernels whose images the tests make themselves (protocol.py), with other flags.
comma := ,
define NOTE_KERNEL
$(TEST_KERNELS)/note-$(1).elf: tests/kernels/note.S tests/kernels/note.ld tests/tests.mk
	@mkdir -p $$(@D)
	$(CC) $(KERNEL_CFLAGS) -DNOTE_TYPE=$(2) -DNOTE_DESC='$(3)' -T tests/kernels/note.ld $(KERNEL_LDFLAGS) -o $$@ $$<
endef
# note.S with one hand-written note: $(1) name, $(2) type, $(3) descriptor words.
$(eval $(call NOTE_KERNEL,stack,1,0x100000))
$(eval $(call NOTE_KERNEL,bad-size,1,0x100000$(comma)0))
$(eval $(call NOTE_KERNEL,unknown-type,99,0))
$(eval $(call NOTE_KERNEL,new-version,3,99))

# The sample kernel asking for 1024x768x32 with MKBOOTIMG_REQUEST_FRAMEBUFFER.
$(TEST_KERNELS)/sample-fbnote.elf: sample-kernel/kernel.c sample-kernel/linker.ld include/mkbootimg/protocol.h
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -DFRAMEBUFFER_NOTE -T sample-kernel/linker.ld $(KERNEL_LDFLAGS) -o $@ $<

PROTOCOL_TEST_KERNELS := entry-check-modules note-stack note-bad-size note-unknown-type note-new-version \
			 sample-fbnote

$(TEST_KERNELS)/tiny.elf: tests/kernels/tiny.S tests/kernels/tiny.ld
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -T tests/kernels/tiny.ld $(KERNEL_LDFLAGS) -o $@ $<

# The same entry-check, compiled by clang and linked by ld.lld, when both exist.
CLANG ?= clang
LD_LLD ?= ld.lld
ifneq ($(and $(shell command -v $(CLANG) 2>/dev/null),$(shell command -v $(LD_LLD) 2>/dev/null)),)
TEST_KERNEL_NAMES += entry-check-clang
$(TEST_KERNELS)/pattern-clang.o: tests/kernels/pattern.S $(FLAGS_DIR)/kernels
	@mkdir -p $(@D)
	$(CLANG) -c -o $@ $<

# clang 14 warns that -no-pie is unused: it makes no PIE without -pie anyway.
CLANG_KERNEL_LDFLAGS := $(filter-out -no-pie,$(KERNEL_LDFLAGS))
# Compiled and linked in two steps: clang -Werror rejects link flags when compiling.
$(TEST_KERNELS)/clang/%.o: tests/kernels/% $(ENTRY_CHECK_DEPS) $(FLAGS_DIR)/kernels
	@mkdir -p $(@D)
	$(CLANG) $(KERNEL_CFLAGS) -DVARIANT='"clang"' -DEXPECTED_CMDLINE='"$(TEST_CMDLINE)"' -c -o $@ $<

$(TEST_KERNELS)/entry-check-clang.elf: $(TEST_KERNELS)/clang/entry.S.o $(TEST_KERNELS)/clang/entry-check.c.o \
		$(TEST_KERNELS)/pattern-clang.o tests/kernels/higher-half.ld tests/kernels/kernel.ld
	$(CLANG) -fuse-ld=lld -Ltests/kernels -T tests/kernels/higher-half.ld $(CLANG_KERNEL_LDFLAGS) -o $@ \
		$(filter %.o,$^)
else
TEST_SKIPPED += entry-check-clang
$(TEST_KERNELS)/entry-check-clang.skip: tests/tests.mk
	@mkdir -p $(@D)
	echo "clang: $(CLANG) or $(LD_LLD) not found" > $@
endif

# A Rust #![no_std] kernel: rustc builds a static library for the host
# target (the only one installed), ld links it with the higher-half script.
RUSTC ?= rustc
RUSTFLAGS_KERNEL := --edition 2021 --crate-type staticlib --crate-name rust_check \
		    --target x86_64-unknown-linux-gnu -C opt-level=2 -C panic=abort \
		    -C relocation-model=static -C code-model=kernel
ifneq ($(shell command -v $(RUSTC) 2>/dev/null),)
TEST_KERNEL_NAMES += rust-check
$(TEST_KERNELS)/librust-check.a: tests/kernels/rust-check.rs tests/tests.mk $(FLAGS_DIR)/kernels
	@mkdir -p $(@D)
	EXPECTED_CMDLINE='$(TEST_CMDLINE)' $(RUSTC) $(RUSTFLAGS_KERNEL) -o $@ $<

$(TEST_KERNELS)/rust-check.elf: $(TEST_KERNELS)/librust-check.a tests/kernels/higher-half.ld tests/kernels/kernel.ld
	$(CC) -Ltests/kernels -T tests/kernels/higher-half.ld $(KERNEL_LDFLAGS) \
		-Wl,--gc-sections -Wl,--undefined=_start -o $@ $<
else
TEST_SKIPPED += rust-check
$(TEST_KERNELS)/rust-check.skip: tests/tests.mk
	@mkdir -p $(@D)
	echo "rustc: $(RUSTC) not found" > $@
endif

# Images. Every one gets TEST_CMDLINE, except where a target says otherwise.
TEST_IMAGE_FLAGS = --cmdline "$(TEST_CMDLINE)"
$(TEST_KERNELS)/entry-check-bigstack.img: TEST_IMAGE_FLAGS = --stack-size 1M

$(TEST_KERNELS)/%.img: $(TEST_KERNELS)/%.elf $(BUILD)/mkbootimg
	$(BUILD)/mkbootimg $(TEST_IMAGE_FLAGS) -o $@ $<

# Every test kernel (here and in the suites' fragments) is rebuilt when the
# compilers or flags that build test kernels change (FLAGS_STAMP, Makefile);
# the per-kernel flags are written in the fragments, which the kernels depend on.
$(eval $(call FLAGS_STAMP,kernels,CC KERNEL_CFLAGS KERNEL_LDFLAGS TEST_CMDLINE CLANG LD_LLD \
	CLANG_KERNEL_LDFLAGS RUSTC RUSTFLAGS_KERNEL MB_CFLAGS NASM))
$(TEST_KERNELS)/pattern.o $(TEST_KERNEL_NAMES:%=$(TEST_KERNELS)/%.elf) \
	$(PROTOCOL_TEST_KERNELS:%=$(TEST_KERNELS)/%.elf): $(FLAGS_DIR)/kernels

test-kernels: $(TEST_KERNEL_NAMES:%=$(TEST_KERNELS)/%.elf) $(PROTOCOL_TEST_KERNELS:%=$(TEST_KERNELS)/%.elf)

# --cc and --cxx compile include/mkbootimg/protocol.h as C99 and as C++.
check-integration: $(BUILD)/mkbootimg $(BUILD)/sample-kernel.img \
		   $(TEST_KERNEL_NAMES:%=$(TEST_KERNELS)/%.img) $(TEST_SKIPPED:%=$(TEST_KERNELS)/%.skip) \
		   $(PROTOCOL_TEST_KERNELS:%=$(TEST_KERNELS)/%.elf)
	$(PYTHON) tests/integration/run.py --qemu $(QEMU) --images $(TEST_KERNELS) \
		--sample $(BUILD)/sample-kernel.img --mkbootimg $(BUILD)/mkbootimg \
		--cc "$(CC)" --cxx "$(CXX)"
include tests/integration/machines.mk
include tests/integration/uefi.mk
include tests/fuzz/fuzz.mk
include tests/lint/lint.mk

# After TEST_KERNELS: its rules name kernels there.
include tests/integration/smp.mk
include tests/integration/pie.mk
