# shellcheck shell=sh
# sriov/nvme_virt.c on the lab's NVMe PF, driven by lab-nvme-virt (the library
# alone, independent of the vfctl front end): prepare (with the controller
# and function reset it needs), create 2 VFs with autoprobe off, assign
# resources and bring them online, probe them: the host nvme driver runs
# each VF, and data written over every path (PF and VFs) reads back intact
# with I/O counted on each VF's own path.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
pf=$(lab_nvme_pf) || { fail nvme-virt "no NVMe PF"; exit 1; }
P=/sys/bus/pci/devices/$pf

if lab-nvme-virt is-pf "$pf" && ! lab-nvme-virt is-pf "$(lab_e1000e)"; then
	pass nvme-virt-is-pf
else
	fail nvme-virt-is-pf "is-pf: NVMe PF $pf not recognised, or e1000e taken for one"
fi

# QEMU starts with the pool applied to nobody; give it to the primary and
# apply that with a function reset, as a controller fresh from the factory
# (or from another tool) may be, so prepare has real work to do.
say lab-nvme-virt give-primary "$pf" 8
say sh -c "echo 1 > $P/reset"
lab_wait "[ \"\$(cat /sys/class/nvme/$(ls "$P/nvme")/state)\" = live ]" 30
say lab-nvme-virt show "$pf"
if lab-nvme-virt show "$pf" | grep -q 'vq: .* primary-flex 8 '; then
	pass nvme-virt-primary-holds
else
	fail nvme-virt-primary-holds "could not give the flexible pool to the primary"
fi
if say lab-nvme-virt prepare "$pf" 2 &&
	lab-nvme-virt show "$pf" | grep -q 'vq: .* primary-flex 0 ' &&
	lab-nvme-virt show "$pf" | grep -q 'vi: .* primary-flex 0 ' &&
	[ "$(cat "/sys/class/nvme/$(ls "$P/nvme")/state")" = live ]; then
	pass nvme-virt-prepare
else
	fail nvme-virt-prepare "primary still holds flexible resources or PF not live"
fi
say lab-nvme-virt show "$pf"

echo 0 > "$P/sriov_drivers_autoprobe"
say sh -c "echo 2 > $P/sriov_numvfs"
lab_wait "[ -e $P/virtfn1 ]" 10
vf0=$(lab_vf "$pf" 0)
vf1=$(lab_vf "$pf" 1)
if say lab-nvme-virt online "$pf" 2 &&
	[ "$(lab-nvme-virt show "$pf" | grep -c 'online nvq 2 nvi 1')" = 2 ]; then
	pass nvme-virt-online
else
	fail nvme-virt-online "secondaries not online with 2 VQ / 1 VI each"
fi
say lab-nvme-virt show "$pf"

# With autoprobe off the kernel probes a VF only under driver_override, so
# turn autoprobe back on now that the VFs can work.
echo 1 > "$P/sriov_drivers_autoprobe"
for vf in $vf0 $vf1; do
	echo "$vf" > /sys/bus/pci/drivers_probe
done
ok=1
for vf in $vf0 $vf1; do
	if ! lab_wait "[ \"\$(cat /sys/bus/pci/devices/$vf/nvme/nvme*/state 2>/dev/null)\" = live ]" 10; then
		ok=0
		echo "VF $vf: driver $(lab_driver "$vf"), no live nvme controller"
	fi
done
if [ "$ok" = 1 ]; then
	pass nvme-vf-host-driver
else
	fail nvme-vf-host-driver "a VF's nvme controller is not live"
	dmesg | tail -n 30
fi

# I/O through the VFs: the namespace is shared by the PF and VF controllers
# (one multipath head); round-robin spreads the requests over every path and
# each VF path's own counters must move.
sub=/sys/class/nvme-subsystem/$(basename "$(readlink "/sys/class/nvme/$(ls "$P/nvme")/subsystem" 2>/dev/null)" 2>/dev/null)
[ -d "$sub" ] || sub=$(lab_paths /sys/class/nvme-subsystem/nvme-subsys* | head -n 1)
head=$(lab_names "$sub"/* | grep -E '^nvme[0-9]+n1$' | head -n 1)
say sh -c "echo round-robin > $sub/iopolicy"
path_ios() { # vf -> reads+writes completed on that VF's path
	p=$(lab_names "/sys/bus/pci/devices/$1/nvme"/nvme*/* | grep -E '^nvme[0-9]+c[0-9]+n1$' | head -n 1)
	[ -n "$p" ] && awk '{print $1 + $5}' "/sys/block/$p/stat"
}
b0=$(path_ios "$vf0")
b1=$(path_ios "$vf1")
head -c 131072 /dev/urandom > /tmp/pat
say dd if=/tmp/pat of="/dev/$head" bs=4096 seek=64 count=32 oflag=direct
say dd if="/dev/$head" of=/tmp/back bs=4096 skip=64 count=32 iflag=direct
a0=$(path_ios "$vf0")
a1=$(path_ios "$vf1")
echo "VF path I/Os: $vf0 ${b0:-?} -> ${a0:-?}, $vf1 ${b1:-?} -> ${a1:-?}"
if [ -n "$a0" ] && [ -n "$a1" ] && [ "$a0" -gt "$b0" ] && [ "$a1" -gt "$b1" ] &&
	cmp /tmp/pat /tmp/back; then
	pass nvme-vf-block-io
else
	fail nvme-vf-block-io "data did not round-trip or no I/O went through a VF path"
fi
echo numa > "$sub/iopolicy"

# Online again: nothing to change, so the live VFs must not be reset.
r0=$(dmesg | grep -c 'nvme nvme[0-9]*: .*default/read/poll queues')
if say lab-nvme-virt online "$pf" 2 &&
	[ "$(dmesg | grep -c 'nvme nvme[0-9]*: .*default/read/poll queues')" = "$r0" ] &&
	[ "$(lab-nvme-virt show "$pf" | grep -c 'online nvq 2 nvi 1')" = 2 ] &&
	dd if="/dev/$head" of=/dev/null bs=4096 count=8 iflag=direct 2>/dev/null; then
	pass nvme-virt-online-idempotent
else
	fail nvme-virt-online-idempotent "second online changed something or broke I/O"
fi

# Errors in plain words: more VFs than exist, more than the pool serves.
if ! lab-nvme-virt online "$pf" 3 2> /tmp/err && grep -q 'has 2 VFs' /tmp/err &&
	! lab-nvme-virt prepare "$pf" 5 2> /tmp/err2 && grep -q 'fewer than 5 VFs' /tmp/err2; then
	pass nvme-virt-errors
else
	fail nvme-virt-errors "expected refusals: $(cat /tmp/err /tmp/err2)"
fi
cat /tmp/err /tmp/err2

# Give everything back: VFs removed, their controllers offline, PF still live.
say sh -c "echo 0 > $P/sriov_numvfs"
if [ ! -e "$P/virtfn0" ] && [ "$(lab-nvme-virt show "$pf" | grep -c ' offline nvq 0 nvi 0')" = 4 ] &&
	[ "$(cat "/sys/class/nvme/$(ls "$P/nvme")/state")" = live ]; then
	pass nvme-virt-teardown
else
	fail nvme-virt-teardown "VFs or their resources left behind"
fi
[ -z "$LAB_FAILED" ]
