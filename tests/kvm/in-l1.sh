# shellcheck shell=sh
# The KVM tier inside the lab's L1, for a host without /dev/kvm (run.sh
# boots the lab with this script): the same case scripts, vfvm and guest
# images, on L1's KVM (nested SVM).  Runs under L1's busybox sh; the case
# scripts themselves run in bash, packed into L1 by boot.sh.
# shellcheck source-path=SCRIPTDIR source=../lab/cases/lib.sh
. /lab/cases/lib.sh

if [ ! -c /dev/kvm ]; then
	echo "kvm-vmm: /dev/kvm is missing in L1 (kvm_amd not loaded?)"
	echo "kvm-vmm: 0 passed, 1 failed"
	exit 1
fi
# ip netns keeps its names here
mkdir -p /var/run/netns /run/netns
cd /lab/kvm-tier || exit 1
# KVM_CASES (from host.env): only those case files
KVM_CASES=${KVM_CASES:-} KVM_VFVM=/usr/local/bin/vfvm KVM_GUESTS=/lab/guests TIER=kvm-vmm \
	bash tests/kvm/vmm-cases.sh
