#!/usr/bin/env bash
# KVM tier, hot-plug cases (src/vmm/pci_hotplug.h, docs/api.md): hotplug.bin
# plays the guest side of ACPI PCI hot-plug by polling its registers, and
# `vfvm ctl` adds and removes virtio-blk disks in the running VM: ids, the
# guest seeing the device, remove-device waiting for the guest's eject and
# timing out when the guest ignores it, and the bad-input answers.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-hotplug}
VFVM=${KVM_VFVM:-$BUILD/vfvm}
G=${KVM_GUESTS:-$BUILD/guests}
dir=$(mktemp -d /tmp/vfvm-hotplug.XXXXXX)
out=$dir/out
log=$dir/vm.log
evlog=$dir/events.log
S=$dir/api.sock
vm_pid='' ev_pid=''
cleanup() {
	[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null
	[ -n "$ev_pid" ] && kill "$ev_pid" 2>/dev/null
	exec 3>&- 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

. tests/kvm/lib.sh

need_kvm
need_files "$VFVM" "$G/hotplug.bin"

# guest_says NAME PATTERN: the guest printed PATTERN
guest_says() {
	if wait_for "$2" "$log"; then
		ok "$1"
	else
		cp "$log" "$out"
		bad "$1" "the guest never printed /$2/"
	fi
}

truncate -s 1M "$dir/d1.img" "$dir/d2.img" "$dir/d3.img"
mkfifo "$dir/in"
timeout 300 "$VFVM" run --mem 16M --firmware "$G/hotplug.bin" --api-socket "$S" \
	--disk "$dir/d3.img,id=boot-disk" --debug-exit <"$dir/in" >"$log" 2>&1 &
vm_pid=$!
exec 3>"$dir/in"
if ! wait_for 'hotplug: ready' "$log" || [ ! -S "$S" ]; then
	cp "$log" "$out"
	bad "hotplug: vfvm up" "the guest never got ready"
	echo "$TIER: $pass passed, $fail failed"
	exit 1
fi
timeout 100 "$VFVM" ctl "$S" events >"$evlog" 2>&1 </dev/null &
ev_pid=$!

ctl_case "hotplug: a boot device keeps the id= its SPEC gives" 0 '^  boot-disk +virtio-blk' -- \
	"$S" info
ctl_case "hotplug: add-device of a disk with id=d1" 0 '^added d1$' -- \
	"$S" add-device "$dir/d1.img,id=d1"
guest_says "hotplug: the guest sees the new slot answer (virtio vendor)" \
	'hotplug: plugged slot 0x.. vendor 0x1af4'
ctl_case "hotplug: info lists d1" 0 '^  d1 +virtio-blk +guest 0000:00:0' -- "$S" info
ctl_case "hotplug: a second device with the same id is refused, naming it" 1 'id=d1' -- \
	"$S" add-device "$dir/d2.img,id=d1"
ctl_case "hotplug: a disk that does not exist is refused, naming it" 1 "$dir/nope.img" -- \
	"$S" add-device --disk "$dir/nope.img,id=d9"
ctl_case "hotplug: remove-device d1 waits for the guest's eject" 0 '^removed d1$' -- \
	"$S" remove-device d1
guest_says "hotplug: the slot is empty after the eject" 'hotplug: ejected; empty slot'
ctl_case "hotplug: info no longer lists d1" 0 '^devices: 1$' -- "$S" info
ctl_case "hotplug: removing d1 again: no such id" 1 "no device has id 'd1'" -- \
	"$S" remove-device d1
ctl_case "hotplug: add-device d2 after d1 left" 0 '^added d2$' -- \
	"$S" add-device --disk "$dir/d2.img,id=d2"
guest_says "hotplug: the guest sees d2" 'hotplug: plugged slot .* vendor 0x1af4'
ctl_case "hotplug: remove-device times out when the guest does not let go" 1 \
	'd2: the guest has not let go of it within 1.0 s' -- "$S" remove-device d2 --timeout 1
ctl_case "hotplug: info shows the pending unplug" 0 'd2 .*\(unplug requested\)' -- "$S" info
ctl_case "hotplug: a second request while one is pending is refused" 1 \
	'd2: its removal is under way already' -- "$S" remove-device d2
guest_says "hotplug: the guest saw the request it ignores" 'hotplug: ignoring that request'
echo go >&3
wait "$vm_pid"
st=$?
vm_pid=''
cp "$log" "$out"
if [ "$st" -eq 0 ] && grep -q 'hotplug: done' "$log"; then
	ok "hotplug: the guest powers off, vfvm exits 0"
else
	bad "hotplug: the guest powers off, vfvm exits 0" "exit status $st"
fi
wait "$ev_pid"
ev_pid=''
cp "$evlog" "$out"
if grep -q '^device-added device=d1' "$evlog" && grep -q '^unplug-requested device=d1' "$evlog" &&
	grep -q '^device-removed device=d1' "$evlog" && grep -q '^device-added device=d2' "$evlog"; then
	ok "hotplug: events: device-added, unplug-requested, device-removed"
else
	bad "hotplug: events: device-added, unplug-requested, device-removed" "not all seen"
fi
echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
