#!/usr/bin/env bash
# Start-to-exit time and peak RSS on the same small guest program
# ($BUILD/guests/bench.bin: a reset vector that resets through the i8042,
# or leaves through isa-debug-exit where there is no i8042):
#   vfvm run --firmware   vs   qemu-system-x86_64 -M microvm -bios
#   vs a bare KVM floor (tests/bench/kvm_floor.c) with and without irqchip.
# Median of N runs (default 10) each; ratios against QEMU.  Goals (not
# asserted): vfvm <= 0.35x QEMU's time and <= 3 MB RSS.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
N=${N:-10}
IMG=$BUILD/guests/bench.bin
for f in "$IMG" "$BUILD/vfvm" "$BUILD/tests/bench/kvm_floor"; do
	[ -e "$f" ] || { echo "bench_startup: $f missing (run make BUILD=$BUILD)"; exit 1; }
done
[ -e /dev/kvm ] || { echo "bench_startup: /dev/kvm missing: cannot measure"; exit 1; }

median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# measure NAME CMD...: prints "name median_ms median_rss_kb"
measure() {
	local name=$1 t0 t1 i times=() rss=() st
	shift
	for ((i = 0; i < N; i++)); do
		t0=$(date +%s%N)
		timeout 30 "$@" >/dev/null 2>&1 </dev/null
		st=$?
		t1=$(date +%s%N)
		if [ "$st" -eq 124 ]; then
			echo "$name: timed out" >&2
			return 1
		fi
		times+=($(((t1 - t0) / 1000)))
		rss+=("$(/usr/bin/time -f %M timeout 30 "$@" 2>&1 >/dev/null </dev/null | tail -n 1)")
	done
	printf '%s %s %s\n' "$name" \
		"$(printf '%s\n' "${times[@]}" | median | awk '{printf "%.2f", $1 / 1000}')" \
		"$(printf '%s\n' "${rss[@]}" | median)"
}

QEMU_ACCEL=kvm
timeout 30 qemu-system-x86_64 -M microvm -accel kvm -bios "$IMG" -display none -no-reboot \
	-nodefaults -m 16M -device isa-debug-exit,iobase=0x501,iosize=2 >/dev/null 2>&1
# isa-debug-exit ends QEMU with (0 << 1) | 1 = 1; anything else means KVM did not work
[ $? -eq 1 ] || QEMU_ACCEL=tcg
QEMU=(qemu-system-x86_64 -M microvm -accel "$QEMU_ACCEL" -bios "$IMG" -display none -no-reboot
	-nodefaults -m 16M -device "isa-debug-exit,iobase=0x501,iosize=2")

results=$(mktemp)
trap 'rm -f "$results"' EXIT
{
	measure vfvm "$BUILD/vfvm" run --mem 16M --firmware "$IMG"
	if command -v qemu-system-x86_64 >/dev/null; then
		measure "qemu-microvm($QEMU_ACCEL)" "${QEMU[@]}"
	fi
	measure kvm-floor "$BUILD/tests/bench/kvm_floor" "$IMG"
	measure kvm-floor+irqchip "$BUILD/tests/bench/kvm_floor" "$IMG" irqchip
} >"$results" || exit 1

qt=$(awk '/^qemu/ {print $2}' "$results")
qr=$(awk '/^qemu/ {print $3}' "$results")
printf '%-22s %12s %12s %10s %10s\n' "startup (median of $N)" "time ms" "peak RSS MB" "time/QEMU" "RSS/QEMU"
while read -r name t r; do
	if [ -n "$qt" ]; then
		rt=$(awk -v a="$t" -v b="$qt" 'BEGIN {printf "%.2fx", a / b}')
		rr=$(awk -v a="$r" -v b="$qr" 'BEGIN {printf "%.2fx", a / b}')
	else
		rt=n/a rr=n/a
	fi
	printf '%-22s %12s %12s %10s %10s\n' "$name" "$t" "$(awk -v r="$r" 'BEGIN {printf "%.1f", r / 1024}')" "$rt" "$rr"
done <"$results"
vt=$(awk '/^vfvm/ {print $2}' "$results")
vr=$(awk '/^vfvm/ {print $3}' "$results")
echo "goals: vfvm time <= 0.35x QEMU, RSS <= 3 MB:" \
	"$(awk -v a="$vt" -v b="${qt:-0}" 'BEGIN {if (b == 0) print "no QEMU to compare"; else if (a <= 0.35 * b) print "time met"; else print "time NOT met"}'), " \
	"$(awk -v r="$vr" 'BEGIN {if (r <= 3072) print "RSS met"; else print "RSS NOT met"}')"
