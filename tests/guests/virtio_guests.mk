# virtio guest programs beyond guests.mk's list (built by its pattern rules).
TEST_BINS += $(BUILD)/guests/virtio_blk.bin $(BUILD)/guests/virtio_net.bin \
	$(BUILD)/guests/virtio_hostile.bin $(BUILD)/guests/pci_hostile.bin
# The virtio programs share their device discovery and setup (virtio_guest.c).
VIRTIO_GUEST_ELFS := $(patsubst %,$(BUILD)/guests/%.elf,virtio_rng virtio_blk virtio_net \
	virtio_hostile pci_hostile)
$(VIRTIO_GUEST_ELFS): GUEST_COMMON += $(BUILD)/guests/virtio_guest.o
$(VIRTIO_GUEST_ELFS): $(BUILD)/guests/virtio_guest.o
$(patsubst %.elf,%.o,$(VIRTIO_GUEST_ELFS)) $(BUILD)/guests/virtio_guest.o: \
	tests/guests/virtio_guest.h
