#!/usr/bin/env bash
# Live migration and snapshot/restore, vfvm against QEMU, inside the
# emulated lab (one L1 boot, L1's nested KVM; tests/bench/lab/migrate-l1.sh):
# a Linux L2 (1 vCPU, a virtio-net on a tap of one bridge) migrated over
# loopback TCP in L1 to a second instance of the same VMM:
#   idle      256 MiB, BENCH_LAB_MIG_ROUNDS (5) migrations;
#   idle-big  BENCH_LAB_MIG_BIG_MB (1024) MiB, BENCH_LAB_MIG_BIG_ROUNDS (3);
#   dirty     256 MiB, L2 rewriting BENCH_LAB_MIG_DIRTY_MB (32) MiB of
#             random data in a loop, BENCH_LAB_MIG_DIRTY_ROUNDS (3)
#             migrations (QEMU with auto-converge; vfvm throttles itself);
#   upgrade   256 MiB, ROUNDS same-host hand-overs to a new instance over
#             a Unix socket, guest RAM shared rather than copied (vfvm ctl
#             upgrade passes the memfd; QEMU maps one memory-backend-file
#             share=on in both and sets x-ignore-shared);
#   snapshot  256 MiB, ROUNDS snapshots and restores (vfvm ctl snapshot /
#             run --restore; QEMU stop + migrate to file: / -incoming
#             defer + migrate-incoming file: + cont).
# Total time and downtime as each VMM reports them, and the hand-over as
# L2's ticker (every 100 ms) shows it: L1's clock between the last tick
# read from the source and the first from the destination, and the
# guest's own clock between those ticks.  Medians and vfvm/QEMU ratios;
# nothing here asserts a time.  QEMU is packed into L1 as in
# bench_lab_vmm.sh (tests/bench/lab/pack-qemu.sh).
# BENCH_LAB=0 skips it; BENCH_LAB_MIG_MACHINE (q35) is QEMU's machine;
# BENCH_LAB_MIG_TRACE=1 prints the console lines around each hand-over.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
BUILD=${BUILD:-build}
ROUNDS=${BENCH_LAB_MIG_ROUNDS:-5}
BIG_ROUNDS=${BENCH_LAB_MIG_BIG_ROUNDS:-3}
DIRTY_ROUNDS=${BENCH_LAB_MIG_DIRTY_ROUNDS:-3}
BIG_MB=${BENCH_LAB_MIG_BIG_MB:-1024}
DIRTY_MB=${BENCH_LAB_MIG_DIRTY_MB:-32}
MACHINE=${BENCH_LAB_MIG_MACHINE:-q35}
CMDLINE=${BENCH_LAB_CMDLINE:-console=ttyS0 panic=-1 quiet}

if [ "${BENCH_LAB:-1}" = 0 ]; then
	echo "bench_lab_migrate: not measured (BENCH_LAB=0)"
	exit 0
