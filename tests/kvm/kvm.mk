# KVM-tier test programs built from the libraries (run on a real KVM, in
# the lab's L1 when the host has none: tests/lab/boot.sh packs them).
KVM_TEST_BINS := $(BUILD)/tests/kvm/vfvm-snaptest
$(BUILD)/tests/kvm/vfvm-snaptest: $(BUILD)/tests/kvm/snaptest.o $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBARS) $(LIBS)
TEST_BINS += $(KVM_TEST_BINS)
