# Unit tests (cmocka): one binary per tool module, linked with the module
# objects (not main.c), and one per host-testable loader module.
# `make check-unit` runs them all and ends with "N passed, N failed".
#
# Every tests/unit/NAME-test.c is built and run: the loader's tests (below)
# are set apart, every other one is a tool test. Nothing lists them, so a new
# test file cannot be left out.
UNIT_ALL_TESTS := $(patsubst tests/unit/%-test.c,%,$(wildcard tests/unit/*-test.c))

# The loader's core is tested on the host too: tests/unit/core-X-test.c for
# bootloader/core/X.c, each linked with the whole core compiled for the host
# and a fake platform (tests/unit/core-platform.c: memory in a host buffer,
# a disk of sectors in memory).
UNIT_LOADER_TESTS := $(patsubst tests/unit/%-test.c,%,$(wildcard tests/unit/core-*-test.c))
UNIT_LOADER_CORE  := $(patsubst bootloader/core/%.c,$(BUILD)/tests/unit/core/%.o,$(wildcard bootloader/core/*.c)) \
		     $(BUILD)/tests/unit/core-platform.o
UNIT_TESTS  := $(filter-out $(UNIT_LOADER_TESTS),$(UNIT_ALL_TESTS))
UNIT_BINS   := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%-test) \
               $(UNIT_LOADER_TESTS:%=$(BUILD)/tests/unit/%-test)
UNIT_CFLAGS := $(TOOL_CFLAGS) $(TOOL_INCLUDES) $(shell $(PKG_CONFIG) --cflags cmocka)
UNIT_LIBS   := $(TOOL_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

.PHONY: check-unit
check-unit: $(UNIT_BINS)
	@pass=0; fail=0; skip=0; \
	for t in $(UNIT_BINS); do \
		out=$$(CMOCKA_MESSAGE_OUTPUT=STDOUT $$t 2>&1); rc=$$?; printf '%s\n' "$$out"; \
		p=$$(printf '%s\n' "$$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p'); \
		f=$$(printf '%s\n' "$$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p'); \
		s=$$(printf '%s\n' "$$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p'); \
		pass=$$((pass + $${p:-0})); fail=$$((fail + $${f:-0})); skip=$$((skip + $${s:-0})); \
		if [ $$rc -ne 0 ] && [ -z "$$f" ]; then \
			echo "$$t: exited with status $$rc"; fail=$$((fail + 1)); \
		fi; \
	done; \
	if [ $$skip -ne 0 ]; then echo "($$skip skipped)"; fi; \
	echo "$$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

UNIT_LOADER_OBJS := $(UNIT_LOADER_TESTS:%=$(BUILD)/tests/unit/%-test.o) $(UNIT_LOADER_CORE)
UNIT_OBJS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%-test.o) $(BUILD)/tests/unit/elf-builder.o \
	     $(UNIT_LOADER_OBJS)

$(UNIT_TESTS:%=$(BUILD)/tests/unit/%-test): $(BUILD)/tests/unit/%-test: \
		$(BUILD)/tests/unit/%-test.o $(BUILD)/tests/unit/elf-builder.o $(TOOL_MODULE_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(UNIT_LIBS)

$(UNIT_LOADER_TESTS:%=$(BUILD)/tests/unit/%-test): $(BUILD)/tests/unit/%-test: \
		$(BUILD)/tests/unit/%-test.o $(UNIT_LOADER_CORE)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(UNIT_LIBS)

# The core's headers, not the tool's (both have a multiboot.h).
$(UNIT_LOADER_OBJS): UNIT_CFLAGS := $(filter-out $(TOOL_INCLUDES),$(UNIT_CFLAGS)) -Ibootloader/core

$(filter-out $(BUILD)/tests/unit/core/%,$(UNIT_OBJS)): $(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -MMD -MP -c -o $@ $<

$(filter $(BUILD)/tests/unit/core/%,$(UNIT_LOADER_CORE)): $(BUILD)/tests/unit/core/%.o: bootloader/core/%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -MMD -MP -c -o $@ $<

# Rebuilt when their flags change (FLAGS_STAMP, Makefile).
$(eval $(call FLAGS_STAMP,unit,CC UNIT_CFLAGS LDFLAGS UNIT_LIBS))
# (The loader tests' binaries are relinked when their objects are rebuilt.)
$(UNIT_OBJS) $(UNIT_TESTS:%=$(BUILD)/tests/unit/%-test): $(FLAGS_DIR)/unit

-include $(UNIT_OBJS:.o=.d)
