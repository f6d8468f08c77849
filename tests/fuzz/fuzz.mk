# libFuzzer targets for every reader of outside data (clang only):
#   elf    kernel_open on the input as a file (the ELF reader, libelf)
#   note   the input as the notes of an otherwise valid kernel
#   cargo  cargo_config_parse (cargo.c)
#   image  run_identify_target, the image recognition of `mkbootimg run`
#   info   the image reader of info, run and install (info.c): boot
#          signature, loader header, manifest, tables, strings, payload
#          bounds, checksum, a GPT's tables and the ESP's FAT32 volume,
#          and info's text and JSON reports of it
#   parts  install's partition-table readers (install.c): MBR entries,
#          GPT headers and entry arrays, the ranges an old table occupies
#   manifest  the loader core's manifest validator (bootloader/core/manifest.c),
#          which the loader, the image writer and info share, and what a
#          loader reads through a manifest it accepts
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="elf cargo"]
# Each target runs FUZZ_SECONDS; a crash (or leak, or sanitizer report)
# fails it and leaves the reproducer in build/fuzz/<target>-crash-*; replay
# one with build/fuzz/fuzz-<target> FILE. The corpus grows in build/fuzz/corpus-<target>.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= elf note cargo image info parts manifest
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := $(filter-out -O2 $(SANITIZE_FLAGS),$(TOOL_CFLAGS)) -O1 -g -Itool $(TOOL_INCLUDES) \
		-Itests/unit -Itests/fuzz \
		-fsanitize=fuzzer-no-link $(FUZZ_SAN)
# The tool's modules (main.c aside), wherever tool.mk finds them, and the
# loader core's files it builds in (tool-core/), all instrumented.
FUZZ_TOOL_OBJS := $(patsubst $(BUILD)/tool/%,$(FUZZ_DIR)/tool/%,\
		  $(patsubst $(BUILD)/tool-core/%,$(FUZZ_DIR)/core/%,$(TOOL_MODULE_OBJS)))
FUZZ_COMMON  := $(FUZZ_DIR)/fuzz-file.o $(FUZZ_DIR)/elf-builder.o
# The loader core's files a target needs, compiled for the host.
FUZZ_CORE_OBJS := $(FUZZ_DIR)/core/manifest.o
FUZZ_OBJS    := $(FUZZ_TOOL_OBJS) $(FUZZ_COMMON) $(FUZZ_CORE_OBJS) $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz-%.o)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz-%)

# Header dependencies (-MMD -MP) and the flags stamp (FLAGS_STAMP, Makefile)
# rebuild an object when a header it includes or its flags change.
$(eval $(call FLAGS_STAMP,fuzz,FUZZ_CC FUZZ_CFLAGS FUZZ_SAN TOOL_LIBS))

$(FUZZ_DIR)/tool/%.o: tool/%.c $(FLAGS_DIR)/fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/elf-builder.o: tests/unit/elf-builder.c $(FLAGS_DIR)/fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/%.o: tests/fuzz/%.c $(FLAGS_DIR)/fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/core/%.o: bootloader/core/%.c $(FLAGS_DIR)/fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Ibootloader/core -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/fuzz-%: $(FUZZ_DIR)/fuzz-%.o $(FUZZ_COMMON) $(FUZZ_TOOL_OBJS) $(FLAGS_DIR)/fuzz
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $(filter %.o,$^) $(TOOL_LIBS)

# The manifest validator alone, as the loader has it.
$(FUZZ_DIR)/fuzz-manifest.o: FUZZ_CFLAGS += -Ibootloader/core
$(FUZZ_DIR)/fuzz-manifest: $(FUZZ_DIR)/fuzz-manifest.o $(FUZZ_DIR)/core/manifest.o $(FLAGS_DIR)/fuzz
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $(filter %.o,$^)

-include $(FUZZ_OBJS:.o=.d)

# Seeds: the files in tests/fuzz/seeds/<target>, small kernels for elf and
# image, and for info images of several kinds (tests/fuzz/seed-image.py):
# a plain one, one with modules, a Multiboot 2 one.
FUZZ_SEED_KERNELS := $(TEST_KERNELS)/tiny.elf $(TEST_KERNELS)/note-stack.elf $(TEST_KERNELS)/note-bad-size.elf
FUZZ_SEED_IMAGES  := $(FUZZ_DIR)/seed-images/tiny.img $(FUZZ_DIR)/seed-images/modules.img \
		     $(FUZZ_DIR)/seed-images/multiboot2.img

