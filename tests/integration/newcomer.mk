# The newcomer's path (tests/integration/newcomer.py): make install into a
# temporary DESTDIR, the installed binary alone booting examples/c-kernel and
# examples/rust-kernel (when cargo is there), --version/--help, the man pages
# under mandoc -Tlint, bash completion, `mkbootimg info`, and the README's C
# tutorial run as written.
#
#   make check-newcomer

.PHONY: check-newcomer

check-newcomer: $(BUILD)/mkbootimg
	$(PYTHON) tests/integration/newcomer.py --make "$(MAKE)"
