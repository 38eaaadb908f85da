# The emulated lab's helper programs (run inside L1; see tests/lab/README.md).
LAB_TOOLS := $(BUILD)/tests/lab/lab-nvme-virt
$(BUILD)/tests/lab/lab-nvme-virt: $(BUILD)/tests/lab/nvme_virt_tool.o $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBARS) $(LIBS)
LAB_TOOLS += $(BUILD)/tests/lab/lab-migrate
$(BUILD)/tests/lab/lab-migrate: $(BUILD)/tests/lab/migrate_tool.o $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBARS) $(LIBS)
LAB_TOOLS += $(BUILD)/tests/lab/lab-vfio-probe
$(BUILD)/tests/lab/lab-vfio-probe: $(BUILD)/tests/lab/vfio_probe_tool.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $<
TEST_BINS += $(LAB_TOOLS)
