# make bench: the loader's speed as ratios against floors, measured in one
# run (bench/bench.py). Results: build/bench/results.md and load.svg.

BENCH_DIR   := $(BUILD)/bench
BENCH_SIZES := 1 16 64 256
# Every image is padded to whole 16x63 cylinders: SeaBIOS refuses smaller disks.
CYLINDER    := $$((16 * 63 * 512))

$(BENCH_DIR)/floor-exit.img: bench/floor-exit.asm
	@mkdir -p $(@D)
	$(NASM) -f bin $< -o $@
	truncate -s $(CYLINDER) $@

# N MiB of pseudo-random data and the sum the load kernel must find.
$(BENCH_DIR)/data-%.bin: bench/bench-data.py
	@mkdir -p $(@D)
	$(PYTHON) $< $* $@ > $@.sum

$(BENCH_DIR)/load-%.elf: bench/load-check.S bench/load.ld $(BENCH_DIR)/data-%.bin
	$(CC) -c -DBENCH_DATA='"$(BENCH_DIR)/data-$*.bin"' bench/load-check.S -o $(BENCH_DIR)/load-$*.o
	$(LD) -T bench/load.ld -z max-page-size=0x1000 $(BENCH_DIR)/load-$*.o -o $@

$(BENCH_DIR)/load-%.img: $(BENCH_DIR)/load-%.elf $(BUILD)/mkbootimg
	$(BUILD)/mkbootimg --cmdline "sum=$$(cat $(BENCH_DIR)/data-$*.bin.sum)" -o $@ $<

# The read floor: the load image itself with a boot sector that only reads
# N MiB of it from LBA 1 on, in 127-sector reads: the same bytes, the same file.
$(BENCH_DIR)/floor-read-%.img: bench/floor-load.asm $(BENCH_DIR)/load-%.img
	$(NASM) -f bin -DSECTORS=$$(($* * 2048)) $< -o $(BENCH_DIR)/floor-read-$*.bin
	cp $(BENCH_DIR)/load-$*.img $@
	dd if=$(BENCH_DIR)/floor-read-$*.bin of=$@ conv=notrunc status=none

# The copy floor: the same reads, each also copied into place with rep movsd.
$(BENCH_DIR)/floor-copy-%.img: bench/floor-load.asm $(BENCH_DIR)/load-%.img
	$(NASM) -f bin -DCOPY -DSECTORS=$$(($* * 2048)) $< -o $(BENCH_DIR)/floor-copy-$*.bin
	cp $(BENCH_DIR)/load-$*.img $@
	dd if=$(BENCH_DIR)/floor-copy-$*.bin of=$@ conv=notrunc status=none

# The tiny kernel as Multiboot 2 under GRUB, where grub-mkrescue is installed.
$(BENCH_DIR)/grub.iso: bench/multiboot2-tiny.asm bench/multiboot2-tiny.ld bench/grub.cfg
	@mkdir -p $(BENCH_DIR)/iso/boot/grub
	$(NASM) -f elf32 bench/multiboot2-tiny.asm -o $(BENCH_DIR)/multiboot2-tiny.o
	$(LD) -m elf_i386 -T bench/multiboot2-tiny.ld $(BENCH_DIR)/multiboot2-tiny.o -o $(BENCH_DIR)/iso/boot/tiny.elf
	cp bench/grub.cfg $(BENCH_DIR)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BENCH_DIR)/iso 2>/dev/null

.PRECIOUS: $(BENCH_DIR)/data-%.bin $(BENCH_DIR)/load-%.elf $(BENCH_DIR)/load-%.img $(BENCH_DIR)/efi-load-%.efi

# The same Multiboot 2 kernel GRUB boots, through mkbootimg.
$(BENCH_DIR)/multiboot2-tiny.img: $(BENCH_DIR)/grub.iso $(BUILD)/mkbootimg
	$(BUILD)/mkbootimg -o $@ $(BENCH_DIR)/iso/boot/tiny.elf

BENCH_GRUB := $(if $(shell command -v grub-mkrescue 2>/dev/null),$(BENCH_DIR)/grub.iso $(BENCH_DIR)/multiboot2-tiny.img)

# The UEFI floors: EFI applications (bench/efi-floor.c) built as the UEFI
# loader is (bootloader.mk's UEFI_CFLAGS), each put in place of BOOTX64.EFI
# in a copy of the image it is compared with (bench/efi-floor.py).
$(BENCH_DIR)/efi-exit.efi: bench/efi-floor.c $(FLAGS_DIR)/uefi
	@mkdir -p $(@D)
	$(UEFI_CC) $(UEFI_CFLAGS) -c $< -o $(@:.efi=.o)
	$(UEFI_LD) $(UEFI_LDFLAGS) -out:$@ $(@:.efi=.o)

# The load floor reads the payload of load-N.img: its place comes from mkbootimg info.
$(BENCH_DIR)/efi-load-%.efi: bench/efi-floor.c bench/efi-floor.py $(BENCH_DIR)/load-%.img $(FLAGS_DIR)/uefi
	$(UEFI_CC) $(UEFI_CFLAGS) $$($(PYTHON) bench/efi-floor.py --payload $(BENCH_DIR)/load-$*.img $(BUILD)/mkbootimg) \
		-c $< -o $(@:.efi=.o)
	$(UEFI_LD) $(UEFI_LDFLAGS) -out:$@ $(@:.efi=.o)

$(BENCH_DIR)/uefi-floor-exit.img: $(BENCH_DIR)/efi-exit.efi $(TEST_KERNELS)/tiny.img bench/efi-floor.py
	$(PYTHON) bench/efi-floor.py $(TEST_KERNELS)/tiny.img $< $@

$(BENCH_DIR)/uefi-floor-load-%.img: $(BENCH_DIR)/efi-load-%.efi $(BENCH_DIR)/load-%.img bench/efi-floor.py
	$(PYTHON) bench/efi-floor.py $(BENCH_DIR)/load-$*.img $< $@

BENCH_UEFI := $(BENCH_DIR)/uefi-floor-exit.img $(BENCH_DIR)/uefi-floor-load-64.img

# Debian's Linux for the Linux row (bench.py leaves the row out, saying why, when it cannot be fetched).
$(BENCH_DIR)/vmlinuz:
	@mkdir -p $(@D)
	-$(PYTHON) tests/integration/linux.py --build $(BUILD) --fetch-linux $@

.PHONY: bench
bench:
	@scripts/deps.sh --if-missing --bench
	@$(MAKE) --no-print-directory bench-run

.PHONY: bench-run
bench-run: $(BENCH_DIR)/floor-exit.img $(TEST_KERNELS)/tiny.img $(BENCH_GRUB) \
	   $(BENCH_SIZES:%=$(BENCH_DIR)/floor-read-%.img) $(BENCH_SIZES:%=$(BENCH_DIR)/floor-copy-%.img) \
	   $(BENCH_SIZES:%=$(BENCH_DIR)/load-%.img) $(BENCH_UEFI) $(BENCH_DIR)/vmlinuz $(LINUX_TEST_DIR)/initrd.cpio
	$(PYTHON) bench/bench.py $(BENCH_DIR) $(BUILD)/mkbootimg $(TEST_KERNELS)/tiny.img $(LINUX_TEST_DIR)/initrd.cpio
