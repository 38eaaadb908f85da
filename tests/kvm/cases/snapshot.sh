#!/usr/bin/env bash
# KVM tier, VM snapshot/restore with the libraries (src/vmm/vm_snapshot.h):
# vfvm-snaptest (tests/kvm/snaptest.c) runs counter.bin, pauses, saves,
# resumes, then restores into a fresh VM and checks the guest counts on
# with consistent registers, memory and completed port I/O.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-snapshot}
G=${KVM_GUESTS:-$BUILD/guests}
# built here, or packed into the lab's L1 under /usr/local/bin
ST=${KVM_SNAPTEST:-$BUILD/tests/kvm/vfvm-snaptest}
[ -x "$ST" ] || ST=$(command -v vfvm-snaptest || echo "$BUILD/tests/kvm/vfvm-snaptest")
out=$(mktemp)
trap 'rm -f "$out"' EXIT

. tests/kvm/lib.sh

need_kvm
need_files "$ST" "$G/counter.bin"

# each "ok"/"not ok" line of the program is one case
timeout 300 "$ST" "$G/counter.bin" >"$out" 2>&1
st=$?
cat "$out"
pass=$((pass + $(grep -c '^ok - ' "$out")))
fail=$((fail + $(grep -c '^not ok - ' "$out")))
if [ "$st" -ne 0 ] && ! grep -q '^not ok - ' "$out"; then
	echo "not ok - vfvm-snaptest exited $st without a failed check"
	fail=$((fail + 1))
fi
if ! grep -q '^snaptest: ' "$out"; then
	echo "not ok - vfvm-snaptest did not finish (exit $st)"
	fail=$((fail + 1))
fi
echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
