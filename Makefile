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

.PHONY: all deps run check clean bench
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
	@$(MAKE) --no-print-directory check-unit check-integration check-run-command check-install

clean:
	rm -rf $(BUILD)
