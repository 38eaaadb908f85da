#!/usr/bin/env bash
# The lab-iommufd tier: the VFIO passthrough cases once more, on an L1 whose
# kernel has iommufd and the VFIO device cdev (Debian's 6.12 images do not):
# kernel/build.sh builds it once from Debian's linux-source-6.12 and caches
# it.  Both backends run where a case loops over them (type1 and iommufd);
# vfvm's automatic choice must be iommufd here.  L2 keeps Debian's kernel.
#   BUILD=build bash tests/lab/run-iommufd.sh [CASE.sh...]
# Prints "lab-iommufd: N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source-path=SCRIPTDIR source=lab-env.sh
. tests/lab/lab-env.sh
TIER=${TIER:-lab-iommufd}

if ! bash tests/lab/kernel/build.sh; then
	echo "LAB-IOMMUFD NOT RUN: the iommufd L1 kernel could not be built (see above)"
	echo "$TIER: 0 passed, 1 failed"
	exit 1
fi
if [ $# -gt 0 ]; then
	cases=("$@")
else
	cases=(tests/lab/iommufd/[0-9]*.sh tests/lab/cases/6[0-9]-*.sh)
fi
TIER=$TIER LAB_L1_KERNEL=$LAB_CACHE/kernel-iommufd/bzImage LAB_WANT_IOMMUFD=1 \
	exec bash tests/lab/run.sh "${cases[@]}"
