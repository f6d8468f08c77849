# The loader on many machines (tests/integration/machines.py): disks, memory
# sizes, CPUs, hostile BIOSes (boot-sector harnesses from tests/harness/),
# injected disk errors and the loader's messages.
#
#   make check-machines    build the tool, entry-check's image and the harnesses; boot them

.PHONY: check-machines

HARNESS_DIR := $(BUILD)/tests/harness
# name:nasm flags for each variant of tests/harness/chain.asm
HARNESS_VARIANTS := dirty:-DFILL no-e820:-DNO_E820 e820-table:-DE820_TABLE jump07c0:-DJUMP_07C0 \
		    dl00:-DPASS_DL=0x00
HARNESS_IMAGES := $(foreach v,$(HARNESS_VARIANTS),$(HARNESS_DIR)/$(firstword $(subst :, ,$(v))).img)

$(HARNESS_DIR)/%.img: tests/harness/chain.asm tests/integration/machines.mk $(FLAGS_DIR)/kernels
	@mkdir -p $(@D)
	$(NASM) -f bin $(patsubst $*:%,%,$(filter $*:%,$(HARNESS_VARIANTS))) -o $@ $<

MACHINES_JOBS ?= 2
check-machines: $(BUILD)/mkbootimg $(TEST_KERNELS)/entry-check-higher-half.img $(HARNESS_IMAGES)
	$(PYTHON) tests/integration/machines.py --qemu $(QEMU) --images $(TEST_KERNELS) \
		--harness $(HARNESS_DIR) --jobs $(MACHINES_JOBS)

# Bad paths and bad environments (tests/integration/badpaths.py): clear
# messages, exit 1, nothing half-written. Some cases mount a tmpfs as root.
.PHONY: check-badpaths
check-badpaths: $(BUILD)/mkbootimg $(TEST_KERNELS)/tiny.elf $(TEST_KERNELS)/entry-check-higher-half.elf
	$(PYTHON) tests/integration/badpaths.py --mkbootimg $(BUILD)/mkbootimg --kernel $(TEST_KERNELS)/tiny.elf \
		--big-kernel $(TEST_KERNELS)/entry-check-higher-half.elf
