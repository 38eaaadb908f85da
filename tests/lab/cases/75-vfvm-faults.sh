# shellcheck shell=sh
# lab-case-timeout: 600
# Faults from the host under a running Linux L2 (issue 14's fault
# injection), one VM with a virtio-blk disk on a 3 MiB tmpfs, a virtio-net
# on a tap, an NVMe VF and an igb VF (both managed):
#  - the disk's filesystem fills while L2 writes: L2 gets an I/O error,
#    the data written before is intact, vfvm says which disk failed and
#    why (log and a disk-error event) and runs on;
#  - the tap is deleted while L2 sends: vfvm reports it once (log and a
#    net-backend-gone event) and runs on, L2 too;
#  - the NVMe PF's VF count set to 0 under the VM: vfctl refuses it naming
#    the VF; with --force the kernel asks vfvm for the VF (VFIO REQ), L2
#    lets go of it, the count becomes 0 and the VM runs on;
#  - the igb PF's driver unbound under the VM (its VFs go with it): the
#    same, the VM runs on;
#  - at the end L2 powers off with the same boot id: vfvm exits 0.
# Every step waits on what it needs (L2's console, sysfs, vfvm's log).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if [ "$LAB_HAS_IGB" != 1 ]; then
	skip vfvm-faults "QEMU without the igb device ($LAB_QEMU_VERSION): install QEMU >= 8 (bookworm-backports)"
	exit 0
fi
if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-faults "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	skip vfvm-faults "/dev/kvm or the L2 kernel/initrd"
	exit 0
fi
lab_nvme_one_vf vfvm-faults || exit 0
ipf=$(lab_igb_pf) || { fail vfvm-faults "no igb PF"; run vfctl vfs "$pf" 0; exit 0; }
run vfctl vfs "$ipf" 1
lab_wait "[ -e /sys/bus/pci/devices/$ipf/virtfn0/iommu_group ]" 10
ivf=$(lab_vf "$ipf" 0)
if [ -z "$ivf" ]; then
	fail vfvm-faults "no VF after vfctl vfs $ipf 1"
	run vfctl vfs "$pf" 0
	exit 0
fi
w=/tmp/vfvm-faults
rm -rf "$w"
mkdir -p "$w/small"
S=$w/api.sock
say mount -t tmpfs -o size=3m faults "$w/small"
say truncate -s 16M "$w/small/disk.img"
say ip tuntap add dev ft0 mode tap
say ip addr add 10.9.7.1/24 dev ft0
say ip link set ft0 up

