# Guest programs for the KVM tier: 64 KiB flat images run with
# `vfvm run --firmware X` and unchanged with `qemu-system-x86_64 -bios X`.
GUEST_NAMES := hello poweroff pciscan virtio_rng acpi_button echo bench debug_exit hotplug counter triple_fault \
	dirtier ring_dirtier
GUEST_CFLAGS := -O2 -m64 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector \
	-mgeneral-regs-only -mno-sse -mno-mmx -mno-red-zone -mcmodel=small \
	-fno-asynchronous-unwind-tables $(WARNINGS) -Itests/guests
GUEST_BINS := $(patsubst %,$(BUILD)/guests/%.bin,$(GUEST_NAMES))
GUEST_COMMON := $(BUILD)/guests/start.o $(BUILD)/guests/lib.o $(BUILD)/guests/pcilib.o

$(BUILD)/guests/%.o: tests/guests/%.c tests/guests/guest.h tests/guests/pci.h
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(BUILD)/guests/start.o: tests/guests/start.S
	@mkdir -p $(@D)
	$(CC) -m64 -c -o $@ $<

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o $(GUEST_COMMON) tests/guests/guest.ld
	$(CC) -m64 -nostdlib -static -no-pie -Wl,--build-id=none -T tests/guests/guest.ld \
		-o $@ $(GUEST_COMMON) $<

$(BUILD)/guests/bench.elf: tests/guests/bench.S tests/guests/guest.ld
	@mkdir -p $(@D)
	$(CC) -m64 -c -o $(BUILD)/guests/bench.o $<
	$(CC) -m64 -nostdlib -static -no-pie -Wl,--build-id=none -T tests/guests/guest.ld \
		-o $@ $(BUILD)/guests/bench.o

$(BUILD)/guests/%.bin: $(BUILD)/guests/%.elf
	objcopy -O binary $< $@
	@test $$(stat -c %s $@) -eq 65536 || { echo "$@ is not 64 KiB"; rm -f $@; exit 1; }

# Bare KVM floor for the startup benchmark.
$(BUILD)/tests/bench/kvm_floor: tests/bench/kvm_floor.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARNINGS) -o $@ $<

TEST_BINS += $(GUEST_BINS) $(BUILD)/tests/bench/kvm_floor
