#!/usr/bin/env bash
# The lab tier: boots the emulated lab ONCE and runs every tests/lab/cases/*.sh
# inside L1 (in name order), then counts the PASS/FAIL lines they print.
#   BUILD=build TIER=lab bash tests/lab/run.sh [CASE.sh...]
# Prints "<tier>: N passed, N failed" last; exits non-zero on any failure.
# A case that ends without a verdict, dies or times out counts as failed.
# A missing prerequisite (no QEMU, no kernel package) is said loudly and is
# a failure, in and out of CI; so is a SKIP line (a check that could not run).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lab-env.sh
TIER=${TIER:-lab}

finish() { # passed failed
	echo "$TIER: $1 passed, $2 failed"
	[ "$2" -eq 0 ]
	exit $?
}

missing=$(lab_missing)
if [ -n "$missing" ]; then
	echo "LAB NOT RUN: missing:$missing -- install them with make deps (tools/install-deps.sh)"
	finish 0 1
fi
if [ ! -x "$LAB_BUILD/vfctl" ]; then
	echo "lab: WARNING: $LAB_BUILD/vfctl is not built; vfctl cases will fail (run make)"
fi

if [ $# -gt 0 ]; then
	cases=()
	big=()
	numa=()
	for c in "$@"; do
		case $c in
		*/bigbar/*) big+=("$c") ;;
		*/numa/*) numa+=("$c") ;;
		*) cases+=("$c") ;;
		esac
	done
else
	cases=()
	for c in tests/lab/cases/[0-9]*.sh; do
		cases+=("$c")
	done
	big=(tests/lab/bigbar/[0-9]*.sh)
	numa=(tests/lab/numa/[0-9]*.sh)
fi

log=$(mktemp "${TMPDIR:-/tmp}/vflab-log.XXXXXX")
l2dir=$(mktemp -d "${TMPDIR:-/tmp}/vflab-l2.XXXXXX")
trap 'rm -rf "$log" "$l2dir"' EXIT

# The L2 kit other tiers boot inside L1 (/lab/l2): boot it here once, in
# plain QEMU, with a script appended the way lab_l2_initrd does it, so a
# broken kit shows up as its own failure rather than inside a VMM test.
l2_kit_check() {
	local out
	(cd "$l2dir" && zcat "$LAB_CACHE/base.cpio.gz" | cpio -id --quiet lab/l2/initrd) || return 1
	cat > "$l2dir/l2.sh" <<'L2'
grep -q '^nvme ' /proc/modules && grep -q '^igbvf ' /proc/modules &&
	grep -q '^virtio_blk ' /proc/modules && echo "LAB-L2-CHECK modules ok"
L2
	(cd "$l2dir" && echo l2.sh | cpio -o -H newc --quiet | gzip) > "$l2dir/extra.gz"
	cat "$l2dir/lab/l2/initrd" "$l2dir/extra.gz" > "$l2dir/initrd"
	out=$(timeout -k 5 180 "$LAB_QEMU" -nodefaults -machine q35,accel=tcg -cpu max -smp 1 -m 512 \
		-display none -monitor none -serial stdio -no-reboot \
		-kernel "$LAB_CACHE/kernel/vmlinuz" -initrd "$l2dir/initrd" \
		-append "console=ttyS0 panic=-1 loglevel=1" < /dev/null 2>&1 | tr -d '\r')
	printf '%s\n' "$out" | grep -E '^LAB-L2' | sed 's/^/l2-kit: /'
	printf '%s\n' "$out" | grep -q '^LAB-L2: init reached' &&
		printf '%s\n' "$out" | grep -q '^LAB-L2-CHECK modules ok' &&
		printf '%s\n' "$out" | grep -q '^LAB-L2: done rc=0'
}
start=$(date +%s)
boots=0 st=0
if [ ${#cases[@]} -gt 0 ]; then
	lab_boot_retry "$log" "${cases[@]}"
	st=$?
	boots=$((boots + 1))
fi
# tests/lab/bigbar/: cases that need the 256 GiB BAR (LAB_BIG_BAR=1 in
# boot.sh), in an L1 boot of their own so that the other cases' L1 and
# BDFs stay as they were; about 4 minutes more (77 maps a 256 and a 64 GiB
# BAR for peer-to-peer, page by page in type1 on this kernel).
if [ ${#big[@]} -gt 0 ]; then
	LAB_BIG_BAR=1 lab_boot_retry "$log.big" "${big[@]}"
	st2=$?
	[ "$st" -eq 0 ] && st=$st2
	cat "$log.big" >> "$log"
	rm -f "$log.big" "$log.big.boot"
	boots=$((boots + 1))
	cases+=("${big[@]}")
fi
# tests/lab/numa/: cases that need an L1 with two NUMA nodes (LAB_NUMA=1 in
# boot.sh), in an L1 boot of their own for the same reason; under a minute.
if [ ${#numa[@]} -gt 0 ]; then
	LAB_NUMA=1 lab_boot_retry "$log.numa" "${numa[@]}"
	st2=$?
	[ "$st" -eq 0 ] && st=$st2
	cat "$log.numa" >> "$log"
	rm -f "$log.numa" "$log.numa.boot"
	boots=$((boots + 1))
	cases+=("${numa[@]}")
fi
end=$(date +%s)

# A case l1-init ran again after an L2 triple fault (LAB-RETRY): its first
# run's lines are dropped here and the re-run counts, said on one line.
raw=$log
log=$(mktemp "${TMPDIR:-/tmp}/vflab-counted.XXXXXX")
trap 'rm -rf "$raw" "$log" "$l2dir"' EXIT
awk '
/^LAB-BEGIN / { if (held != "") printf "%s", held; held = $0 "\n"; next }
/^LAB-RETRY / { held = ""; print; next }
held != "" { held = held $0 "\n"; if ($0 ~ /^LAB-END /) { printf "%s", held; held = "" } next }
{ print }
END { printf "%s", held }' "$raw" > "$log"
grep '^LAB-RETRY ' "$log" | sed 's/^LAB-RETRY /lab: re-ran /'

pass=$(grep -cE '^PASS [^ ]+' "$log")
fail=$(grep -cE '^FAIL [^ ]+' "$log")
if [ $# -eq 0 ]; then
	if l2_kit_check; then
		echo "PASS lab-l2-kit-boots"
		pass=$((pass + 1))
	else
		echo "FAIL lab-l2-kit-boots: /lab/l2 bzImage + initrd did not reach its init and run /l2.sh"
		fail=$((fail + 1))
	fi
fi
skip=$(grep -cE '^SKIP [^ ]+' "$log")
# Cases that started but never ended, or ended badly without a FAIL line.
for c in "${cases[@]}"; do
	n=$(basename "$c" .sh)
	if ! grep -q "^LAB-BEGIN $n\$" "$log"; then
		echo "FAIL $n: never started (L1 died or timed out before it)"
		fail=$((fail + 1))
		continue
	fi
	end_line=$(grep "^LAB-END $n " "$log" | tail -n 1)
	if [ -z "$end_line" ]; then
		echo "FAIL $n: never finished (L1 died or timed out inside it)"
		fail=$((fail + 1))
		continue
	fi
	rc=${end_line##*rc=}
	verdicts=$(sed -n "/^LAB-BEGIN $n\$/,/^LAB-END $n /p" "$log" | grep -cE '^(PASS|FAIL|SKIP) ')
	nfail=$(sed -n "/^LAB-BEGIN $n\$/,/^LAB-END $n /p" "$log" | grep -cE '^FAIL ')
	if [ "$verdicts" -eq 0 ]; then
		echo "FAIL $n: printed no PASS/FAIL line (exit $rc)"
		fail=$((fail + 1))
	elif [ "$rc" != 0 ] && [ "$nfail" -eq 0 ]; then
		echo "FAIL $n: exited $rc without saying why"
		fail=$((fail + 1))
	fi
done
if [ "$(grep -c '^LAB-DONE' "$log")" -lt "$boots" ]; then
	echo "lab: L1 did not finish (QEMU exit $st)"
	[ "$fail" -eq 0 ] && fail=1
fi
if [ "$skip" -gt 0 ]; then
	# lib.sh's skip() prints FAIL now; a SKIP line from anywhere else is a
	# check that did not run, and counts against the tier
	echo "lab: $skip check(s) SKIPPED (counted as failed):"
	grep -E '^SKIP ' "$log" | sed 's/^/lab:   /'
	fail=$((fail + skip))
fi
echo "lab: $boots L1 boot(s), $((end - start)) s wall for ${#cases[@]} case file(s) ($(grep -m1 -o 'LAB-L1: modules loaded, uptime [0-9.]*s' "$log" | sed 's/.*uptime //') to modules loaded)"
finish "$pass" "$fail"
