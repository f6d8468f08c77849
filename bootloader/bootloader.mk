# The loader: core/ (plain C every firmware shares) and bios/ (stage 1, and
# stage 2's BIOS front-end), joined into loader.bin, which the tool embeds.
# Stage 2's C runs in real mode (gcc -m16): see bootloader/README.md.

LOADER_DIR := $(BUILD)/bootloader
# Size matters (stage 2 must stay small, and every 32-bit instruction costs
# a prefix or two here): -Oz without the passes that copy code (jump
# threading, if-conversion) or spill split structures, 4-byte stack
# alignment (no SSE here), callees pop their arguments, enums in a byte
# (stage 2 shares no struct with anything built otherwise), and a section
# per function so that the link drops what only the host uses. Without
# reassociation, the payload checksum takes two instructions a word, as
# hand-written assembly would (the cost of a load under emulation). Jump
# tables, value-range propagation and loop-invariant motion cost more bytes
# than they save here (measured: 88 bytes of stage 2; the checksum loop is
# the same instructions without them). Data keeps the alignment its type
# needs (-malign-data=abi): gcc's default puts every array of 32 bytes or
# more on a 32-byte boundary, padding that stage 2 paid for (72 bytes).
# CORE_BIOS_ONLY leaves out of the core what only UEFI reaches (core/core.h
# says what).
LOADER_CFLAGS := -std=c11 -Oz $(WARN) -DCORE_BIOS_ONLY=1 -m16 -march=i686 -mregparm=3 -mrtd -ffreestanding \
	-fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-mgeneral-regs-only -fno-tree-loop-distribute-patterns -mstringop-strategy=libcall \
	-fno-tree-dominator-opts -fno-tree-sra -fno-if-conversion -fno-if-conversion2 -fshort-enums \
	-fno-tree-reassoc -fno-jump-tables -fno-tree-vrp -fno-tree-loop-im -malign-data=abi \
	-mpreferred-stack-boundary=2 -fomit-frame-pointer -ffunction-sections -fdata-sections \
	-Iinclude -MMD -MP
