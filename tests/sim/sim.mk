# Simulated host tier: the simsysfs FUSE daemon (tests/sim/simsysfs/*.c).
# Self-contained: links only libfuse3, not the project libraries.
SIMSYSFS_SRCS := $(wildcard tests/sim/simsysfs/*.c)
SIMSYSFS_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SIMSYSFS_SRCS))
$(BUILD)/tests/simsysfs: $(SIMSYSFS_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SIMSYSFS_OBJS) $(shell pkg-config --libs fuse3)
TEST_BINS += $(BUILD)/tests/simsysfs
