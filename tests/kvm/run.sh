#!/usr/bin/env bash
# The KVM tier: guest programs from tests/guests run in vfvm on a real KVM,
# with the same cases and assertions wherever that is (vmm-cases.sh):
#   - on this host's /dev/kvm when it has one;
#   - else inside the emulated lab's L1, which always has KVM (nested SVM
#     under QEMU/TCG): one L1 boot runs in-l1.sh, which runs vmm-cases.sh.
# The same images also run under QEMU (TCG) on this host (qemu-cases.sh).
#   BUILD=build bash tests/kvm/run.sh      KVM_IN_LAB=1 forces the lab
#   KVM_CASE=NAME runs tests/kvm/cases/NAME.sh alone (no QEMU part)
#   KVM_CASES="migrate" BUILD=build bash tests/kvm/run.sh
#                                          only tests/kvm/cases/migrate.sh (names
#                                          of case files, space-separated; the
#                                          built-in cases and the QEMU part skipped)
# Prints "<TIER>: N passed, N failed (WHERE)" last; non-zero on failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm}
pass=0 fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# count NAME: add the closing line "NAME: N passed, N failed" in $log to
# the totals; a part that printed none counts as one failure.
count() {
	local line
	line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "# $TIER: $1 printed no closing line: counted as one failure"
		fail=$((fail + 1))
		return
	fi
	pass=$((pass + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")))
	fail=$((fail + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
}

one=${KVM_CASE:-}
if [ -n "$one" ] && [ ! -f "tests/kvm/cases/$one.sh" ]; then
	echo "# $TIER: KVM_CASE=$one: no tests/kvm/cases/$one.sh"
	echo "$TIER: 0 passed, 1 failed"
	exit 1
fi
# what L1 runs: the whole tier, or the one case
l1_script=tests/kvm/in-l1.sh
if [ -n "$one" ]; then
	l1_script=$(mktemp -d)/kvm-case.sh
	trap 'rm -f "$log"; rm -rf "$(dirname "$l1_script")"' EXIT
	cat >"$l1_script" <<EOF
# shellcheck shell=sh
. /lab/cases/lib.sh
mkdir -p /var/run/netns /run/netns
cd /lab/kvm-tier || exit 1
KVM_VFVM=/usr/local/bin/vfvm KVM_GUESTS=/lab/guests TIER=kvm-vmm bash tests/kvm/cases/$one.sh
EOF
fi

if [ -c /dev/kvm ] && [ "${KVM_IN_LAB:-0}" != 1 ]; then
	where="on this host's /dev/kvm"
	if [ -n "$one" ]; then
		BUILD=$BUILD TIER=kvm-vmm bash "tests/kvm/cases/$one.sh" 2>&1 | tee "$log"
	else
		BUILD=$BUILD TIER=kvm-vmm bash tests/kvm/vmm-cases.sh 2>&1 | tee "$log"
	fi
	count kvm-vmm
else
	where="in lab L1"
	# shellcheck source=tests/lab/lab-env.sh
	. tests/lab/lab-env.sh
	echo "# $TIER: this host has no /dev/kvm: the cases run inside the lab's L1"
	missing=$(lab_missing)
	if [ -n "$missing" ]; then
		echo "# $TIER: the lab cannot boot, missing:$missing -- make deps (tools/install-deps.sh)"
		fail=$((fail + 1))
	elif [ ! -x "$LAB_BUILD/vfvm" ]; then
		echo "# $TIER: $LAB_BUILD/vfvm is not built: run make BUILD=$BUILD first"
		fail=$((fail + 1))
	else
		# the cases run one after another in one L1 boot: give them time
		LAB_CASE_TIMEOUT=${LAB_CASE_TIMEOUT:-1200} LAB_TIMEOUT=${LAB_TIMEOUT:-1500} \
			lab_boot_retry "$log" "$l1_script"
		count kvm-vmm
	fi
fi
if [ -z "$one" ] && [ -z "${KVM_CASES:-}" ]; then
	BUILD=$BUILD TIER=kvm-qemu bash tests/kvm/qemu-cases.sh 2>&1 | tee "$log"
	count kvm-qemu
fi

echo "$TIER: $pass passed, $fail failed ($where)"
[ "$fail" -eq 0 ]
