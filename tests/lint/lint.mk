# make lint: cppcheck and clang-tidy on the host tool (tool/**/*.c), cppcheck on
# the loader (bootloader/**/*.c); all must be clean. scripts/deps.sh installs
# them as optional tools.
# Suppressions are for noise only, each with its reason: tests/lint/cppcheck.supp
# and the check list below.

CPPCHECK   ?= cppcheck
CLANG_TIDY ?= clang-tidy
# The tool's C wherever it lies under tool/, each folder on the include path.
LINT_TOOL_C := $(sort $(wildcard tool/*.c tool/*/*.c))
LINT_TOOL_I := -Iinclude $(patsubst %/,-I%,$(sort $(dir $(LINT_TOOL_C))))
LINT_FLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(LINT_TOOL_I) -DMKB_VERSION='"$(VERSION)"' \
	      $(shell $(PKG_CONFIG) --cflags libelf)

# The loader's C, with the -D and -I of its build (bootloader.mk) and the
# core's folder, which every loader file may include. Stage 2 is built with
# gcc -m16, a 32-bit data model (cppcheck --platform=unix32); the core is
# also built for 64-bit hosts and UEFI, so it is checked as unix64 too.
LINT_LOADER_C    := $(sort $(wildcard bootloader/*.c bootloader/*/*.c bootloader/*/*/*.c))
LINT_CORE_C      := $(sort $(wildcard bootloader/core/*.c bootloader/core/*/*.c))
LINT_LOADER_FLAGS = $(filter -I% -D%,$(LOADER_CFLAGS)) -Ibootloader/core -Ibootloader/common
LINT_CPPCHECK := $(CPPCHECK) -q --enable=warning,portability,performance --std=c11 --error-exitcode=1 \
		 --suppressions-list=tests/lint/cppcheck.supp

# clang-tidy: the static analyzer and bugprone, without
#  - easily-swappable-parameters, reserved-identifier, narrowing-conversions,
#    implicit-widening-of-multiplication-result, assignment-in-if-condition:
#    style, not bugs (sizes here are far below 2^31; `if ((fd = open()) < 0)` is the idiom)
#  - insecureAPI.DeprecatedOrUnsafeBufferHandling: wants Annex K (memcpy_s), which glibc lacks
#  - valist.Uninitialized: clang 14 false positive for va_start + vsnprintf + va_end
#  - core.NonNullParamChecker, core.NullDereference, core.UndefinedBinaryOperatorResult,
#    optin.portability.UnixAPI: reviewed, each a path the
#    analyzer invents because it cannot see that mkb_fail() (util.c) always returns -1
#    or that a buffer was grown before use (cargo.c text_add, qemu-command.c user_has,
#    plan.c place_physical)
#  - sizeof-expression: plan.c allocates arrays of pointers with sizeof *p on purpose
LINT_TIDY_CHECKS := -*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,\
-bugprone-reserved-identifier,-bugprone-narrowing-conversions,\
-bugprone-implicit-widening-of-multiplication-result,-bugprone-assignment-in-if-condition,\
-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-clang-analyzer-valist.Uninitialized,\
-clang-analyzer-core.NonNullParamChecker,-clang-analyzer-core.NullDereference,\
-clang-analyzer-core.UndefinedBinaryOperatorResult,\
-clang-analyzer-optin.portability.UnixAPI,-bugprone-sizeof-expression

.PHONY: lint
lint:
	@command -v $(CPPCHECK) >/dev/null || { echo "lint: $(CPPCHECK) not found (make deps)"; exit 1; }
	@command -v $(CLANG_TIDY) >/dev/null || { echo "lint: $(CLANG_TIDY) not found (make deps)"; exit 1; }
	$(LINT_CPPCHECK) -D_POSIX_C_SOURCE=200809L $(LINT_TOOL_I) $(LINT_TOOL_C)
	$(CLANG_TIDY) -quiet --warnings-as-errors='*' --checks='$(LINT_TIDY_CHECKS)' $(LINT_TOOL_C) -- $(LINT_FLAGS)
	$(LINT_CPPCHECK) --platform=unix32 $(LINT_LOADER_FLAGS) $(LINT_LOADER_C)
	$(LINT_CPPCHECK) --platform=unix64 $(LINT_LOADER_FLAGS) $(LINT_CORE_C)
	@echo "lint: cppcheck and clang-tidy clean (tool), cppcheck clean (loader)"

# make check runs the lint when both tools are there (make deps installs them).
.PHONY: check-lint
check-lint:
	@if command -v $(CPPCHECK) >/dev/null && command -v $(CLANG_TIDY) >/dev/null; then \
		$(MAKE) --no-print-directory lint; \
	else \
		echo "SKIP lint: $(CPPCHECK) or $(CLANG_TIDY) not installed (make deps installs them)"; \
	fi
