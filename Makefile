# mkbootimg: one non-recursive Makefile. Each folder contributes a fragment
# (tool/tool.mk, bootloader/bootloader.mk, ...); every product goes to build/.

# The one place the version lives: the tool and the loader take it from here.
VERSION    := 0.1
BUILD      := build
CC         ?= cc
PKG_CONFIG ?= pkg-config
NASM       ?= nasm
LD         := ld
LOADER_CC  := gcc
PYTHON     ?= python3
QEMU       ?= qemu-system-x86_64
WARN       := -Wall -Wextra -Werror

# Freestanding x86-64 kernels (sample and test kernels) share these flags.
KERNEL_CFLAGS  := -std=c11 -O2 $(WARN) -ffreestanding -fno-pic -fno-pie -mno-red-zone \
                  -mcmodel=kernel -fno-stack-protector -fno-asynchronous-unwind-tables \
                  -Iinclude
KERNEL_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000

# Rebuilds when flags change. $(call FLAGS_STAMP,NAME,VARIABLES) is the rule
# of $(FLAGS_DIR)/NAME, a file holding "VARIABLE=value" for each variable
# named; its recipe always runs (FORCE) but rewrites the file only when that
# text changes, so whatever lists the file as a prerequisite is rebuilt
# exactly when one of those variables changed (make CFLAGS=..., SANITIZE=1,
# an edited flag in a fragment). Name variables, not values: the text is
# expanded when the recipe runs, and a comma in a value would end the argument.
#   $(eval $(call FLAGS_STAMP,loader,LOADER_CC LOADER_CFLAGS))
#   $(LOADER_OBJ): $(FLAGS_DIR)/loader
# Target-specific values are not seen: give those targets a stamp of their own.
FLAGS_DIR := $(BUILD)/flags
define FLAGS_STAMP
$(FLAGS_DIR)/$(1): FORCE
	@mkdir -p $$(@D); t='$$(subst ','\'',$$(foreach v,$(2),$$(v)=$$($$(v))))'; \
	printf '%s\n' "$$$$t" | cmp -s - $$@ || printf '%s\n' "$$$$t" > $$@
endef

.PHONY: FORCE
FORCE:

# FORCE above is the first target: plain `make` must still build everything.
.DEFAULT_GOAL := all

# make install [PREFIX=/usr/local] [DESTDIR=...]; make uninstall with the same.
PREFIX     ?= /usr/local
BINDIR     := $(PREFIX)/bin
MANDIR     := $(PREFIX)/share/man
INCLUDEDIR := $(PREFIX)/include
PCDIR      := $(PREFIX)/share/pkgconfig
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR := $(PREFIX)/share/zsh/site-functions

# make check SANITIZE=1: the tool and the unit tests built with AddressSanitizer
# and UBSan (any report fails); use another BUILD to keep both builds.
ifeq ($(SANITIZE),1)
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS  += $(SANITIZE_FLAGS)
LDFLAGS += $(SANITIZE_FLAGS)
endif

.PHONY: all deps run check clean bench install uninstall
all: $(BUILD)/mkbootimg $(BUILD)/sample-kernel.elf $(BUILD)/sample-kernel.img

include bootloader/bootloader.mk
include tool/tool.mk
include sample-kernel/sample-kernel.mk
include tests/tests.mk
include bench/bench.mk

# Install missing build and test dependencies (apt-get; other systems: README).
deps:
	@scripts/deps.sh

# Boot the sample kernel in QEMU with mkbootimg run. Without a display, COM1
# goes to the terminal and the final screen is printed when the kernel halts.
run:
	@scripts/deps.sh --if-missing
	@$(MAKE) --no-print-directory all
	$(BUILD)/mkbootimg run --cmdline "$(SAMPLE_KERNEL_CMDLINE)" $(BUILD)/sample-kernel.elf

check:
	@scripts/deps.sh --if-missing
	@$(MAKE) --no-print-directory check-lint check-core64 check-unit check-integration check-run-command \
		check-install check-newcomer check-multiboot check-machines check-badpaths check-layout check-uefi check-linux check-smp check-pie

clean:
	rm -rf $(BUILD)

# The tool's objects and binary are rebuilt when their flags change.
$(eval $(call FLAGS_STAMP,tool,CC TOOL_CFLAGS LDFLAGS TOOL_LIBS))
$(TOOL_OBJS) $(BUILD)/mkbootimg: $(FLAGS_DIR)/tool

# The git revision, when built from a git checkout (mkbootimg --version shows
# it): a rule, not a parse-time git call, so that make runs git only when it
# builds. It rewrites the stamp only when the revision changed, so main.o is
# rebuilt only then; main.o reads the stamp when it is compiled.
$(BUILD)/tool/revision: FORCE
	@mkdir -p $(@D); r=$$(git -C $(CURDIR) describe --always --dirty 2>/dev/null); \
	printf '%s\n' "$$r" | cmp -s - $@ || printf '%s\n' "$$r" > $@
$(BUILD)/tool/main.o: $(BUILD)/tool/revision
$(BUILD)/tool/main.o: TOOL_CFLAGS += -DMKB_REVISION='"'"$$(cat $(BUILD)/tool/revision)"'"'

# The .pc file names PREFIX: a stamp of the prefix it was made for, rewritten
# only when PREFIX changes, makes install with another PREFIX remake it.
$(shell mkdir -p $(BUILD) && { echo '$(PREFIX)' | cmp -s - $(BUILD)/mkbootimg.pc.prefix || \
	echo '$(PREFIX)' > $(BUILD)/mkbootimg.pc.prefix; })
$(BUILD)/mkbootimg.pc: include/mkbootimg.pc.in Makefile $(BUILD)/mkbootimg.pc.prefix
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# The binary carries the loader: it is all an installed mkbootimg needs.
install: $(BUILD)/mkbootimg $(BUILD)/mkbootimg.pc
	install -D -m 755 $(BUILD)/mkbootimg $(DESTDIR)$(BINDIR)/mkbootimg
	install -D -m 644 man/mkbootimg.1 $(DESTDIR)$(MANDIR)/man1/mkbootimg.1
	install -D -m 644 man/mkbootimg-protocol.7 $(DESTDIR)$(MANDIR)/man7/mkbootimg-protocol.7
	install -d $(DESTDIR)$(INCLUDEDIR)/mkbootimg
	install -m 644 include/mkbootimg/*.h $(DESTDIR)$(INCLUDEDIR)/mkbootimg/
	install -D -m 644 $(BUILD)/mkbootimg.pc $(DESTDIR)$(PCDIR)/mkbootimg.pc
	install -D -m 644 completion/mkbootimg.bash $(DESTDIR)$(BASHCOMPDIR)/mkbootimg
	install -D -m 644 completion/_mkbootimg $(DESTDIR)$(ZSHCOMPDIR)/_mkbootimg

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mkbootimg $(DESTDIR)$(MANDIR)/man1/mkbootimg.1 \
	      $(DESTDIR)$(MANDIR)/man7/mkbootimg-protocol.7 $(DESTDIR)$(PCDIR)/mkbootimg.pc \
	      $(DESTDIR)$(BASHCOMPDIR)/mkbootimg $(DESTDIR)$(ZSHCOMPDIR)/_mkbootimg
	rm -f $(patsubst include/%,$(DESTDIR)$(INCLUDEDIR)/%,$(wildcard include/mkbootimg/*.h))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/mkbootimg 2>/dev/null