# The core sees only itself; the front-ends see the core and common/ (the
# messages both loaders print, built into each). layout.c is not
# linked: it is compiled to assembly for the numbers the NASM files and the
# linker script share with the C code (layout.inc, layout.ld).
CORE_C := $(wildcard bootloader/core/*.c)
BIOS_C := $(filter-out bootloader/bios/layout.c,$(wildcard bootloader/bios/*.c))
COMMON_C := $(wildcard bootloader/common/*.c)
LOADER_OBJ := $(LOADER_DIR)/bios/entry.o $(BIOS_C:bootloader/%.c=$(LOADER_DIR)/%.o) \
	$(CORE_C:bootloader/%.c=$(LOADER_DIR)/%.o) $(COMMON_C:bootloader/%.c=$(LOADER_DIR)/%.o)
LAYOUT := $(LOADER_DIR)/bios/layout

$(LOADER_DIR)/core/%.o: bootloader/core/%.c bootloader/bootloader.mk
	@mkdir -p $(@D)
	$(LOADER_CC) $(LOADER_CFLAGS) -Ibootloader/core -c $< -o $@

$(LOADER_DIR)/bios/%.o: bootloader/bios/%.c bootloader/bootloader.mk
	@mkdir -p $(@D)
	$(LOADER_CC) $(LOADER_CFLAGS) -Ibootloader/core -Ibootloader/common -c $< -o $@

$(LOADER_DIR)/common/%.o: bootloader/common/%.c bootloader/bootloader.mk
	@mkdir -p $(@D)
	$(LOADER_CC) $(LOADER_CFLAGS) -Ibootloader/core -c $< -o $@

# "->NAME value" lines of gcc -S output, as NASM equ and linker script
# assignments. A number that did not come out (a constant gcc could not
# print as one) leaves a line without it, and the sed below fails the build.
$(LAYOUT).s: bootloader/bios/layout.c bootloader/bootloader.mk
	@mkdir -p $(@D)
	$(LOADER_CC) $(LOADER_CFLAGS) -Ibootloader/core -Ibootloader/common -S $< -o $@

$(LAYOUT).inc: $(LAYOUT).s
	@grep -q -- '->' $< && ! grep -- '->' $< | grep -qvE -- '->[A-Z0-9_]+ [0-9]+"' || \
		{ echo "$<: a DEFINE without a number" >&2; exit 1; }
	sed -n 's/.*->\([A-Z0-9_]*\) \([0-9]*\)".*/\1 equ \2/p' $< > $@

$(LAYOUT).ld: $(LAYOUT).s
	sed -n 's/.*->\([A-Z0-9_]*\) \([0-9]*\)".*/\1 = \2;/p' $< > $@

# The APs' start-up code (core/smp.h): one flat blob both front-ends embed.
SMP_TRAMPOLINE := $(LOADER_DIR)/smp/trampoline.bin

$(SMP_TRAMPOLINE): bootloader/smp/trampoline.asm
	@mkdir -p $(@D)
	$(NASM) -f bin $< -o $@

$(LOADER_DIR)/bios/entry.o: bootloader/bios/entry.asm $(LAYOUT).inc $(SMP_TRAMPOLINE) Makefile
	@mkdir -p $(@D)
	$(NASM) -f elf32 -I$(LOADER_DIR)/bios/ -DLOADER_NAME='"mkbootimg $(VERSION)"' \
		-DSMP_TRAMPOLINE_BIN='"$(SMP_TRAMPOLINE)"' $< -o $@

$(LOADER_DIR)/stage2.elf: $(LOADER_OBJ) bootloader/bios/stage2.ld $(LAYOUT).ld
	$(LD) -m elf_i386 -nostdlib --no-warn-rwx-segments --gc-sections -L $(LOADER_DIR)/bios \
		-T bootloader/bios/stage2.ld $(LOADER_OBJ) -o $@

# A rep movs or stos without the address-size prefix (0x67) would use 16-bit
# SI and DI and write below 64 KiB, whatever the pointer said.
$(LOADER_DIR)/stage2.bin: $(LOADER_DIR)/stage2.elf
	@if objdump -d -M i8086 $< | grep -E '\s(rep )?(movs|stos)[bwl]? ' | grep -v ' 67 '; then \
		echo "$<: string instruction with 16-bit addresses (see bootloader/README.md)" >&2; \
		exit 1; fi
	objcopy -O binary $< $@

$(LOADER_DIR)/stage1.bin: bootloader/bios/stage1.asm $(LAYOUT).inc $(LOADER_DIR)/stage2.bin
	$(NASM) -f bin -I$(LOADER_DIR)/bios/ -DSTAGE2_SECTORS=$$(( $$(wc -c < $(LOADER_DIR)/stage2.bin) / 512 )) \
		$< -o $@

$(LOADER_DIR)/loader.bin: $(LOADER_DIR)/stage1.bin $(LOADER_DIR)/stage2.bin
	cat $^ > $@

-include $(LOADER_OBJ:.o=.d) $(LAYOUT).d

# make check-core64: the core as an x86-64 freestanding program builds it (the
# UEFI front-end to come): every core file compiles there with -Werror, and
# what the core calls outside itself is only platform.h and memcpy/memset.
CORE64_CFLAGS := -std=c11 -O2 $(WARN) -m64 -ffreestanding -fno-pic -fno-stack-protector \
	-mno-red-zone -mgeneral-regs-only -Iinclude -Ibootloader/core -MMD -MP
CORE64_OBJ := $(CORE_C:bootloader/core/%.c=$(LOADER_DIR)/core64/%.o)
CORE_IMPORTS := memcpy memset platform_read platform_alloc_pages platform_alloc_pages_above platform_reserve \
	platform_pointer \
	platform_log

$(LOADER_DIR)/core64/%.o: bootloader/core/%.c bootloader/bootloader.mk
	@mkdir -p $(@D)
	$(LOADER_CC) $(CORE64_CFLAGS) -c $< -o $@

# All of it linked into one object: what is still undefined comes from outside.
$(LOADER_DIR)/core64.o: $(CORE64_OBJ)
	$(LD) -r -o $@ $(CORE64_OBJ)

.PHONY: check-core64
check-core64: $(LOADER_DIR)/core64.o
	@for s in $$(nm -u $< | awk '$$1 == "U" { print $$2 }'); do \
		case " $(CORE_IMPORTS) " in *" $$s "*) ;; \
		*) echo "check-core64: the core calls $$s, which is neither in core/ nor in platform.h" >&2; \
		   exit 1;; esac; done
	@echo "check-core64: $(words $(CORE64_OBJ)) core files build for x86-64 freestanding, importing only platform.h"

