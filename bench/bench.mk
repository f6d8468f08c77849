# make bench: loader overhead as ratios against floors, measured in one run.
# Results: build/bench/results.md.

BENCH_DIR := $(BUILD)/bench

# The floor boot sector, padded to one 16x63 cylinder like every image
# (SeaBIOS refuses smaller disks).
$(BENCH_DIR)/floor-exit.img: bench/floor-exit.asm
	@mkdir -p $(@D)
	$(NASM) -f bin $< -o $@
	truncate -s $$((16 * 63 * 512)) $@

.PHONY: bench
bench: $(BENCH_DIR)/floor-exit.img $(TEST_KERNELS)/tiny.img
	$(PYTHON) bench/bench.py $(BENCH_DIR) $(BENCH_DIR)/floor-exit.img $(TEST_KERNELS)/tiny.img
	@echo "loader: $$(wc -c < $(LOADER_DIR)/loader.bin) bytes (stage 1 + stage 2)" | tee -a $(BENCH_DIR)/results.md
