# The host program: build/mkbootimg, with the BIOS and UEFI loaders embedded.
#
#   tool/image/    kernel -> image: requests, readers (ELF, Multiboot), the
#                  kernel model, the plan, the image writer, the image options
#   tool/run/      mkbootimg run: options, setup, QEMU command, QMP, screen, verdict
#   tool/install/  mkbootimg install: the command and block devices
#   tool/          main.c (the commands), info.c, util.c (messages, sizes, I/O)
#
# Every folder is on the include path of the tool and its tests (TOOL_INCLUDES):
# a module names another by its file.

TOOL_DIRS     := tool tool/image tool/run tool/install
TOOL_INCLUDES := $(TOOL_DIRS:%=-I%)
TOOL_CFLAGS   := -std=c11 -O2 -g $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude -DMKB_VERSION='"$(VERSION)"' \
                 $(shell $(PKG_CONFIG) --cflags libelf) $(CPPFLAGS) $(CFLAGS)
TOOL_LIBS   := $(shell $(PKG_CONFIG) --libs libelf)

# The loader fragment builds these; override them to try the tool with other loaders.
MKB_LOADER_BIN ?= $(BUILD)/bootloader/loader.bin
MKB_UEFI_LOADER ?= $(UEFI_LOADER)

# The loader core's manifest rules and payload checksum, built into the tool:
# the loader, the image writer and info share one definition of a valid image.
TOOL_CORE_OBJS := $(BUILD)/tool-core/manifest.o

# Modules (everything but main.c) are also linked into the unit tests.
TOOL_MODULE_OBJS := $(patsubst tool/%.c,$(BUILD)/tool/%.o,\
		      $(filter-out tool/main.c,$(wildcard $(TOOL_DIRS:%=%/*.c)))) \
		    $(TOOL_CORE_OBJS)
TOOL_OBJS := $(TOOL_MODULE_OBJS) $(BUILD)/tool/main.o $(BUILD)/tool/loader-blob.o

$(BUILD)/mkbootimg: $(TOOL_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(TOOL_LIBS)

$(BUILD)/tool/%.o: tool/%.c
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $(TOOL_INCLUDES) -MMD -MP -c -o $@ $<

$(BUILD)/tool-core/%.o: bootloader/core/%.c
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -MMD -MP -c -o $@ $<

# The version lives in the Makefile, for the tool and the loader alike.
$(BUILD)/tool/main.o: Makefile

$(BUILD)/tool/loader-blob.o: tool/loader-blob.S $(MKB_LOADER_BIN) $(MKB_UEFI_LOADER)
	@mkdir -p $(@D)
	$(CC) -DMKB_LOADER_BIN='"$(MKB_LOADER_BIN)"' -DMKB_UEFI_LOADER='"$(MKB_UEFI_LOADER)"' -c -o $@ $<

-include $(TOOL_OBJS:.o=.d)
