#!/usr/bin/env bash
# The VFIO part of bench_lab_vmm.sh once more, on the lab-iommufd tier's L1
# kernel (tests/lab/kernel/build.sh, built once): the NVMe VF's IOPS and
# interrupts/s in L2, vfvm against QEMU's vfio-pci, through the type1
# container AND through iommufd + the VFIO device cdev, side by side in one
# boot, plus the DMA-map cost.  Nothing here asserts a time.
#   BENCH_LAB_IOMMUFD=0 skips it.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source-path=SCRIPTDIR source=../lab/lab-env.sh
. tests/lab/lab-env.sh
if [ "${BENCH_LAB_IOMMUFD:-1}" = 0 ] || [ "${BENCH_LAB:-1}" = 0 ]; then
	echo "bench_lab_iommufd: skipped (BENCH_LAB_IOMMUFD=0)"
	exit 0
fi
if ! bash tests/lab/kernel/build.sh; then
	echo "bench_lab_iommufd: NOT RUN: the iommufd L1 kernel could not be built"
	exit 1
fi
# only the VFIO part runs: keep its notes and table, not the empty boot/net ones
LAB_L1_KERNEL=$LAB_CACHE/kernel-iommufd/bzImage BENCH_LAB_PARTS=vfio \
	bash tests/bench/bench_lab_vmm.sh > "${TMPDIR:-/tmp}/bench-iommufd.$$" 2>&1
st=$?
grep -E '^(lab:|  note:|  \| )' "${TMPDIR:-/tmp}/bench-iommufd.$$"
sed -n '/^VFIO in L1/,$p' "${TMPDIR:-/tmp}/bench-iommufd.$$"
rm -f "${TMPDIR:-/tmp}/bench-iommufd.$$"
exit $st
