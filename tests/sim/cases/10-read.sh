# shellcheck shell=bash
# vfctl's read verbs (list, show, check) against the simulated lab host:
# human and --json output compared with golden files.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
IGB=0000:01:00.0
D=sys/bus/pci/devices

t_list() {
	golden list.txt --rc 0 list
	golden list.json --rc 0 list --json
	wok $D/$IGB/sriov_numvfs 3
	golden list-vfs.txt --rc 0 list
	golden list-vfs.json --rc 0 list --json
	golden list-one.txt --rc 0 list 01:00.0
	golden list-not-pf.txt list 0000:03:00.0
	golden list-bad-bdf.txt --rc 2 list 0000:zz:00.0
}

t_show() {
	golden show-pf.txt --rc 0 show $IGB
	golden show-pf.json --rc 0 show $IGB --json
	golden show-nvme.txt --rc 0 show 02:00.0
	golden show-shared-group.txt --rc 0 show 0000:05:01.0
	golden show-shared-group.json --rc 0 show 0000:05:01.0 --json
	golden show-by-netdev.txt --rc 0 show enp3s0
	wok $D/$IGB/sriov_numvfs 2
	golden show-vf.txt --rc 0 show 0000:01:10.2
	golden show-vf.json --rc 0 show 0000:01:10.2 --json
	golden show-missing.txt show 0000:07:00.0
	golden show-malformed.txt --rc 2 show 01:00.9
}

t_check() {
	wok $D/$IGB/sriov_numvfs 2
	# A fresh VF on its own group with FLR: ready (exit 0).
	golden check-vf.txt --rc 0 check 0000:01:10.0
	golden check-vf.json --rc 0 check 0000:01:10.0 --json
	# The management NIC is up with an address and routes: a blocker (exit 3).
	golden check-host-nic.txt --rc 3 check 0000:00:02.0
	# One member of a shared group behind a bridge without ACS.
	golden check-shared-group.txt --rc 3 check 0000:05:01.0
	golden check-shared-group.json --rc 3 check 0000:05:01.0 --json
	# A PF with VFs enabled, and the NVMe PF with a mounted namespace.
	golden check-pf-with-vfs.txt --rc 3 check $IGB
	golden check-nvme-mounted.txt --rc 3 check 0000:02:00.0
	# Several at once: the worst verdict decides.
	golden check-many.txt --rc 3 check 0000:01:10.0 0000:03:00.0 0000:00:02.0
}

t_check_whole_group_ready() {
	# Both NICs of the shared group on vfio-pci: the group is viable now.
	local b
	for b in 0000:05:01.0 0000:05:02.0; do
		wok $D/$b/driver_override vfio-pci
		wok sys/bus/pci/drivers/e1000/unbind $b
		wok sys/bus/pci/drivers_probe $b
	done
	golden check-group-moved.txt check 0000:05:01.0 0000:05:02.0
}
