# shellcheck shell=bash
# A host without an IOMMU and without vfio-pci: check says why not, bind
# refuses and changes nothing.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
# shellcheck disable=SC2034 # read by tests/sim/run.sh
SPEC=noiommu.spec

t_noiommu_check() {
	golden noiommu-check.txt --rc 3 check 0000:03:00.0
	golden noiommu-check.json --rc 3 check 0000:03:00.0 --json
}

t_noiommu_bind_refused() {
	golden noiommu-bind.txt bind 0000:03:00.0 vfio-pci
	eq "$(drv 0000:03:00.0)" "e1000e" "driver unchanged"
	eq "$(rd sys/bus/pci/devices/0000:03:00.0/driver_override)" "(null)" "override unchanged"
}

t_noiommu_vfs() {
	# VFs can still be created without an IOMMU (they get no groups).
	golden noiommu-vfs.txt --rc 0 vfs 0000:01:00.0 2
	eq "$(rd sys/bus/pci/devices/0000:01:00.0/sriov_numvfs)" "2" "numvfs"
	absent sys/bus/pci/devices/0000:01:10.0/iommu_group
}