-include $(CORE64_OBJ:.o=.d)

# The UEFI loader, BOOTX64.EFI: the core and bootloader/uefi/ built as a
# PE32+ EFI application (clang for the Windows x86-64 ABI the firmware
# calls with, lld-link for the PE file). The core is compiled a second time
# for it, into uefi-core/. The tool embeds it. -Oz and no unwind tables keep
# it small (at most 32 KiB: the build refuses more).
UEFI_CC := clang
UEFI_LD := lld-link
UEFI_CFLAGS := -std=c11 -Oz $(WARN) -target x86_64-unknown-windows -ffreestanding -fshort-wchar \
	-mno-red-zone -mno-stack-arg-probe -fno-stack-protector -fno-builtin -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -DMKB_VERSION='"$(VERSION)"' \
	-Iinclude -Ibootloader/core -Ibootloader/common -MMD -MP
UEFI_LDFLAGS := -subsystem:efi_application -entry:efi_main -nodefaultlib -opt:ref -merge:.rdata=.text
UEFI_MAX_BYTES := 32768
UEFI_C := $(wildcard bootloader/uefi/*.c)
UEFI_OBJ := $(UEFI_C:bootloader/%.c=$(LOADER_DIR)/%.o) $(LOADER_DIR)/uefi/entry.o \
	$(CORE_C:bootloader/core/%.c=$(LOADER_DIR)/uefi-core/%.o) \
	$(COMMON_C:bootloader/common/%.c=$(LOADER_DIR)/uefi-common/%.o)
UEFI_LOADER := $(LOADER_DIR)/BOOTX64.EFI

$(eval $(call FLAGS_STAMP,uefi,UEFI_CC UEFI_CFLAGS UEFI_LD UEFI_LDFLAGS))
$(UEFI_OBJ) $(UEFI_LOADER): $(FLAGS_DIR)/uefi

$(LOADER_DIR)/uefi/%.o: bootloader/uefi/%.c
	@mkdir -p $(@D)
	$(UEFI_CC) $(UEFI_CFLAGS) -c $< -o $@

$(LOADER_DIR)/uefi/entry.o: bootloader/uefi/entry.S $(SMP_TRAMPOLINE)
	@mkdir -p $(@D)
	$(UEFI_CC) $(UEFI_CFLAGS) -DSMP_TRAMPOLINE_BIN='"$(SMP_TRAMPOLINE)"' -c $< -o $@

$(LOADER_DIR)/uefi-core/%.o: bootloader/core/%.c
	@mkdir -p $(@D)
	$(UEFI_CC) $(UEFI_CFLAGS) -c $< -o $@

$(LOADER_DIR)/uefi-common/%.o: bootloader/common/%.c
	@mkdir -p $(@D)
	$(UEFI_CC) $(UEFI_CFLAGS) -c $< -o $@

$(UEFI_LOADER): $(UEFI_OBJ)
	$(UEFI_LD) $(UEFI_LDFLAGS) -out:$@ $(UEFI_OBJ)
	@size=$$(wc -c < $@); if [ $$size -gt $(UEFI_MAX_BYTES) ]; then \
		echo "$@: $$size bytes, over the $(UEFI_MAX_BYTES) a UEFI loader may take (issue 14)" >&2; \
		rm -f $@; exit 1; fi

-include $(UEFI_OBJ:.o=.d)
