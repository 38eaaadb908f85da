#!/usr/bin/env bash
# PCI hot-plug into a running Linux L2, vfvm against QEMU, inside the
# emulated lab (one L1 boot, L1's nested KVM; tests/bench/lab/hotplug-l1.sh):
#   hotplug  an NVMe VF on vfio-pci, BENCH_LAB_HP_ROUNDS (default 3) rounds
#            in one L2 boot per VMM: add (vfvm ctl add-device / QMP
#            device_add) until L2 has /dev/nvme0n1, and remove (vfvm ctl
#            remove-device / QMP device_del until DEVICE_DELETED); then
#            vfvm once more with the VF on its host driver (,managed).
#            QEMU: -enable-kvm -M q35 with a pcie-root-port (ACPI hot-plug,
#            the default since QEMU 6.1), or BENCH_LAB_HP_MACHINE=pc (i440fx,
#            ACPI hot-plug on bus 0).
# Medians in ms and vfvm/QEMU ratios; nothing here asserts a time.
# QEMU is packed into L1 as in bench_lab_vmm.sh (tests/bench/lab/pack-qemu.sh).
# BENCH_LAB=0 skips it; BENCH_LAB_HP_PARTS (default "hotplug") picks parts.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
BUILD=${BUILD:-build}
ROUNDS=${BENCH_LAB_HP_ROUNDS:-3}
MACHINE=${BENCH_LAB_HP_MACHINE:-q35}
PARTS=${BENCH_LAB_HP_PARTS:-hotplug failover}
FO_WIN=${BENCH_LAB_FO_WIN:-20}
CMDLINE=${BENCH_LAB_CMDLINE:-console=ttyS0 panic=-1 quiet}

if [ "${BENCH_LAB:-1}" = 0 ]; then
	echo "bench_lab_hotplug: not measured (BENCH_LAB=0)"
	exit 0
