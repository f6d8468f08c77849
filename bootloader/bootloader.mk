# The BIOS loader: stage 1 (the MBR) and stage 2, joined into loader.bin,
# which the tool embeds. Stage 2's C runs in real mode (gcc -m16).

LOADER_DIR := $(BUILD)/bootloader
LOADER_CFLAGS := -std=c11 -Os $(WARN) -m16 -march=i686 -mregparm=3 -ffreestanding \
	-fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-mgeneral-regs-only -fno-tree-loop-distribute-patterns -mstringop-strategy=libcall \
	-Iinclude -Ibootloader/core -Ibootloader/bios -MMD -MP
LOADER_C := bios/main.c bios/console.c bios/cpu.c bios/disk.c bios/firmware.c core/memmap.c \
	core/multiboot.c core/paging.c core/physmem.c
LOADER_OBJ := $(LOADER_DIR)/bios/entry.o $(LOADER_C:%.c=$(LOADER_DIR)/%.o)

$(LOADER_DIR)/%.o: bootloader/%.c bootloader/bootloader.mk
	@mkdir -p $(@D)
	$(LOADER_CC) $(LOADER_CFLAGS) -c $< -o $@

$(LOADER_DIR)/bios/entry.o: bootloader/bios/entry.asm Makefile
	@mkdir -p $(@D)
	$(NASM) -f elf32 -DLOADER_NAME='"mkbootimg $(VERSION)"' $< -o $@

$(LOADER_DIR)/stage2.elf: $(LOADER_OBJ) bootloader/bios/stage2.ld
	$(LD) -m elf_i386 -nostdlib --no-warn-rwx-segments -T bootloader/bios/stage2.ld $(LOADER_OBJ) -o $@

# A rep movs or stos without the address-size prefix (0x67) would use 16-bit
# SI and DI and write below 64 KiB, whatever the pointer said.
$(LOADER_DIR)/stage2.bin: $(LOADER_DIR)/stage2.elf
	@if objdump -d -M i8086 $< | grep -E '\s(rep )?(movs|stos)[bwl]? ' | grep -v ' 67 '; then \
		echo "$<: string instruction with 16-bit addresses (see bootloader/README.md)" >&2; \
		exit 1; fi
	objcopy -O binary $< $@

$(LOADER_DIR)/stage1.bin: bootloader/bios/stage1.asm $(LOADER_DIR)/stage2.bin
	$(NASM) -f bin -DSTAGE2_SECTORS=$$(( $$(wc -c < $(LOADER_DIR)/stage2.bin) / 512 )) $< -o $@

$(LOADER_DIR)/loader.bin: $(LOADER_DIR)/stage1.bin $(LOADER_DIR)/stage2.bin
	cat $^ > $@

-include $(LOADER_OBJ:.o=.d)
