# vfvm's side of tests/bench/bench_gpu_placement.sh: mmio_plan_build() on N
# GPUs, linked with the project's libraries like the unit tests.
$(BUILD)/tests/bench/plan_gpus: $(BUILD)/tests/bench/plan_gpus.o $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBARS) $(LIBS)

TEST_BINS += $(BUILD)/tests/bench/plan_gpus
