#!/usr/bin/env bash
# KVM tier, virtio cases: guest programs drive virtio-blk and virtio-net in
# vfvm on this machine's /dev/kvm (the host's or the lab L1's); each case checks the guest's serial
# output, vfvm's exit status and what the host sees afterwards (the image
# file, the tap's counters).  virtio-rng is covered by tests/kvm/run.sh.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-virtio}
VFVM=${KVM_VFVM:-$BUILD/vfvm}
G=${KVM_GUESTS:-$BUILD/guests}
out=$(mktemp)
img=$(mktemp /tmp/vfvm-virtio-blk.XXXXXX)
ns=vfvm-virtio-$$
cleanup() {
	rm -f "$out" "$img"
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT

. tests/kvm/lib.sh
# iproute2's ip by its path: under timeout(1), busybox (in the lab's L1)
# would run its own ip applet, which has no netns
IP=$(command -v ip)

# check NAME COMMAND...: a host-side check after a run
check() {
	local name=$1
	shift
	if "$@" >"$out" 2>&1; then ok "$name"; else bad "$name" "check failed: $*"; fi
}

need_kvm
need_files "$VFVM" "$G/virtio_blk.bin" "$G/virtio_net.bin" "$G/virtio_hostile.bin" "$G/pci_hostile.bin"

# --debug-exit: a guest program reports a failure as status 64 + N
R=(run --debug-exit --mem 16M --firmware)
sector() { dd if="$img" bs=512 skip="$1" count=1 2>/dev/null | head -c "$2"; }

# --- virtio-blk: guest reads the host's marker, writes sector 1, flushes, reads back
truncate -s 1M "$img"
printf 'vfvm-host-sector-0 marker' | dd of="$img" conv=notrunc 2>/dev/null
case_run "virtio_blk: read, write, flush, GET_ID, read past end" 3 \
	'capacity 2048 sectors, block size 512' 'sector 0: vfvm-host-sector-0 marker' \
	'sector 1 written, flushed, read back equal' 'serial vfvm' \
	'read past the end: IOERR' 'virtio-blk ok' -- \
	"$VFVM" "${R[@]}" "$G/virtio_blk.bin" --disk "$img"
check "virtio_blk: guest's sector 1 is in the image after vfvm exited" \
	test "$(sector 1 19)" = vfvm-guest-sector-1

# --- read-only: the write is refused and the image is unchanged
truncate -s 0 "$img"
truncate -s 1M "$img"
printf 'vfvm-host-sector-0 marker' | dd of="$img" conv=notrunc 2>/dev/null
before=$(md5sum <"$img")
case_run "virtio_blk ro: RO offered, write refused with IOERR" 3 \
	'block size 512, read-only' 'write refused with IOERR' 'virtio-blk ok' -- \
	"$VFVM" "${R[@]}" "$G/virtio_blk.bin" --disk "$img,ro"
check "virtio_blk ro: image unchanged" test "$(md5sum <"$img")" = "$before"

# --- hostile driver: bad chains fail alone, a bad head breaks the device until reset
case_run "virtio hostile: loops, buffers outside RAM, wrong order fail with len 0" 3 \
	'looping chain: used len 0' 'self-referencing descriptor: used len 0' \
	'buffer past the end of RAM: used len 0' 'buffer on the ECAM window: used len 0' \
	'buffer wrapping the address space: used len 0' 'readable after writable: used len 0' \
	'next index beyond the table: used len 0' 'good request after the bad ones: used len 16' -- \
	"$VFVM" "${R[@]}" "$G/virtio_hostile.bin" --rng
case_run "virtio hostile: bad head -> DEVICE_NEEDS_RESET, works after reset" 3 \
	'head beyond the queue: DEVICE_NEEDS_RESET' 'good request after reset: used len 16' \
	'status bits cleared without reset: DEVICE_NEEDS_RESET' \
	'good request after the status abuse and a reset: used len 16' \
	'hostile driver survived, device ok' -- \
	"$VFVM" "${R[@]}" "$G/virtio_hostile.bin" --rng
case_run "virtio hostile: indirect tables refused until negotiated, each malformed one fails alone" 3 \
	'indirect table without INDIRECT_DESC: used len 0' 'indirect table, good: used len 16' \
	'indirect table inside an indirect table: used len 0' 'looping indirect table: used len 0' \
	'indirect next beyond the table: used len 0' \
	'indirect table length not a multiple of 16: used len 0' \
	'indirect table of length 0: used len 0' 'indirect table of 64K entries: used len 0' \
	'indirect table past the end of RAM: used len 0' 'misaligned indirect table: used len 0' \
	'indirect descriptor with NEXT: used len 0' 'indirect descriptor not at the head: used len 0' \
	'indirect table, good after the bad ones: used len 16' -- \
	"$VFVM" "${R[@]}" "$G/virtio_hostile.bin" --rng

# --- hostile PCI programming: MSI-X at every offset, BARs moved onto RAM,
# another BAR, ECAM and the top of the space, the config window abused
case_run "pci hostile: MSI-X table/PBA at every offset, BARs onto RAM/BAR/ECAM, config window" 3 \
	'MSI-X table and PBA written at every offset and size; vector 0 reads back' \
	'BAR moved onto guest RAM: RAM stayed RAM; the device works moved back' \
	'BAR moved onto another device.s BAR: both work moved back' \
	'BAR moved onto the ECAM window and to the top of the address space: device ok' \
	'config window: bad BAR, offset and length ignored; a good access matches the BAR' \
	'hostile PCI driver survived, devices ok' -- \
	"$VFVM" "${R[@]}" "$G/pci_hostile.bin" --rng --disk "$img"

# --- bad --disk / --net options: clear errors, status 1
case_run "virtio_blk: missing image named in the error" 1 \
	'--disk: open /nonexistent/vfvm.img: No such file or directory' -- \
	"$VFVM" "${R[@]}" "$G/virtio_blk.bin" --disk /nonexistent/vfvm.img
case_run "virtio_blk: unknown --disk option (usage error)" 2 "unknown option 'rx'" -- \
	"$VFVM" "${R[@]}" "$G/virtio_blk.bin" --disk "$img,rx"
case_run "virtio_net: multicast MAC refused (usage error)" 2 "bad MAC address '01:00:5e:00:00:01'" -- \
	"$VFVM" "${R[@]}" "$G/virtio_net.bin" --net tap=vt0,mac=01:00:5e:00:00:01
case_run "virtio_net: --net without a tap name (usage error)" 2 'no tap name' -- \
	"$VFVM" "${R[@]}" "$G/virtio_net.bin" --net mac=52:54:00:00:00:01

# --- virtio-net: ARP + ICMP echo with the host stack behind a tap, in a private netns
if tap_netns "$ns"; then
	case_run "virtio_net: ARP and ping with the host over a tap" 3 \
		'mac 52:54:00:12:34:56, link up' 'ARP reply: 10.0.2.1 is at' \
		'ICMP echo reply from 10.0.2.1, payload vfvm-guest-ping' 'virtio-net ok' -- \
		"$IP" netns exec "$ns" "$VFVM" "${R[@]}" "$G/virtio_net.bin" \
		--net tap=vt0,mac=52:54:00:12:34:56
	# The host counted the guest's frames (tap rx = guest tx): ARP + echo at least.
	rx=$(ip -n "$ns" -s -j link show vt0 2>/dev/null |
		sed -n 's/.*"rx":{"bytes":[0-9]*,"packets":\([0-9]*\).*/\1/p')
	check "virtio_net: host saw the guest's frames on the tap (rx packets ${rx:-?})" \
		test "${rx:-0}" -ge 2
else
	bad "virtio_net: network namespace with a tap" "could not set it up"
fi

echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
