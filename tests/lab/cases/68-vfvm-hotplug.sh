# shellcheck shell=sh
# lab-case-timeout: 600 (boots Linux in L2 more than once)
# Driving a running Linux L2 through vfvm's control API (docs/api.md):
#  - add-device of an NVMe VF (,managed,id=vf0) into the running guest:
#    L2's nvme driver finds it (ACPI hot-plug, acpiphp) and data written
#    through it reads back with the same checksum;
#  - info lists it with its host BDF;
#  - remove-device vf0 waits for L2 to let go, and the VF is back on the
#    host's nvme driver; L2 keeps running and no longer has the disk;
#  - the host unbinding a hot-added VF from vfio-pci (VFIO REQ) unplugs it
#    from L2, which runs on;
#  - a virtio-net and a virtio-blk disk (whose contents L2 checks) added and
#    removed;
#  - bad input: a device the host uses, an unknown id, removing twice.
# Every step waits on what it needs (L2's console lines, the host driver),
# with a bound, never on time alone.  remove-device latencies are printed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-hotplug "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	skip vfvm-hotplug "/dev/kvm or the L2 kernel/initrd"
	exit 0
fi
e=$(lab_e1000e) || { fail vfvm-hotplug "no e1000e in L1"; exit 0; }
lab_nvme_one_vf vfvm-hotplug || exit 0
orig=$(lab_driver "$vf")
w=/tmp/vfvm-hotplug
mkdir -p "$w"
S=$w/api.sock

