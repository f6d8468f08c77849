# `make check-layout`: the image layouts of --firmware checked with outside
# tools (tests/integration/layout.py): sgdisk -v and -i (gdisk), fsck.fat -n
# (dosfstools), mdir and mcopy (mtools), for a small kernel and a multi-MiB
# payload, hybrid and uefi; the bios layout's MBR; sparse files; ISO refusal.

.PHONY: check-layout

check-layout: $(BUILD)/mkbootimg $(BUILD)/tests/kernels/tiny.elf $(BUILD)/tests/kernels/entry-check-higher-half.elf \
	      $(UEFI_LOADER)
	$(PYTHON) tests/integration/layout.py --mkbootimg $(BUILD)/mkbootimg --tiny $(BUILD)/tests/kernels/tiny.elf \
		--big $(BUILD)/tests/kernels/entry-check-higher-half.elf --efi $(UEFI_LOADER)
