# shellcheck shell=bash
# The large PF used by the benchmark: 128 VFs with their groups and links.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
SPEC=bench.spec
PF=0000:01:00.0

t_fs_128_vfs() {
	wok sys/bus/pci/devices/$PF/sriov_drivers_autoprobe 0
	wok sys/bus/pci/devices/$PF/sriov_numvfs 128
	eq "$(lnk sys/bus/pci/devices/$PF/virtfn0)" "0000:01:01.0" "first VF at offset 8"
	eq "$(lnk sys/bus/pci/devices/$PF/virtfn127)" "0000:01:10.7" "last VF"
	eq "$(find "$MNT/sys/kernel/iommu_groups" -mindepth 1 -maxdepth 1 | wc -l)" "131" "one group per VF"
	eq "$(grp 0000:01:10.7)" "130" "last VF's group"
	wok sys/bus/pci/devices/$PF/sriov_numvfs 0
	eq "$(find "$MNT/sys/bus/pci/devices" -mindepth 1 -maxdepth 1 | wc -l)" "3" "VFs removed"
}
