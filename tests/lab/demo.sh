#!/usr/bin/env bash
# make demo: a real vfctl session.  On a host with SR-IOV hardware its PFs are
# listed first (read-only); then, because this is how it is shown everywhere
# (and the only way on machines without SR-IOV), the emulated lab boots and
# runs tests/lab/demo/*.sh in order inside it: PFs listed, VFs created and
# configured, one bound to vfio-pci, check verdicts, everything given back.
# Later parts (a VM using the VF) go in as tests/lab/demo/NN-name.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source-path=SCRIPTDIR source=lab-env.sh
. tests/lab/lab-env.sh

host_pfs=0
for f in /sys/bus/pci/devices/*/sriov_totalvfs; do
	[ -e "$f" ] && host_pfs=$((host_pfs + 1))
done
if [ "$host_pfs" -gt 0 ] && [ -x "$LAB_BUILD/vfctl" ]; then
	echo "=== This host has $host_pfs SR-IOV PF(s) ==="
	echo "host# vfctl list"
	"$LAB_BUILD/vfctl" list
	echo
else
	echo "demo: no SR-IOV device on this host: starting the emulated lab"
	echo "      (QEMU $("$LAB_QEMU" --version | head -n 1 | sed 's/.*version //'), TCG; Debian's kernel with an emulated IOMMU,"
	echo "       an NVMe controller with SR-IOV, an igb NIC with SR-IOV, an e1000e)"
fi
if ! command -v "$LAB_QEMU" > /dev/null; then
	echo "demo: $LAB_QEMU missing: run tools/install-deps.sh (make deps)"
	exit 1
fi
start=$(date +%s)
steps=(tests/lab/demo/[0-9]*.sh)
log=$(mktemp "${TMPDIR:-/tmp}/vfdemo-log.XXXXXX")
trap 'rm -f "$log"' EXIT
lab_boot_retry "$log" "${steps[@]}" |
	grep -vE '^(LAB-BEGIN|LAB-END|LAB-DONE|PASS demo-)|reboot: Power down' |
	sed -e 's/^lab# /root@lab:~# /' -e 's/^LAB-L1: /[lab] /'
st=${PIPESTATUS[0]}
echo
echo "demo: lab session took $(($(date +%s) - start)) s wall (TCG emulation on $(nproc) host cores)"
# every part says PASS demo-NAME when it showed what it should
passed=$(grep "^PASS demo-" "$log" | sort -u | wc -l)
if [ "$passed" -ne "${#steps[@]}" ]; then
	echo "demo: $passed of ${#steps[@]} parts worked:"
	grep -E '^(PASS|FAIL) demo-' "$log" | sed 's/^/demo:   /'
	[ "$st" -eq 0 ] && st=1
fi
exit "$st"