fi
case $BUILD in
/*) VFVM=$BUILD/vfvm ;;
*) VFVM=$TOP/$BUILD/vfvm ;;
esac
if [ ! -x "$VFVM" ]; then
	echo "bench_lab_migrate: $VFVM not built (make BUILD=$BUILD): nothing measured"
	exit 1
fi
QEMU=$(command -v "${LAB_QEMU:-qemu-system-x86_64}") || {
	echo "bench_lab_migrate: ${LAB_QEMU:-qemu-system-x86_64} missing: run tools/install-deps.sh"
	exit 1
}

WORK=$(mktemp -d /tmp/bench-lab-mig.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ---- QEMU for L1, as an extra initramfs archive ----
root=$WORK/root
bash tests/bench/lab/pack-qemu.sh "$root" "$QEMU"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$WORK/qemu.cpio.gz"
{
	echo "# lab-case-timeout: ${LAB_CASE_TIMEOUT:-1500}"
	echo "ROUNDS=$ROUNDS"
	echo "BIG_ROUNDS=$BIG_ROUNDS"
	echo "DIRTY_ROUNDS=$DIRTY_ROUNDS"
	echo "BIG_MB=$BIG_MB"
	echo "DIRTY_MB=$DIRTY_MB"
	echo "MACHINE='$MACHINE'"
	echo "CMDLINE='$CMDLINE'"
	echo "TRACE=${BENCH_LAB_MIG_TRACE:-0}"
	cat tests/bench/lab/migrate-l1.sh
} > "$WORK/bench-migrate.sh"

echo "lab: booting the emulated lab once; $ROUNDS idle 256 MiB migrations and snapshots, $DIRTY_ROUNDS dirtying, $BIG_ROUNDS at $BIG_MB MiB, $ROUNDS same-host upgrades per VMM (minutes; console in $WORK/lab.log)..."
t0=$(date +%s)
LAB_CASE_TIMEOUT=${LAB_CASE_TIMEOUT:-1500} LAB_TIMEOUT=${LAB_TIMEOUT:-1600} \
	LAB_QEMU=$TOP/tests/bench/lab/qemu-extra.sh BENCHLAB_REAL_QEMU=$QEMU \
	BENCHLAB_EXTRA_CPIO=$WORK/qemu.cpio.gz BUILD=$BUILD \
	bash tests/lab/boot.sh "$WORK/bench-migrate.sh" 2>&1 | sed -u 's/\r$//' > "$WORK/lab.log"
st=${PIPESTATUS[0]}
echo "lab: done in $(($(date +%s) - t0)) s (boot.sh exit $st$([ "$st" = 124 ] && echo ': killed by LAB_TIMEOUT, numbers partial'))"
[ -n "${BENCH_LAB_LOG:-}" ] && cp "$WORK/lab.log" "$BENCH_LAB_LOG"
if ! grep -qE '^BENCH-(MIG|SNAP) ' "$WORK/lab.log"; then
	echo "lab: no measurements came back; the end of the console log:"
	tail -n 40 "$WORK/lab.log" | sed 's/^/  /'
	exit 1
fi
grep -E '^(BENCH-MIG-NOTE|BENCH-MIG-TRACE|  \| )' "$WORK/lab.log" | sed -E 's/^BENCH-MIG-(NOTE|TRACE) /  \L\1: /'

awk -v big="$BIG_MB" -v dmb="$DIRTY_MB" -v machine="$MACHINE" '
function med(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	if (n == 0) return ""
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function r(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
function show(v) { return v == "" ? "n/a" : v }
function add(k, v) { if (v ~ /^[0-9.]+$/) s[k] = s[k] " " v }
function row(name, k) {
	v = med(s["vfvm " k]); q = med(s["qemu " k])
	printf "  %-46s %9s %9s %9s\n", name, show(v), show(q), r(v, q)
}
/^BENCH-MIG (idle|dirty|idle-big|upgrade) / {
	k = $2; n[$3 " " k]++
	add($3 " " k " total", $4); add($3 " " k " down", $5); add($3 " " k " l1", $6)
	add($3 " " k " guest", $7); add($3 " " k " passes", $8); add($3 " " k " mib", $9)
	add($3 " " k " base", $11); add($3 " " k " gbase", $12); add($3 " " k " after", $13)
	smp[$3 " " k] = smp[$3 " " k] " " $4 "/" $5 "/" $6
}
/^BENCH-MIG-PAUSE / { for (i = 3; i <= 6; i++) add("p " $2 " " i, $i) }
/^BENCH-MIG-DIRTY / { add($2 " dirty rate", $3) }
/^BENCH-SNAP / { add($2 " snap write", $3); add($2 " snap restore", $4); add($2 " snap mib", $5); n[$2 " snap"]++ }
END {
	printf "Live migration over loopback TCP in L1 and snapshot/restore of a Linux L2 (1 vCPU; QEMU -M %s), medians:\n", machine
	printf "  %-46s %9s %9s %9s\n", "", "vfvm", "QEMU", "vfvm/QEMU"
	split("idle dirty idle-big upgrade", kinds, " ")
	label["idle"] = "idle 256 MiB"; label["dirty"] = "256 MiB, L2 rewriting " dmb " MiB"; label["idle-big"] = "idle " big " MiB"
	label["upgrade"] = "same-host upgrade 256 MiB, RAM shared"
	for (i = 1; i <= 4; i++) {
		k = kinds[i]
		printf "  %-46s %9s %9s\n", label[k] ": migrations completed", (n["vfvm " k] + 0), (n["qemu " k] + 0)
		if (k == "dirty") row("  L2 rewrote MiB/s (before the first)", "dirty rate")
		row("  total ms (the VMM says)", k " total")
		row("  downtime ms (the VMM says)", k " down")
		row("  L1 gap between ticks ms", k " l1")
		row("    of it, from completion to the first tick", k " after")
		row("  guest clock gap between ticks ms", k " guest")
		row("  passes (QEMU: dirty syncs)", k " passes")
		row("  MiB sent", k " mib")
		if (s["p " k " 3"] != "")
			printf "  %-46s %s/%s/%s/%s\n", "  vfvm pause: stop/last pages/state/dest. ms", med(s["p " k " 3"]),
				med(s["p " k " 4"]), med(s["p " k " 5"]), med(s["p " k " 6"])
	}
	printf "  %-46s %9s %9s\n", "snapshot 256 MiB: snapshots restored", (n["vfvm snap"] + 0), (n["qemu snap"] + 0)
	row("  write ms (pause + write, as L1 saw it)", "snap write")
	row("  restore to the first tick ms", "snap restore")
	row("  file MiB on disk", "snap mib")
	printf "  usual tick interval before the hand-over, L1/guest ms: vfvm %s/%s, QEMU %s/%s\n",
		show(med(s["vfvm idle base"])), show(med(s["vfvm idle gbase"])), show(med(s["qemu idle base"])), show(med(s["qemu idle gbase"]))
	for (i = 1; i <= 4; i++)
		printf "  %s samples total/downtime/L1 gap ms: vfvm%s | QEMU%s\n", kinds[i], smp["vfvm " kinds[i]], smp["qemu " kinds[i]]
}' "$WORK/lab.log"
[ "$st" = 0 ] || exit 1
