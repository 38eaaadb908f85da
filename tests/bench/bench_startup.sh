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
# Inside L1 (below) the files are where boot.sh put them.
IMG=${BENCH_IMG:-$BUILD/guests/bench.bin}
VFVM=${BENCH_VFVM:-$BUILD/vfvm}
FLOOR=${BENCH_FLOOR:-$BUILD/tests/bench/kvm_floor}
for f in "$IMG" "$VFVM" "$FLOOR"; do
	[ -e "$f" ] || { echo "bench_startup: $f missing (run make BUILD=$BUILD)"; exit 1; }
done

# A host without /dev/kvm: the same measurement inside the lab's L1, on its
# KVM (nested SVM under TCG: absolute times are the lab's, the ratios are
# what to read), with QEMU packed in as the peer.
if [ ! -c /dev/kvm ]; then
	. tests/lab/lab-env.sh
	missing=$(lab_missing)
	if [ -n "$missing" ]; then
		echo "bench_startup: no /dev/kvm here and the lab cannot boot (missing:$missing): not measured"
		exit 1
	fi
	echo "bench_startup: this host has no /dev/kvm: measuring inside the lab's L1 (minutes)..."
	FLOOR=$(readlink -f "$FLOOR")
	w=$(mktemp -d /tmp/bench-startup.XXXXXX)
	trap 'rm -rf "$w"' EXIT
	bash tests/bench/lab/pack-qemu.sh "$w/root" "$(command -v qemu-system-x86_64)" \
		"$FLOOR" /usr/bin/time || { echo "bench_startup: cannot pack QEMU for L1"; exit 1; }
	mkdir -p "$w/root/opt/bench/tests/bench" "$w/root/opt/bench/tests/lab"
	cp "$0" "$w/root/opt/bench/tests/bench/bench_startup.sh"
	cp "$IMG" "$w/root/opt/bench/bench.bin"
	(cd "$w/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$w/extra.cpio.gz"
	cat > "$w/startup-l1.sh" <<L1
echo BENCH-STARTUP-BEGIN
cd /opt/bench && N=$N BENCH_IMG=/opt/bench/bench.bin BENCH_VFVM=/usr/local/bin/vfvm \\
	BENCH_FLOOR=$FLOOR bash tests/bench/bench_startup.sh
echo BENCH-STARTUP-END rc=\$?
L1
	LAB_EXTRA_CPIO=$w/extra.cpio.gz BUILD=$BUILD bash tests/lab/boot.sh "$w/startup-l1.sh" 2>&1 |
		tr -d '\r' > "$w/lab.log"
	if ! grep -q '^BENCH-STARTUP-END rc=0' "$w/lab.log"; then
		echo "bench_startup: the measurement in L1 did not complete; the end of its console:"
		tail -n 30 "$w/lab.log" | sed 's/^/  /'
		exit 1
	fi
	sed -n '/^BENCH-STARTUP-BEGIN/,/^BENCH-STARTUP-END/p' "$w/lab.log" | sed '1d;$d'
	echo "(measured inside the lab's L1 on its nested KVM; compare ratios, not milliseconds)"
	exit 0
fi

median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# measure NAME CMD...: prints "name median_ms median_rss_kb"
measure() {
	local name=$1 t0 t1 i times=() rss=() st
	shift
	for ((i = 0; i < N; i++)); do
		t0=${EPOCHREALTIME/./}
		timeout 30 "$@" >/dev/null 2>&1 </dev/null
		st=$?
		t1=${EPOCHREALTIME/./}
		if [ "$st" -eq 124 ]; then
			echo "$name: timed out" >&2
			return 1
		fi
		times+=($((t1 - t0)))
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
	measure vfvm "$VFVM" run --mem 16M --firmware "$IMG"
	if command -v qemu-system-x86_64 >/dev/null; then
		measure "qemu-microvm($QEMU_ACCEL)" "${QEMU[@]}"
	fi
	measure kvm-floor "$FLOOR" "$IMG"
	measure kvm-floor+irqchip "$FLOOR" "$IMG" irqchip
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
