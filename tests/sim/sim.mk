# Simulated host tier: the simsysfs FUSE daemon (tests/sim/simsysfs/*.c).
# It stands in for the kernel, so it links libfuse3 and only the ground
# library (src/lib: the one PCI address parser), none of vfctl's logic.
SIMSYSFS_SRCS := $(wildcard tests/sim/simsysfs/*.c)
SIMSYSFS_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SIMSYSFS_SRCS))
$(BUILD)/tests/simsysfs: $(SIMSYSFS_OBJS) $(call libname,src/lib)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SIMSYSFS_OBJS) $(call libname,src/lib) \
		$(shell pkg-config --libs fuse3)
TEST_BINS += $(BUILD)/tests/simsysfs

# vfctl as the sim tier runs it: the same front end with the netlink
# backend that can pick the recording fake (tests/sim/vfctl_netlink.c in
# place of tools/vfctl/netlink.c).  The installed vfctl has no fake in it.
VFCTL_SIM_OBJS := $(filter-out $(BUILD)/tools/vfctl/netlink.o,$(vfctl_OBJS)) \
	$(BUILD)/tests/sim/vfctl_netlink.o $(FAKE_OBJS)
$(BUILD)/tests/vfctl-sim: $(VFCTL_SIM_OBJS) $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(VFCTL_SIM_OBJS) $(LIBARS) $(LIBS)
$(BUILD)/tests/sim/vfctl_netlink.o: ALL_CFLAGS += -Itools/vfctl
TEST_BINS += $(BUILD)/tests/vfctl-sim