$(FUZZ_DIR)/seed-images/tiny.img: $(TEST_KERNELS)/tiny.elf $(BUILD)/mkbootimg
	@mkdir -p $(@D)
	$(BUILD)/mkbootimg -q --cmdline "a=1 b=two" -o $@ $<
$(FUZZ_DIR)/seed-images/modules.img: $(TEST_KERNELS)/tiny.elf $(BUILD)/mkbootimg tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(BUILD)/mkbootimg -q --module tests/fuzz/fuzz.h=one --module tests/fuzz/fuzz-file.c=two \
		--framebuffer 800x600x32 -o $@ $<
$(FUZZ_DIR)/seed-images/multiboot2.img: $(MB_KERNELS)/mbcheck2.elf $(MB_KERNELS)/module.txt $(BUILD)/mkbootimg
	@mkdir -p $(@D)
	$(BUILD)/mkbootimg -q --cmdline "a=1" --module $(MB_KERNELS)/module.txt=m=1 -o $@ $<

# parts: an image's first sectors, and a 60 KiB disk with a GPT (when sgdisk is there),
# after the flags byte and the disk's and the image's sizes in sectors.
$(FUZZ_DIR)/seed-parts/image: $(FUZZ_DIR)/seed-images/tiny.img
	@mkdir -p $(@D)
	{ printf '\000\360\003\000\000\360\003\000\000'; head -c 18432 $<; } > $@
$(FUZZ_DIR)/seed-parts/gpt:
	@mkdir -p $(@D)
	rm -f $@.disk; truncate -s 60K $@.disk
	if command -v sgdisk >/dev/null && sgdisk -n 1:40:80 -n 2:81:84 $@.disk >/dev/null; then \
		{ printf '\000\170\000\000\000\042\000\000\000'; cat $@.disk; } > $@; \
	else : > $@; fi
	rm -f $@.disk
FUZZ_SEED_PARTS := $(FUZZ_DIR)/seed-parts/image $(FUZZ_DIR)/seed-parts/gpt

fuzz: fuzz-build $(FUZZ_SEED_KERNELS) $(FUZZ_SEED_IMAGES) $(FUZZ_SEED_PARTS)
	@pass=0; fail=0; \
	for t in $(FUZZ_TARGETS); do \
		corpus=$(FUZZ_DIR)/corpus-$$t; mkdir -p $$corpus; \
		[ -d tests/fuzz/seeds/$$t ] && cp -n tests/fuzz/seeds/$$t/* $$corpus/; \
		case $$t in elf|image) cp -n $(FUZZ_SEED_KERNELS) $$corpus/;; esac; \
		case $$t in image) head -c 65536 $(BUILD)/sample-kernel.img > $$corpus/image-head 2>/dev/null || true;; esac; \
		case $$t in info) $(PYTHON) tests/fuzz/seed-image.py $(BUILD)/mkbootimg $$corpus \
			$(FUZZ_SEED_IMAGES) || exit 1;; esac; \
		case $$t in manifest) $(PYTHON) tests/fuzz/seed-image.py --manifest $(BUILD)/mkbootimg $$corpus \
			$(FUZZ_SEED_IMAGES) || exit 1;; esac; \
		case $$t in parts) for f in $(FUZZ_SEED_PARTS); do [ -s $$f ] && cp $$f $$corpus/seed-$$(basename $$f); done;; esac; \
		log=$(FUZZ_DIR)/$$t.log; \
		echo "== fuzz-$$t for $(FUZZ_SECONDS) s (log: $$log)"; \
		if $(FUZZ_DIR)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
			-artifact_prefix=$(FUZZ_DIR)/$$t- $$corpus > $$log 2>&1; then \
			echo "PASS fuzz-$$t: $$(grep -o 'Done [0-9]* runs in [0-9]* second' $$log | tail -n 1)"; \
			pass=$$((pass + 1)); \
		else \
			echo "FAIL fuzz-$$t: reproducer $$(ls -t $(FUZZ_DIR)/$$t-* 2>/dev/null | head -n 1)"; \
			grep -m 3 -E 'ERROR|SUMMARY|runtime error' $$log; \
			fail=$$((fail + 1)); \
		fi; \
	done; \
	echo "$$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# Keep the objects between runs (they are intermediate files of the pattern rules).
.SECONDARY: $(FUZZ_OBJS)
