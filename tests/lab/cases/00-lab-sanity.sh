# shellcheck shell=sh
# The lab itself: vIOMMU with interrupt remapping, the emulated devices, KVM,
# the L2 kit.  Everything else relies on these.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if [ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ] &&
	grep -q 'Enabled IRQ remapping' /run/boot-dmesg; then
	pass lab-iommu
else
	fail lab-iommu "no IOMMU groups or no interrupt remapping (DMAR-IR) in the boot log"
fi

pf=$(lab_nvme_pf)
if [ -n "$pf" ] && [ "$(cat "/sys/bus/pci/devices/$pf/sriov_totalvfs")" = 4 ] &&
	[ "$(lab_driver "$pf")" = nvme ]; then
	pass lab-nvme-pf
else
	fail lab-nvme-pf "NVMe PF 1b36:0010 with 4 VFs on the nvme driver not found (pf=$pf)"
fi

e=$(lab_e1000e)
if [ -n "$e" ] && [ "$(lab_driver "$e")" = e1000e ]; then
	pass lab-e1000e
else
	fail lab-e1000e "e1000e 8086:10d3 on its driver not found"
fi

if [ "$LAB_HAS_IGB" = 1 ]; then
	igb=$(lab_igb_pf)
	if [ -n "$igb" ] && [ "$(lab_driver "$igb")" = igb ] &&
		[ "$(cat "/sys/bus/pci/devices/$igb/sriov_totalvfs")" -ge 1 ]; then
		pass lab-igb-pf
	else
		fail lab-igb-pf "igb 8086:10c9 with SR-IOV on the igb driver not found"
	fi
else
	skip lab-igb-pf "QEMU without igb ($LAB_QEMU_VERSION); install QEMU >= 8 from bookworm-backports"
fi

if [ -c /dev/kvm ]; then
	pass lab-kvm
else
	fail lab-kvm "/dev/kvm missing in L1 (kvm_amd not loaded?)"
fi

if [ -s /lab/l2/bzImage ] && [ -s /lab/l2/initrd ]; then
	pass lab-l2-kit
else
	fail lab-l2-kit "/lab/l2/bzImage or /lab/l2/initrd missing"
fi
if command -v vfctl > /dev/null; then
	echo "sanity: vfctl present: $(vfctl --version 2>&1 | head -n 1)"
fi
echo "sanity: devices:"
for d in /sys/bus/pci/devices/*; do
	echo "  $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") group $(lab_group "$(basename "$d")") driver $(lab_driver "$(basename "$d")")"
done
[ -z "$LAB_FAILED" ]
