#!/usr/bin/env bash
# KVM tier, cross-check: the same guest images under QEMU (TCG, no KVM
# needed) on this host, so the images depend on nothing vfvm-specific.
# virtio_hostile.bin is not among them: QEMU marks the device broken on a
# bad chain where vfvm fails just that request.
#   BUILD=build TIER=kvm-qemu bash tests/kvm/qemu-cases.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-qemu}
G=$BUILD/guests
out=$(mktemp)
img=$(mktemp /tmp/vfvm-qemu-blk.XXXXXX)
ns=vfvm-qemu-$$
cleanup() {
	rm -f "$out" "$img"
	ip netns del "$ns" 2> /dev/null
}
trap cleanup EXIT

. tests/kvm/lib.sh

command -v qemu-system-x86_64 > /dev/null ||
	cannot_run "qemu-system-x86_64 is not installed: make deps (qemu-system-x86)"
need_files "$G/hello.bin" "$G/virtio_rng.bin" "$G/virtio_blk.bin" "$G/virtio_net.bin"

Q=(qemu-system-x86_64 -M "microvm,pcie=on,rtc=off" -display none -serial stdio -no-reboot
	-m 16M -monitor none -device "isa-debug-exit,iobase=0x501,iosize=2")
case_run "qemu microvm: hello.bin unchanged" 1 'hello from 64-bit mode' -- \
	"${Q[@]}" -bios "$G/hello.bin"
case_run "qemu microvm: virtio_rng.bin unchanged (virtio-rng-pci, MSI-X)" 1 'virtio-rng ok' -- \
	"${Q[@]}" -bios "$G/virtio_rng.bin" -device virtio-rng-pci,disable-legacy=on

truncate -s 1M "$img"
printf 'vfvm-host-sector-0 marker' | dd of="$img" conv=notrunc 2> /dev/null
case_run "qemu microvm: virtio_blk.bin unchanged (virtio-blk-pci)" 1 \
	'sector 1 written, flushed, read back equal' 'virtio-blk ok' -- \
	"${Q[@]}" -bios "$G/virtio_blk.bin" -drive file="$img",format=raw,if=none,id=d0 \
	-device virtio-blk-pci,drive=d0,disable-legacy=on

# virtio-net against the host stack behind a tap, in a private netns
if tap_netns "$ns"; then
	case_run "qemu microvm: virtio_net.bin unchanged (virtio-net-pci on a tap)" 1 \
		'ICMP echo reply from 10.0.2.1, payload vfvm-guest-ping' 'virtio-net ok' -- \
		ip netns exec "$ns" "${Q[@]}" -bios "$G/virtio_net.bin" \
		-netdev tap,id=n0,ifname=vt0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,disable-legacy=on,mac=52:54:00:12:34:56,romfile=
else
	bad "qemu microvm: network namespace with a tap" "could not set it up (root needed)"
fi

echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
