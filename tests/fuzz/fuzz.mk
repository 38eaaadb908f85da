# Fuzz targets: tests/fuzz/fuzz_<name>.c, one libFuzzer program each, built
# with clang, ASan and UBSan into build-fuzz/ (libraries included, so the
# fuzzer sees coverage of the project's own code).  Not part of `make all`:
#   make fuzz [FUZZ_SECONDS=60]   build, then run every target that long
#   make fuzz-build               build only
# tests/fuzz/run.sh does the running and prints "fuzz: N passed, N failed".
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
# -fsanitize=fuzzer-no-link instruments every object for coverage; only the
# final link adds libFuzzer's main.  clang calls a GNU variable-sized struct
# in the middle of another one an extension: GCC's build already vets that code.
FUZZ_SANITIZE := -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g -Wno-gnu-variable-sized-type-not-at-end

# Targets that link the unit tests' fake VFIO device and interrupt source
# (tests/unit/helpers/fake_vfio.c): no ioctl reaches the kernel.
FUZZ_WITH_FAKES := msix pci_host vfio_config
$(foreach t,$(FUZZ_WITH_FAKES),$(eval FUZZ_EXTRA_$(t) := $(BUILD)/tests/unit/helpers/fake_vfio.o))
$(BUILD)/tests/fuzz/%.o: ALL_CFLAGS += -Itests/unit

define fuzz_rules
$(BUILD)/tests/fuzz/fuzz_$(1): $(BUILD)/tests/fuzz/fuzz_$(1).o $$(FUZZ_EXTRA_$(1)) $(LIBARS)
	@mkdir -p $$(@D)
	$$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $$@ $$< $$(FUZZ_EXTRA_$(1)) $(LIBARS) $(LIBS)
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call fuzz_rules,$(t))))

fuzz-bins: $(foreach t,$(FUZZ_NAMES),$(BUILD)/tests/fuzz/fuzz_$(t))

fuzz-build:
	@bash tests/fuzz/toolchain.sh
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="$(FUZZ_CFLAGS)" SANITIZE="$(FUZZ_SANITIZE)" \
		fuzz-bins

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz/run.sh

.PHONY: fuzz fuzz-build fuzz-bins
