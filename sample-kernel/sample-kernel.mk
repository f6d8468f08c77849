# The sample kernel: a small higher-half C kernel that prints what it was
# handed (sample-kernel/kernel.c), and a bootable image of it.

SAMPLE_KERNEL_CMDLINE := sample command line

$(BUILD)/sample-kernel.elf: sample-kernel/kernel.c sample-kernel/linker.ld include/mkbootimg/protocol.h
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -T sample-kernel/linker.ld $(KERNEL_LDFLAGS) -o $@ sample-kernel/kernel.c

$(BUILD)/sample-kernel.img: $(BUILD)/sample-kernel.elf $(BUILD)/mkbootimg
	$(BUILD)/mkbootimg --cmdline "$(SAMPLE_KERNEL_CMDLINE)" -o $@ $<