fi
case $BUILD in
/*) VFVM=$BUILD/vfvm ;;
*) VFVM=$TOP/$BUILD/vfvm ;;
esac
if [ ! -x "$VFVM" ]; then
	echo "bench_lab_hotplug: $VFVM not built (make BUILD=$BUILD): nothing measured"
	exit 1
fi
QEMU=$(command -v "${LAB_QEMU:-qemu-system-x86_64}") || {
	echo "bench_lab_hotplug: ${LAB_QEMU:-qemu-system-x86_64} missing: run tools/install-deps.sh"
	exit 1
}

WORK=$(mktemp -d /tmp/bench-lab-hp.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ---- QEMU for L1, as an extra initramfs archive ----
root=$WORK/root
bash tests/bench/lab/pack-qemu.sh "$root" "$QEMU"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$WORK/qemu.cpio.gz"
{
	echo "ROUNDS=$ROUNDS"
	echo "MACHINE='$MACHINE'"
	echo "PARTS='$PARTS'"
	echo "FO_WIN=$FO_WIN"
	echo "CMDLINE='$CMDLINE'"
	cat tests/bench/lab/hotplug-l1.sh
} > "$WORK/bench-hotplug.sh"

echo "lab: booting the emulated lab once; parts: $PARTS, $ROUNDS rounds per VMM (minutes; console in $WORK/lab.log)..."
t0=$(date +%s)
LAB_CASE_TIMEOUT=${LAB_CASE_TIMEOUT:-1100} LAB_TIMEOUT=${LAB_TIMEOUT:-1200} \
	LAB_QEMU=$TOP/tests/bench/lab/qemu-extra.sh BENCHLAB_REAL_QEMU=$QEMU \
	BENCHLAB_EXTRA_CPIO=$WORK/qemu.cpio.gz BUILD=$BUILD \
	bash tests/lab/boot.sh "$WORK/bench-hotplug.sh" 2>&1 | sed -u 's/\r$//' > "$WORK/lab.log"
st=${PIPESTATUS[0]}
echo "lab: done in $(($(date +%s) - t0)) s (boot.sh exit $st$([ "$st" = 124 ] && echo ': killed by LAB_TIMEOUT, numbers partial'))"
[ -n "${BENCH_LAB_LOG:-}" ] && cp "$WORK/lab.log" "$BENCH_LAB_LOG"
if ! grep -qE '^BENCH-(HP|FO) ' "$WORK/lab.log"; then
	echo "lab: no measurements came back; the end of the console log:"
	tail -n 40 "$WORK/lab.log" | sed 's/^/  /'
	exit 1
fi
grep -E '^(BENCH-HP-NOTE|BENCH-FO-NOTE|  \| )' "$WORK/lab.log" | sed -E 's/^BENCH-(HP|FO)-NOTE /  note: /'

awk -v rounds="$ROUNDS" -v machine="$MACHINE" '
function med(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	if (n == 0) return ""
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function r(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
function show(v) { return v == "" ? "n/a" : v }
function add(k, v) { if (v ~ /^[0-9]+$/) s[k] = s[k] " " v }
/^BENCH-HP add / {
	add($3 " am", $5); add($3 " ar", $6); ntries++
	if ($5 ~ /^[0-9]+$/) ok[$3]++
	if ($4 == 1) { add($3 " fm", $5); add($3 " fr", $6) }
}
/^BENCH-HP remove / { add($3 " rl", $5); add($3 " rg", $6) }
END {
	if (!ntries) exit
	printf "PCI hot-plug of an NVMe VF into a running Linux L2 (QEMU -M %s, ACPI hot-plug), median ms of %d rounds:\n", machine, rounds
	printf "  %-38s %8s %8s %9s %13s\n", "", "vfvm", "QEMU", "vfvm/QEMU", "vfvm managed"
	split("am ar fm fr rl rg", key, " ")
	name["am"] = "add: command to L2 /dev/nvme0n1"
	name["fm"] = "  first round: command to the disk"
	name["fr"] = "  first round: command returned"
	name["ar"] = "add: command returned"
	name["rl"] = "remove: until the guest let go"
	name["rg"] = "remove: until L2 saw it gone"
	for (k = 1; k <= 6; k++) {
		v = med(s["vfvm " key[k]]); q = med(s["qemu " key[k]]); m = med(s["vfvm-managed " key[k]])
		printf "  %-38s %8s %8s %9s %13s\n", name[key[k]], show(v), show(q), r(v, q), show(m)
	}
	printf "  %-38s %8s %8s %9s %13s\n", "rounds with the disk in L2", (ok["vfvm"] + 0) "/" rounds,
		(ok["qemu"] + 0) "/" rounds, "", (ok["vfvm-managed"] + 0) "/" rounds
	printf "  add samples (ms to the disk) vfvm:%s | QEMU:%s | managed:%s\n", s["vfvm am"], s["qemu am"], s["vfvm-managed am"]
	printf "  remove samples (ms to let go) vfvm:%s | QEMU:%s | managed:%s\n", s["vfvm rl"], s["qemu rl"], s["vfvm-managed rl"]
}' "$WORK/lab.log"

awk -v win="$FO_WIN" '
function r(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
function show(v) { return v == "" ? "n/a" : v }
/^BENCH-FO / && $4 ~ /^[0-9]+$/ {
	vmm = $2 == "vfvm-fo" ? "vfvm" : "qemu"
	sw[vmm, $3] = $4; lost[vmm, $3] = ($5 - $6) "/" $5; gap[vmm, $3] = $7; seen = 1
}
/^BENCH-FO / { tried = 1 }
END {
	if (!tried) exit
	printf "virtio-net failover, igb VF primary; L2 pings 10.0.2.2 every 50 ms for %d s around each switch:\n", win
	if (!seen) { print "  no switch measured (see notes)"; exit }
	printf "  %-36s %8s %8s %9s\n", "", "vfvm", "QEMU", "vfvm/QEMU"
	for (p = 0; p < 2; p++) {
		ph = p ? "replug" : "unplug"
		printf "  %-36s %8s %8s %9s\n", ph ": switch command took ms", show(sw["vfvm", ph]), show(sw["qemu", ph]), r(sw["vfvm", ph], sw["qemu", ph])
		printf "  %-36s %8s %8s\n", ph ": pings lost/sent", show(lost["vfvm", ph]), show(lost["qemu", ph])
		printf "  %-36s %8s %8s %9s\n", ph ": largest gap between replies ms", show(gap["vfvm", ph]), show(gap["qemu", ph]), r(gap["vfvm", ph], gap["qemu", ph])
	}
}' "$WORK/lab.log"
[ "$st" = 0 ] || exit 1
