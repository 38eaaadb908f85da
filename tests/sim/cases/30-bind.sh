# shellcheck shell=bash
# vfctl bind / unbind / restore: driver moves verified through the tree,
# the remembered original driver, group moves, refusals and rollback.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
IGB=0000:01:00.0
E1000E=0000:03:00.0
D=sys/bus/pci/devices

t_bind_vf_and_restore() {
	local g
	wok $D/$IGB/sriov_numvfs 2
	g=$(grp 0000:01:10.2)
	golden bind-vf.txt --rc 0 bind 0000:01:10.2 vfio-pci
	eq "$(drv 0000:01:10.2)" "vfio-pci" "driver"
	[ -c "$MNT/dev/vfio/$g" ] || bad "/dev/vfio/$g missing"
	absent sys/class/net/enp1s0v1
	golden bind-vf-again.txt --rc 0 bind 0000:01:10.2 vfio-pci
	golden bind-vf-list.txt --rc 0 list $IGB
	golden restore-vf.txt --rc 0 restore 0000:01:10.2
	eq "$(drv 0000:01:10.2)" "igbvf" "driver restored"
	eq "$(rd $D/0000:01:10.2/driver_override)" "(null)" "override cleared"
	absent "dev/vfio/$g"
	exists sys/class/net/enp1s0v1
}

t_bind_json() {
	golden bind.json --rc 0 bind $E1000E vfio-pci --json
	golden restore.json --rc 0 restore $E1000E --json
}

t_bind_other_driver() {
	# Any driver, not only vfio-pci: e1000e -> nothing -> back.
	golden unbind.txt --rc 0 unbind $E1000E
	eq "$(drv $E1000E)" "" "unbound"
	absent sys/class/net/enp3s0
	golden restore-after-unbind.txt --rc 0 restore $E1000E
	eq "$(drv $E1000E)" "e1000e" "restored"
	exists sys/class/net/enp3s0
	golden unbind.json --rc 0 unbind $E1000E --json
	eq "$(drv $E1000E)" "" "unbound (json)"
}

t_bind_refuses_host_device() {
	golden bind-host-nic.txt --rc 1 bind 0000:00:02.0 vfio-pci
	eq "$(drv 0000:00:02.0)" "virtio-pci" "driver unchanged"
	eq "$(rd $D/0000:00:02.0/driver_override)" "(null)" "override unchanged"
	golden bind-host-nic-force.txt --rc 0 bind 0000:00:02.0 vfio-pci --force
	eq "$(drv 0000:00:02.0)" "vfio-pci" "forced"
}

t_bind_partial_group_refused() {
	# Binding one member of a shared group leaves the group unusable.
	golden bind-group-member.txt bind 0000:05:01.0 vfio-pci
	golden bind-group.txt --rc 0 bind 0000:05:01.0 vfio-pci --group
	eq "$(drv 0000:05:01.0)/$(drv 0000:05:02.0)" "vfio-pci/vfio-pci" "whole group moved"
	eq "$(drv 0000:00:06.0)" "pcieport" "bridge left alone"
	exists dev/vfio/5
	golden restore-all.txt --rc 0 restore --all
	eq "$(drv 0000:05:01.0)/$(drv 0000:05:02.0)" "e1000/e1000" "group given back"
	absent dev/vfio/5
}

t_bind_rollback_on_probe_failure() {
	# The probe leaves the device driverless: vfctl must put e1000e back.
	echo "sys/bus/pci/drivers_probe EIO" >"$MNT/.sim/inject"
	golden bind-probe-fails.txt --rc 1 bind $E1000E vfio-pci
	eq "$(drv $E1000E)" "e1000e" "original driver back"
	eq "$(rd $D/$E1000E/driver_override)" "(null)" "override cleared"
	exists sys/class/net/enp3s0
}

t_bind_rollback_on_unbind_failure() {
	echo "sys/bus/pci/drivers/e1000e/unbind EBUSY" >"$MNT/.sim/inject"
	golden bind-unbind-fails.txt --rc 1 bind $E1000E vfio-pci
	eq "$(drv $E1000E)" "e1000e" "driver unchanged"
	eq "$(rd $D/$E1000E/driver_override)" "(null)" "override cleared"
}

t_bind_override_write_fails() {
	echo "$D/$E1000E/driver_override ENOMEM" >"$MNT/.sim/inject"
	golden bind-override-fails.txt --rc 1 bind $E1000E vfio-pci
	eq "$(drv $E1000E)" "e1000e" "driver unchanged"
}

t_bind_bad_input() {
	golden bind-no-driver.txt bind $E1000E no-such-driver
	eq "$(drv $E1000E)" "e1000e" "driver unchanged"
	golden bind-bad-bdf.txt --rc 2 bind 0000:03:00 vfio-pci
	golden bind-usage.txt --rc 2 bind $E1000E
	# every verb parses with getopt_long: --help (after the verb) and unknown options alike
	golden bind-help.txt bind --help
	golden bind-unknown-option.txt --rc 2 bind --frob $E1000E vfio-pci
	eq "$(drv $E1000E)" "e1000e" "driver unchanged"
	golden restore-unknown-option.txt --rc 2 restore $E1000E -x
	golden restore-nothing.txt restore $E1000E
}

t_bind_dry_run() {
	golden bind-dry-run.txt --rc 0 bind 0000:05:01.0 vfio-pci --group --dry-run
	eq "$(drv 0000:05:01.0)/$(drv 0000:05:02.0)" "e1000/e1000" "nothing moved"
	eq "$(grep -c . "$MNT/.sim/log")" "0" "nothing written"
}
