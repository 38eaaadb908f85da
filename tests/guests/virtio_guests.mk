# virtio guest programs beyond guests.mk's list (built by its pattern rules).
TEST_BINS += $(BUILD)/guests/virtio_blk.bin $(BUILD)/guests/virtio_net.bin \
	$(BUILD)/guests/virtio_hostile.bin
