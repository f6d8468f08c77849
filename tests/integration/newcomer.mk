# The newcomer's path (tests/integration/newcomer.py): make install into a
# temporary DESTDIR (and again with another PREFIX: the pkg-config file must
# follow), the installed binary alone booting examples/c-kernel and
# examples/rust-kernel (cargo run and cargo test, when cargo is there),
# --version/--help, the man pages under mandoc -Tlint, bash completion,
# `mkbootimg info`, and the README: its links, docs/SPEED.md and
# docs/HACKING.md, its tutorials' files against examples/, and the C
# tutorial's sh blocks run as written.
#
#   make check-newcomer

.PHONY: check-newcomer

check-newcomer: $(BUILD)/mkbootimg
	$(PYTHON) tests/integration/newcomer.py --qemu $(QEMU) --make "$(MAKE)" --build "$(BUILD)"
