# shellcheck shell=sh
# Devices always given back after vfvm is SIGKILLed: vfvm --name labvm
# takes an NVMe VF (managed) and writes down in /var/lib/vfctl/vms/labvm
# what it took, before taking it; kill -9 leaves the VF on vfio-pci and the
# record behind; `vfctl restore --vm labvm` (what vfvm@.service's
# ExecStopPost runs) puts the VF back on the driver it was on and removes
# the record.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-killed "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfvm-killed "/dev/kvm or the L2 kernel/initrd missing"
	exit 0
fi
lab_nvme_one_vf vfvm-killed || exit 0
orig=$(lab_driver "$vf")
rec=/var/lib/vfctl/vms/labvm
w=/tmp/vfvm-killed
mkdir -p "$w"

echo "lab# vfvm run --name labvm --kernel /lab/l2/bzImage ... --device $vf,managed &"
vfvm run --name labvm --kernel /lab/l2/bzImage --initrd /lab/l2/initrd \
	--cmdline "console=ttyS0 panic=-1 l2.cmd=sleep" --mem 256M --cpus 1 --device "$vf,managed" \
	> "$w/l2.log" 2>&1 &
pid=$!
lab_wait "grep -q 'LAB-L2: init reached' $w/l2.log" 180
sed 's/^/record: /' "$rec" 2> /dev/null
if grep -qx "pid=$pid" "$rec" 2> /dev/null &&
	grep -qx "device=$vf driver=$orig override= with=$vf" "$rec"; then
	pass vfvm-killed-record-written
else
	fail vfvm-killed-record-written "$rec does not list $vf (driver $orig) for pid $pid"
fi
# a running VM is not robbed of its device
run vfctl restore --vm labvm
if [ "$RC" = 1 ] && [ "$(lab_driver "$vf")" = vfio-pci ]; then
	pass vfvm-killed-running-refused
else
	fail vfvm-killed-running-refused "restore --vm of a running VM exited $RC, $vf on '$(lab_driver "$vf")'"
fi
say kill -9 "$pid"
wait "$pid" 2> /dev/null
d=$(lab_driver "$vf")
echo "after kill -9: $vf is on '$d'"
run vfctl restore --vm labvm
if [ "$RC" = 0 ] && [ "$(lab_driver "$vf")" = "$orig" ] && [ ! -e "$rec" ]; then
	pass vfvm-killed-restore-vm
else
	fail vfvm-killed-restore-vm "after kill -9 (driver then '$d') and vfctl restore --vm labvm (exit $RC), $vf is on '$(lab_driver "$vf")', was '$orig'; record $([ -e "$rec" ] && echo left || echo gone)"
fi
lab_wait "lab_nvme_live $vf" 20
if lab_nvme_live "$vf"; then
	pass vfvm-killed-vf-live
else
	fail vfvm-killed-vf-live "$vf is back on $orig but its controller is not live"
fi
run vfctl vfs "$pf" 0
rm -rf "$w"
exit 0