cat > "$w/l2.sh" << 'EOF'
# wait_dev DEV: up to 60 s for a block device to appear (or go: wait_dev ! DEV)
wait_dev() {
	i=0
	while [ "$i" -lt 120 ]; do
		if [ "$1" = "!" ]; then [ -b "$2" ] || return 0; else [ -b "$1" ] && return 0; fi
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
word() { read -r -t 300 w rest && [ "$w" = "$1" ]; }
echo "L2-READY"
word nvme-added || { echo "L2-NO-WORD nvme-added"; exit 1; }
wait_dev /dev/nvme0n1 || { echo "L2-NVME-NONE"; ls /sys/bus/pci/devices; exit 1; }
head -c 1048576 /dev/urandom > /tmp/pat
dd if=/tmp/pat of=/dev/nvme0n1 bs=4096 seek=512 count=256 oflag=direct 2> /dev/null
dd if=/dev/nvme0n1 of=/tmp/back bs=4096 skip=512 count=256 iflag=direct 2> /dev/null
if [ "$(sha256sum < /tmp/pat)" = "$(sha256sum < /tmp/back)" ]; then
	echo "L2-NVME-IO ok $(sha256sum < /tmp/pat | cut -c1-16)"
else
	echo "L2-NVME-IO mismatch"
fi
word nvme-removed || { echo "L2-NO-WORD nvme-removed"; exit 1; }
if wait_dev ! /dev/nvme0n1; then echo "L2-NVME-GONE"; else echo "L2-NVME-STILL-THERE"; fi
word nvme2-added || { echo "L2-NO-WORD nvme2-added"; exit 1; }
wait_dev /dev/nvme0n1 && echo "L2-NVME2-THERE"
word req-done || { echo "L2-NO-WORD req-done"; exit 1; }
if wait_dev ! /dev/nvme0n1; then echo "L2-NVME2-GONE"; else echo "L2-NVME2-STILL-THERE"; fi
word net-added || { echo "L2-NO-WORD net-added"; exit 1; }
vnet() {
	for d in /sys/class/net/*; do
		[ "$(basename "$(readlink "$d/device/driver" 2> /dev/null)")" = virtio_net ] && basename "$d"
	done
}
i=0
while [ -z "$(vnet)" ] && [ "$i" -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
echo "L2-NET $(vnet) $(cat "/sys/class/net/$(vnet)/address" 2> /dev/null)"
word net-removed || { echo "L2-NO-WORD net-removed"; exit 1; }
i=0
while [ -n "$(vnet)" ] && [ "$i" -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
[ -z "$(vnet)" ] && echo "L2-NET-GONE"
word disk-added || { echo "L2-NO-WORD disk-added"; exit 1; }
want=$rest
wait_dev /dev/vda || { echo "L2-DISK-NONE"; exit 1; }
got=$(head -c 1048576 /dev/vda | sha256sum | cut -c1-64)
if [ "$got" = "$want" ]; then echo "L2-DISK ok"; else echo "L2-DISK mismatch $got"; fi
word disk-removed || { echo "L2-NO-WORD disk-removed"; exit 1; }
if wait_dev ! /dev/vda; then echo "L2-DISK-GONE"; else echo "L2-DISK-STILL-THERE"; fi
echo "L2-ALIVE"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"
head -c 1048576 /dev/urandom > "$w/disk.img"
dsum=$(sha256sum < "$w/disk.img" | cut -c1-64)

rm -f "$w/console.in"
mkfifo "$w/console.in"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 256M --cpus 1 --api-socket $S"
timeout 900 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 --api-socket "$S" \
	< "$w/console.in" > "$w/l2.log" 2> "$w/vfvm.err" &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE

if ! l2_wait L2-READY; then
	fail vfvm-hotplug-boot "L2 never got ready (vfvm: $(tail -n 3 "$w/vfvm.err"))"
	tail -n 20 "$w/l2.log"
	kill "$vpid" 2> /dev/null
	run vfctl vfs "$pf" 0
	exit 0
fi
pass vfvm-hotplug-boot

# --- NVMe VF
run vfvm ctl "$S" add-device "$vf,managed,id=vf0"
if [ "$RC" = 0 ] && [ "$OUT" = "added vf0" ] && [ "$(lab_driver "$vf")" = vfio-pci ]; then
	pass vfvm-hotplug-add-vf
else
	fail vfvm-hotplug-add-vf "add-device $vf: exit $RC, '$OUT'; $vf on '$(lab_driver "$vf")'"
fi
echo nvme-added >&7
if l2_wait 'L2-NVME-IO ok'; then
	pass vfvm-hotplug-vf-io
else
	fail vfvm-hotplug-vf-io "L2 did no checked I/O on the hot-added VF: $(grep L2- "$w/l2.log" | tail -n 3)"
fi
run vfvm ctl "$S" info
if [ "$RC" = 0 ] && echo "$OUT" | grep -Eq "^  vf0 +vfio +guest 0000:00:[0-9a-f]{2}\.0  host $vf"; then
	pass vfvm-hotplug-info
else
	fail vfvm-hotplug-info "info does not list vf0 with host $vf"
fi
run vfvm ctl "$S" add-device "$e"
if [ "$RC" = 1 ] && echo "$OUT" | grep -q "$e is bound to e1000e, not vfio-pci" &&
	[ "$(lab_driver "$e")" = e1000e ]; then
	pass vfvm-hotplug-host-used-refused
else
	fail vfvm-hotplug-host-used-refused "add-device $e (on e1000e): exit $RC, want 1 naming its driver"
fi
t0=$(uptime_ms)
run vfvm ctl "$S" remove-device vf0 --timeout 120
t1=$(uptime_ms)
echo "remove-device of an NVMe VF took $((t1 - t0)) ms"
if [ "$RC" = 0 ] && [ "$OUT" = "removed vf0" ]; then
	pass vfvm-hotplug-remove-vf
else
	fail vfvm-hotplug-remove-vf "remove-device vf0: exit $RC, '$OUT'"
fi
lab_wait "[ \"\$(lab_driver $vf)\" = '$orig' ]" 30
if [ "$(lab_driver "$vf")" = "$orig" ] && lab_wait "lab_nvme_live $vf" 30; then
	pass vfvm-hotplug-vf-given-back
else
	fail vfvm-hotplug-vf-given-back "$vf on '$(lab_driver "$vf")' after remove-device, was '$orig'"
fi
run vfvm ctl "$S" remove-device vf0
if [ "$RC" = 1 ] && echo "$OUT" | grep -q "no device has id 'vf0'"; then
	pass vfvm-hotplug-remove-twice
else
	fail vfvm-hotplug-remove-twice "second remove-device vf0: exit $RC, want 1 and 'no device has id'"
fi
echo nvme-removed >&7
if l2_wait L2-NVME-GONE; then
	pass vfvm-hotplug-guest-let-go
else
	fail vfvm-hotplug-guest-let-go "L2 still has the disk: $(grep L2- "$w/l2.log" | tail -n 2)"
fi

# --- the host asks for a device back (VFIO REQ): unplugged, the VM runs on
timeout 100 vfvm ctl "$S" events > "$w/events" 2>&1 &
epid=$!
run vfvm ctl "$S" add-device "$vf,managed,id=vf1"
echo nvme2-added >&7
if l2_wait L2-NVME2-THERE; then
	echo "lab# echo $vf > /sys/bus/pci/drivers/vfio-pci/unbind   (while L2 uses it)"
	t0=$(uptime_ms)
	timeout 120 sh -c "echo $vf > /sys/bus/pci/drivers/vfio-pci/unbind"
	ust=$?
	t1=$(uptime_ms)
	echo "the unbind returned $ust after $((t1 - t0)) ms"
	echo req-done >&7
	if [ "$ust" = 0 ] && l2_wait L2-NVME2-GONE && vm_alive && [ -z "$(lab_driver "$vf")" ] &&
		lab_wait "grep -q 'device-req device=vf1' '$w/events' && grep -q 'device-removed device=vf1' '$w/events'" 30; then
		pass vfvm-hotplug-req-unplugs
	else
		fail vfvm-hotplug-req-unplugs "unbind exit $ust; VF driver '$(lab_driver "$vf")'; events: $(tr '\n' ';' < "$w/events")"
	fi
	run vfctl restore "$vf"
	lab_wait "lab_nvme_live $vf" 30
else
	fail vfvm-hotplug-req-unplugs "L2 never saw the second hot-add of $vf"
	echo req-done >&7
fi
kill "$epid" 2> /dev/null

# --- virtio-net
say ip tuntap add dev hp0 mode tap
run vfvm ctl "$S" add-device "id=n1,tap=hp0,mac=52:54:00:68:00:01"
echo net-added >&7
if [ "$RC" = 0 ] && l2_wait 'L2-NET eth[0-9]* 52:54:00:68:00:01'; then
	pass vfvm-hotplug-net
else
	fail vfvm-hotplug-net "add-device of a virtio-net: exit $RC, '$OUT'; L2: $(grep L2-NET "$w/l2.log")"
fi
run vfvm ctl "$S" remove-device n1
echo net-removed >&7
if [ "$RC" = 0 ] && l2_wait L2-NET-GONE; then
	pass vfvm-hotplug-net-removed
else
	fail vfvm-hotplug-net-removed "exit $RC, '$OUT'"
fi
say ip link del hp0

# --- virtio-blk
run vfvm ctl "$S" add-device --disk "$w/disk.img,id=d1"
if [ "$RC" = 0 ] && [ "$OUT" = "added d1" ]; then
	pass vfvm-hotplug-add-disk
else
	fail vfvm-hotplug-add-disk "exit $RC, '$OUT'"
fi
echo "disk-added $dsum" >&7
if l2_wait 'L2-DISK ok'; then
	pass vfvm-hotplug-disk
else
	fail vfvm-hotplug-disk "L2 did not read the hot-added disk right: $(grep L2- "$w/l2.log" | tail -n 2)"
fi
t0=$(uptime_ms)
run vfvm ctl "$S" remove-device d1
t1=$(uptime_ms)
echo "remove-device of a virtio-blk disk took $((t1 - t0)) ms"
if [ "$RC" = 0 ] && [ "$OUT" = "removed d1" ]; then
	pass vfvm-hotplug-remove-disk
else
	fail vfvm-hotplug-remove-disk "exit $RC, '$OUT'"
fi
echo disk-removed >&7
if l2_wait L2-ALIVE && grep -q L2-DISK-GONE "$w/l2.log"; then
	pass vfvm-hotplug-disk-removed
else
	fail vfvm-hotplug-disk-removed "$(grep L2- "$w/l2.log" | tail -n 2)"
fi
exec 7>&-
wait "$vpid"
st=$?
grep -E 'L2-|acpiphp|pci 0000:00' "$w/l2.log" | head -n 30
tail -n 5 "$w/vfvm.err"
if [ "$st" = 0 ] && grep -q 'LAB-L2: done rc=0' "$w/l2.log"; then
	pass vfvm-hotplug-guest-ran-on
else
	fail vfvm-hotplug-guest-ran-on "vfvm exit $st; L2: $(grep 'LAB-L2: done' "$w/l2.log")"
fi
run vfctl vfs "$pf" 0
rm -rf "$w"
exit 0
