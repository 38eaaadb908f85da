# shellcheck shell=bash
# VF routing IDs that clash with an existing function: ENOMEM, nothing created.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
SPEC=clash.spec

t_fs_vf_rid_clash() {
	wok sys/bus/pci/devices/0000:01:00.0/sriov_numvfs 1
	wok sys/bus/pci/devices/0000:01:00.0/sriov_numvfs 0
	werr sys/bus/pci/devices/0000:01:00.0/sriov_numvfs 2 "Cannot allocate memory"
	eq "$(rd sys/bus/pci/devices/0000:01:00.0/sriov_numvfs)" "0" "numvfs"
	absent sys/bus/pci/devices/0000:01:00.1
	eq "$(drv 0000:01:00.2)" "igb" "the other function untouched"
}