cat > "$w/l2.sh" << 'EOF'
word() { read -r -t 300 w rest && [ "$w" = "$1" ]; }
drvnet() {
	for d in /sys/class/net/*; do
		[ "$(basename "$(readlink "$d/device/driver" 2> /dev/null)")" = "$1" ] && basename "$d"
	done
}
# until COND holds, up to 120 s
until_true() {
	i=0
	while ! eval "$1" && [ "$i" -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
	eval "$1"
}
until_true '[ -b /dev/vda ] && [ -b /dev/nvme0n1 ] && [ -n "$(drvnet igbvf)" ] && [ -n "$(drvnet virtio_net)" ]' ||
	{ echo "L2-DEVICES-MISSING $(ls /sys/class/net /dev | tr '\n' ' ')"; exit 1; }
boot=$(cat /proc/sys/kernel/random/boot_id)
echo "L2-READY $boot"
word disk || { echo "L2-NO-WORD disk"; exit 1; }
head -c 1048576 /dev/urandom > /tmp/p
dd if=/tmp/p of=/dev/vda bs=1M count=1 oflag=direct 2> /dev/null && echo "L2-DISK-WROTE"
dd if=/dev/zero of=/dev/vda bs=1M seek=2 count=8 oflag=direct 2> /tmp/dd.err
echo "L2-DISK-FULL rc=$? $(tail -n 1 /tmp/dd.err)"
dd if=/dev/vda of=/tmp/b bs=1M count=1 iflag=direct 2> /dev/null
if [ "$(sha256sum < /tmp/p)" = "$(sha256sum < /tmp/b)" ]; then echo "L2-DISK-KEPT ok"; else echo "L2-DISK-KEPT mismatch"; fi
word tap || { echo "L2-NO-WORD tap"; exit 1; }
v=$(drvnet virtio_net)
ip link set "$v" up
ip addr add 10.9.7.2/24 dev "$v"
ping -i 0.1 10.9.7.1 > /dev/null 2>&1 &
pp=$!
echo "L2-PINGING"
word tap-gone || { echo "L2-NO-WORD tap-gone"; exit 1; }
kill "$pp"
echo "L2-ALIVE-AFTER-TAP"
word vf-count || { echo "L2-NO-WORD vf-count"; exit 1; }
if until_true '[ ! -b /dev/nvme0n1 ]'; then echo "L2-NVME-GONE"; else echo "L2-NVME-STILL-THERE"; fi
word pf-unbind || { echo "L2-NO-WORD pf-unbind"; exit 1; }
if until_true '[ -z "$(drvnet igbvf)" ]'; then echo "L2-IGBVF-GONE"; else echo "L2-IGBVF-STILL-THERE"; fi
word end || { echo "L2-NO-WORD end"; exit 1; }
echo "L2-END $(cat /proc/sys/kernel/random/boot_id)"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"

rm -f "$w/console.in"
mkfifo "$w/console.in"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 256M --cpus 1 \\"
echo "       --disk $w/small/disk.img,id=d0 --net tap=ft0,id=n0 --device $vf,managed,id=nv0 \\"
echo "       --device $ivf,managed,id=ig0 --api-socket $S"
timeout 900 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 --disk "$w/small/disk.img,id=d0" \
	--net "tap=ft0,id=n0" --device "$vf,managed,id=nv0" --device "$ivf,managed,id=ig0" \
	--api-socket "$S" < "$w/console.in" > "$w/l2.log" 2> "$w/vfvm.err" &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE

cleanup() {
	kill "$epid" 2> /dev/null
	if vm_alive; then
		kill "$vpid"
		lab_wait "! vm_alive" 60
	fi
	[ -e "/sys/bus/pci/devices/$ipf/driver" ] || echo "$ipf" > /sys/bus/pci/drivers/igb/bind
	say ip link del ft0 2> /dev/null
	say umount "$w/small"
	run vfctl vfs "$ipf" 0
	run vfctl vfs "$pf" 0
}

if ! l2_wait L2-READY; then
	fail vfvm-faults-boot "L2 never got ready: $(grep L2- "$w/l2.log" | tail -n 2) (vfvm: $(tail -n 3 "$w/vfvm.err"))"
	tail -n 20 "$w/l2.log"
	cleanup
	exit 0
fi
boot=$(sed -n 's/.*L2-READY \([0-9a-f-]*\).*/\1/p' "$w/l2.log" | head -n 1)
pass vfvm-faults-boot
timeout 500 vfvm ctl "$S" events > "$w/events" 2>&1 &
epid=$!
lab_wait "[ -s '$w/events' ] || ! kill -0 $epid" 10

# --- the disk's filesystem fills
echo "lab# (L2 writes 1 MiB, then 8 MiB more to a 16 MiB image on a 3 MiB tmpfs)"
echo disk >&7
if l2_wait 'L2-DISK-KEPT' && grep -q 'L2-DISK-WROTE' "$w/l2.log" &&
	grep -q 'L2-DISK-FULL rc=[1-9]' "$w/l2.log" && grep -q 'L2-DISK-KEPT ok' "$w/l2.log"; then
	pass vfvm-faults-disk-full-guest
else
	fail vfvm-faults-disk-full-guest "L2: $(grep 'L2-DISK' "$w/l2.log" | tr '\r\n' '  ')"
fi
grep 'disk d0' "$w/vfvm.err"
if vm_alive && grep -q "disk d0: write at sector [0-9]* of $w/small/disk.img failed: No space left on device" "$w/vfvm.err" &&
	lab_wait "grep -q 'disk-error device=d0' '$w/events'" 10; then
	pass vfvm-faults-disk-full-reported
else
	fail vfvm-faults-disk-full-reported "vfvm alive: $(vm_alive && echo yes || echo no); log: $(grep 'disk' "$w/vfvm.err" | head -n 2); events: $(grep disk "$w/events")"
fi
if [ "$(grep -c 'disk d0: write' "$w/vfvm.err")" = 1 ]; then
	pass vfvm-faults-disk-full-once
else
	fail vfvm-faults-disk-full-once "$(grep -c 'disk d0: write' "$w/vfvm.err") reports of one kind of failure, want 1"
fi

# --- the tap is deleted while L2 sends
echo tap >&7
rx() { cat /sys/class/net/ft0/statistics/rx_packets 2> /dev/null || echo 0; }
if l2_wait L2-PINGING && lab_wait "[ \$(rx) -ge 5 ]" 60; then
	say ip link del ft0
	if lab_wait "grep -q 'net n0: tap ft0: .* failed' '$w/vfvm.err'" 30 && vm_alive &&
		lab_wait "grep -q 'net-backend-gone device=n0' '$w/events'" 10; then
		pass vfvm-faults-tap-gone-reported
		grep 'net n0' "$w/vfvm.err"
	else
		fail vfvm-faults-tap-gone-reported "vfvm alive: $(vm_alive && echo yes || echo no); log: $(tail -n 2 "$w/vfvm.err"); events: $(grep net "$w/events")"
	fi
	echo tap-gone >&7
	if l2_wait L2-ALIVE-AFTER-TAP; then
		pass vfvm-faults-tap-gone-guest-runs
	else
		fail vfvm-faults-tap-gone-guest-runs "L2 stopped answering after the tap went: $(tail -n 3 "$w/l2.log")"
	fi
else
	fail vfvm-faults-tap-gone-reported "L2 never sent through tap ft0 (rx $(rx))"
	echo tap-gone >&7
fi

# --- the NVMe PF's VF count set to 0 under the VM
run vfctl vfs "$pf" 0
if [ "$RC" = 1 ] && echo "$OUT" | grep -q "$vf) are bound to vfio-pci and may be in a VM" &&
	[ "$(cat "/sys/bus/pci/devices/$pf/sriov_numvfs")" = 1 ]; then
	pass vfvm-faults-vf-count-refused
else
	fail vfvm-faults-vf-count-refused "vfctl vfs $pf 0 under a VM: exit $RC, '$OUT'"
fi
echo "lab# timeout 120 vfctl vfs $pf 0 --force   (the VF in L2)"
timeout 120 vfctl vfs "$pf" 0 --force
fst=$?
echo vf-count >&7
if [ "$fst" = 0 ] && [ "$(cat "/sys/bus/pci/devices/$pf/sriov_numvfs")" = 0 ] &&
	l2_wait L2-NVME-GONE && vm_alive &&
	lab_wait "grep -q 'device-req device=nv0' '$w/events' && grep -q 'device-removed device=nv0' '$w/events'" 30; then
	pass vfvm-faults-vf-count-forced
else
	fail vfvm-faults-vf-count-forced "vfctl vfs --force exit $fst; numvfs $(cat "/sys/bus/pci/devices/$pf/sriov_numvfs"); L2: $(grep L2-NVME "$w/l2.log"); events: $(grep nv0 "$w/events" | tr '\n' ';')"
fi

# --- the igb PF's driver unbound under the VM
echo "lab# timeout 120 sh -c 'echo $ipf > /sys/bus/pci/drivers/igb/unbind'   (its VF in L2)"
timeout 120 sh -c "echo $ipf > /sys/bus/pci/drivers/igb/unbind"
ust=$?
echo pf-unbind >&7
if [ "$ust" = 0 ] && [ ! -e "/sys/bus/pci/devices/$ivf" ] && l2_wait L2-IGBVF-GONE && vm_alive &&
	lab_wait "grep -q 'device-removed device=ig0' '$w/events'" 30; then
	pass vfvm-faults-pf-unbound
else
	fail vfvm-faults-pf-unbound "unbind exit $ust; $ivf $([ -e "/sys/bus/pci/devices/$ivf" ] && echo still there); L2: $(grep L2-IGBVF "$w/l2.log"); events: $(grep ig0 "$w/events" | tr '\n' ';')"
fi
say sh -c "echo $ipf > /sys/bus/pci/drivers/igb/bind"

# --- L2 ends by itself: same boot, vfvm exits 0
echo end >&7
l2_wait L2-END
lab_wait "! vm_alive" 60
wait "$vpid"
vst=$?
if [ "$vst" = 0 ] && grep -q "L2-END $boot" "$w/l2.log"; then
	pass vfvm-faults-vm-survived
else
	fail vfvm-faults-vm-survived "vfvm exit $vst (want 0); L2: $(grep L2-END "$w/l2.log") (boot $boot); vfvm: $(tail -n 3 "$w/vfvm.err")"
fi
cleanup
