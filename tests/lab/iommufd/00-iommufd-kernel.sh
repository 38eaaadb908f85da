# shellcheck shell=sh
# The lab-iommufd tier's L1: the self-built 6.12 kernel with iommufd and the
# VFIO device cdev next to VFIO type1, the vIOMMU with interrupt remapping,
# KVM, and the devices the passthrough cases use, on their built-in drivers.
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh

case $(uname -r) in
*-vflab-iommufd) pass iommufd-kernel-booted ;;
*) fail iommufd-kernel-booted "L1 runs $(uname -r), not the lab's -vflab-iommufd build" ;;
esac
if [ -c /dev/iommu ]; then
	pass iommufd-dev-iommu
else
	fail iommufd-dev-iommu "/dev/iommu missing (CONFIG_IOMMUFD)"
fi
if [ -d /sys/class/vfio-dev ] && [ -c /dev/vfio/vfio ]; then
	pass iommufd-cdev-and-container
else
	fail iommufd-cdev-and-container "need both /sys/class/vfio-dev (VFIO_DEVICE_CDEV) and /dev/vfio/vfio (VFIO_CONTAINER)"
fi
if [ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ] &&
	grep -q 'Enabled IRQ remapping' /run/boot-dmesg; then
	pass iommufd-lab-iommu
else
	fail iommufd-lab-iommu "no IOMMU groups or no interrupt remapping (DMAR-IR) in the boot log"
fi
pf=$(lab_nvme_pf)
e=$(lab_e1000e)
if [ -n "$pf" ] && [ "$(lab_driver "$pf")" = nvme ] && [ -n "$e" ] &&
	[ "$(lab_driver "$e")" = e1000e ] && [ -d /sys/bus/pci/drivers/vfio-pci ] && [ -c /dev/kvm ]; then
	pass iommufd-lab-devices
else
	fail iommufd-lab-devices "want nvme on ${pf:-?}, e1000e on ${e:-?}, vfio-pci and /dev/kvm"
fi
if [ "$LAB_HAS_IGB" = 1 ]; then
	igb=$(lab_igb_pf)
	if [ -n "$igb" ] && [ "$(lab_driver "$igb")" = igb ]; then
		pass iommufd-lab-igb
	else
		fail iommufd-lab-igb "igb PF on the igb driver not found"
	fi
fi
[ -z "$LAB_FAILED" ]
