# shellcheck shell=bash
# vfctl vfs: VF count changes, what it writes (in order), and how it explains
# the kernel's refusals.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
IGB=0000:01:00.0
D=sys/bus/pci/devices

# Values vfctl wrote to sriov_numvfs, in order, one line.
numvfs_writes() {
	grep "/$1/sriov_numvfs " "$MNT/.sim/log" | awk '{print $2 "=" $4}' | tr '\n' ' '
}

t_vfs_create_change_remove() {
	golden vfs-create.txt --rc 0 vfs $IGB 3
	eq "$(rd $D/$IGB/sriov_numvfs)" "3" "numvfs"
	eq "$(drv 0000:01:10.4)" "igbvf" "VF 2 driver"
	# Changing the count writes 0 first (the kernel answers EBUSY otherwise).
	golden vfs-change.txt --rc 0 vfs $IGB 5
	eq "$(lnk $D/$IGB/virtfn4)" "0000:01:11.0" "virtfn4"
	# Same count: nothing written.
	golden vfs-same.txt --rc 0 vfs $IGB 5
	golden vfs-remove.txt --rc 0 vfs $IGB 0
	absent $D/0000:01:10.0
	eq "$(numvfs_writes $IGB)" "3=ok 0=ok 5=ok 0=ok " "numvfs writes"
}

t_vfs_no_autoprobe() {
	golden vfs-no-autoprobe.txt --rc 0 vfs $IGB 2 --no-autoprobe
	eq "$(rd $D/$IGB/sriov_drivers_autoprobe)" "0" "autoprobe"
	eq "$(drv 0000:01:10.0)" "" "VF 0 without host driver"
	eq "$(drv 0000:01:10.2)" "" "VF 1 without host driver"
	absent sys/class/net/enp1s0v0
}

t_vfs_json() {
	golden vfs-create.json --rc 0 vfs $IGB 2 --json
}

t_vfs_dry_run() {
	golden vfs-dry-run.txt --rc 0 vfs $IGB 4 --dry-run
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "nothing changed"
	eq "$(grep -c . "$MNT/.sim/log")" "0" "nothing written"
}

t_vfs_bad_input() {
	golden vfs-over-total.txt --rc 2 vfs $IGB 9
	golden vfs-not-sriov.txt --rc 2 vfs 0000:03:00.0 2
	golden vfs-bad-count.txt --rc 2 vfs $IGB -1
	golden vfs-bad-count2.txt --rc 2 vfs $IGB two
	golden vfs-missing-dev.txt --rc 2 vfs 0000:09:00.0 1
	eq "$(numvfs_writes $IGB)" "" "nothing written"
}

t_vfs_pf_without_driver() {
	wok sys/bus/pci/drivers/igb/unbind $IGB
	golden vfs-enoent.txt --rc 1 vfs $IGB 2
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "numvfs unchanged"
}

t_vfs_kernel_ebusy() {
	# The driver refuses (as ice/i40e do while VFs are assigned): explained, not hidden.
	wok $D/$IGB/sriov_numvfs 2
	echo "$D/$IGB/sriov_numvfs EBUSY always" >"$MNT/.sim/inject"
	golden vfs-ebusy.txt --rc 1 vfs $IGB 4
	eq "$(rd $D/$IGB/sriov_numvfs)" "2" "numvfs unchanged"
}

t_vfs_kernel_erange() {
	# A firmware that enables fewer VFs than sriov_totalvfs claims.
	echo "$D/$IGB/sriov_numvfs ERANGE" >"$MNT/.sim/inject"
	golden vfs-erange.txt --rc 2 vfs $IGB 7
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "numvfs unchanged"
}

t_vfs_nvme_needs_admin_commands() {
	# NVMe VFs need Virtualization Management admin commands on /dev/nvme0,
	# which the simulated tree cannot answer: vfctl fails and creates nothing.
	local st
	vf vfs 0000:02:00.0 2 >"$T/out" 2>&1
	st=$?
	[ "$st" -ne 0 ] || bad "vfs on the NVMe PF succeeded without admin commands"
	grep -q "0000:02:00.0" "$T/out" || bad "message does not name the PF: $(cat "$T/out")"
	eq "$(rd $D/0000:02:00.0/sriov_numvfs)" "0" "numvfs unchanged"
}
