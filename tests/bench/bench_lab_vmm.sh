#!/usr/bin/env bash
# vfvm against QEMU inside the emulated lab (one L1 boot, L1's nested KVM):
#   boot  Linux (the lab's L2 kernel + initramfs, 2 vCPUs, 512 MiB) to its
#         init marker: vfvm vs `qemu-system-x86_64 -enable-kvm -M microvm`;
#         median of BENCH_LAB_BOOTS boots each (default 3), vfvm/QEMU ratio
#         (goal <= 0.8).
#   net   virtio-net TCP throughput L2 -> L1 over the same tap (bt0): vfvm's
#         virtio-net vs QEMU's userspace one (-netdev tap,vhost=off,
#         virtio-net-pci on microvm,pcie=on); BENCH_LAB_NET_MB MiB (default
#         8) sent BENCH_LAB_NET_RUNS times (default 3); median MB/s and the
#         vfvm/QEMU ratio (goal >= 1).
#   vfio  (tests/bench/lab/vfio-l1.sh) one NVMe VF: DMA-map ms per GiB of
#         guest RAM, 4 KiB pages vs --hugetlb (vfvm start-to-exit at 256 and
#         768 MiB, with and without the VF); IOPS and interrupts/s of
#         BENCH_LAB_IOS (default 1000) direct 4 KiB reads in L2, BENCH_LAB_IOPS_ROUNDS
#         (3) per boot, BENCH_LAB_IOPS_BOOTS (2) alternating boots each; vfvm vs QEMU
#         vfio-pci (goal >= 1).  BENCH_LAB_MAP_REPS (default 2) runs a point.
# QEMU is not in the lab's L1 image: this packs the host's QEMU (binary, its
# shared libraries, the firmware it loads) into an extra initramfs archive
# that tests/bench/lab/qemu-extra.sh appends to boot.sh's initrd.
# BENCH_LAB_VFVM_B=FILE measures a second vfvm build's net throughput too,
# with BENCH_LAB_VFVM_B_NET appended to its --net (e.g. tx-coalesce=0).
# BENCH_LAB=0 skips it; BENCH_LAB_PARTS (default "boot net vfio") picks parts.
# Nothing here asserts a time.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
BUILD=${BUILD:-build}
BOOTS=${BENCH_LAB_BOOTS:-3}
NET_MB=${BENCH_LAB_NET_MB:-8}
NET_RUNS=${BENCH_LAB_NET_RUNS:-3}
MAP_REPS=${BENCH_LAB_MAP_REPS:-2}
IOS=${BENCH_LAB_IOS:-1000}
IOPS_ROUNDS=${BENCH_LAB_IOPS_ROUNDS:-3}
IOPS_BOOTS=${BENCH_LAB_IOPS_BOOTS:-2}
CMDLINE=${BENCH_LAB_CMDLINE:-console=ttyS0 panic=-1 quiet}
PARTS=" ${BENCH_LAB_PARTS:-boot net vfio} "
case $PARTS in *" boot "*) ;; *) BOOTS=0 ;; esac
case $PARTS in *" net "*) ;; *) NET_RUNS=0 ;; esac

# The lab brings its own KVM (L1's), so it runs whatever the host has;
# BENCH_LAB=0 leaves it out (a quick bench run while developing).
if [ "${BENCH_LAB:-1}" = 0 ]; then
	echo "bench_lab_vmm: not measured (BENCH_LAB=0)"
	exit 0
fi
case $BUILD in
/*) VFVM=$BUILD/vfvm ;;
*) VFVM=$TOP/$BUILD/vfvm ;;
esac
if [ ! -x "$VFVM" ]; then
	echo "bench_lab_vmm: $VFVM not built (make BUILD=$BUILD): nothing measured"
	exit 1
fi
QEMU=$(command -v "${LAB_QEMU:-qemu-system-x86_64}") || {
	echo "bench_lab_vmm: ${LAB_QEMU:-qemu-system-x86_64} missing: run tools/install-deps.sh"
	exit 1
}

WORK=$(mktemp -d /tmp/bench-lab-vmm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ---- QEMU for L1, as an extra initramfs archive ----
root=$WORK/root
bash tests/bench/lab/pack-qemu.sh "$root" "$QEMU"
# The guest that powers off at once, for the DMA-map timing.
case $BUILD in
/*) fw=$BUILD/guests/poweroff.bin ;;
*) fw=$TOP/$BUILD/guests/poweroff.bin ;;
esac
if [ -s "$fw" ]; then
	mkdir -p "$root/opt/bench"
	cp "$fw" "$root/opt/bench/poweroff.bin"
fi
# A second vfvm build measured next to the first (A/B while developing).
if [ -n "${BENCH_LAB_VFVM_B:-}" ]; then
	mkdir -p "$root/opt/bench"
	cp "$BENCH_LAB_VFVM_B" "$root/opt/bench/vfvm-b"
fi
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$WORK/qemu.cpio.gz"

{
	echo "BOOTS=$BOOTS"
	echo "NET_MB=$NET_MB"
	echo "NET_RUNS=$NET_RUNS"
	echo "CMDLINE='$CMDLINE'"
	echo "VFVM_B_NET='${BENCH_LAB_VFVM_B_NET:-}'"
	cat tests/bench/lab/vmm-l1.sh
} > "$WORK/bench-vmm.sh"
{
	echo "MAP_REPS=$MAP_REPS"
	echo "IOS=$IOS"
	echo "IOPS_ROUNDS=$IOPS_ROUNDS"
	echo "IOPS_BOOTS=$IOPS_BOOTS"
	cat tests/bench/lab/vfio-l1.sh
} > "$WORK/bench-vfio.sh"

scripts=("$WORK/bench-vmm.sh")
case $PARTS in *" vfio "*) scripts+=("$WORK/bench-vfio.sh") ;; esac
echo "lab: booting the emulated lab once; $BOOTS boots per VMM, ${NET_RUNS}x ${NET_MB} MiB per VMM, then VFIO (minutes; console in $WORK/lab.log)..."
t0=$(date +%s)
# One case runs everything: give it the whole boot's time.
LAB_CASE_TIMEOUT=${LAB_CASE_TIMEOUT:-1100} LAB_TIMEOUT=${LAB_TIMEOUT:-1200} \
	LAB_QEMU=$TOP/tests/bench/lab/qemu-extra.sh BENCHLAB_REAL_QEMU=$QEMU \
	BENCHLAB_EXTRA_CPIO=$WORK/qemu.cpio.gz BUILD=$BUILD \
	bash tests/lab/boot.sh "${scripts[@]}" 2>&1 | sed -u 's/\r$//' > "$WORK/lab.log"
st=${PIPESTATUS[0]}
echo "lab: done in $(($(date +%s) - t0)) s (boot.sh exit $st$([ "$st" = 124 ] && echo ': killed by LAB_TIMEOUT, numbers partial'))"
[ -n "${BENCH_LAB_LOG:-}" ] && cp "$WORK/lab.log" "$BENCH_LAB_LOG"
if ! grep -qE '^BENCH-(VMM|VFIO) ' "$WORK/lab.log"; then
	echo "lab: no measurements came back; the end of the console log:"
	tail -n 40 "$WORK/lab.log" | sed 's/^/  /'
	exit 1
fi
grep -E '^(BENCH-VMM-NOTE|BENCH-VFIO-NOTE|  \| )' "$WORK/lab.log" | sed -E 's/^BENCH-(VMM|VFIO)-NOTE /  note: /'

awk -v cmdline="$CMDLINE" -v mb="$NET_MB" '
function med(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	if (n == 0) return ""
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function r(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
function show(v) { return v == "" ? "n/a" : v }
/^BENCH-VMM boot / {
	if ($5 ~ /^[0-9]+$/) { mark[$3] = mark[$3] " " $5; nm[$3]++ }
	if ($6 ~ /^[0-9]+$/ && $7 == 0) ex[$3] = ex[$3] " " $6
	tries[$3]++
}
/^BENCH-VMM kvm / {
	for (i = 5; i <= NF; i++) {
		split($i, kvp, "=")
		if (!(kvp[1] in kseen)) { kseen[kvp[1]] = 1; kname[++nk] = kvp[1] }
		kv[$3, kvp[1]] += kvp[2]
	}
	kmb[$3] += mb
}
/^BENCH-VMM net / {
	if ($5 ~ /^[0-9]+$/ && $6 ~ /^[0-9]+$/ && $6 > 0 && $5 == mb * 1048576) {
		net[$3] = net[$3] " " sprintf("%.1f", $5 / 1048576 / ($6 / 1000)); nn[$3]++
	} else bad[$3]++
}
END {
	mv = med(mark["vfvm"]); mq = med(mark["qemu"]); ev = med(ex["vfvm"]); eq = med(ex["qemu"])
	printf "Linux boot in L2 (cmdline \"%s\"), median ms from VMM start:\n", cmdline
	printf "  %-28s %10s %10s %8s\n", "", "vfvm", "QEMU", "vfvm/QEMU"
	printf "  %-28s %10s %10s %8s   (goal <= 0.8)\n", "to init marker", show(mv), show(mq), r(mv, mq)
	printf "  %-28s %10s %10s %8s\n", "to exit after poweroff", show(ev), show(eq), r(ev, eq)
	printf "  %-28s %10s %10s\n", "boots with a marker", (nm["vfvm"] + 0) "/" (tries["vfvm"] + 0), (nm["qemu"] + 0) "/" (tries["qemu"] + 0)
	nv = med(net["vfvm"]); nq = med(net["qemu"])
	printf "virtio-net TCP L2 -> L1 over tap (%d MiB per run), median MB/s:\n", mb
	printf "  %-28s %10s %10s %8s   (goal >= 1)\n", "throughput", show(nv), show(nq), r(nv, nq)
	printf "  %-28s %10s %10s\n", "complete runs", (nn["vfvm"] + 0) "/" (nn["vfvm"] + bad["vfvm"]), (nn["qemu"] + 0) "/" (nn["qemu"] + bad["qemu"])
	printf "  samples vfvm:%s | QEMU:%s\n", net["vfvm"], net["qemu"]
	if (nn["vfvm-b"] + bad["vfvm-b"] > 0)
		printf "  BENCH_LAB_VFVM_B: median %s MB/s, %s of QEMU; samples%s\n",
			show(med(net["vfvm-b"])), r(med(net["vfvm-b"]), nq), net["vfvm-b"]
	for (v = 0; v < 3; v++) {
		vmm = v == 2 ? "vfvm-b" : v ? "qemu" : "vfvm"
		if (kmb[vmm] > 0) {
			printf "  L1 KVM counts per MiB, %-5s", vmm
			for (i = 1; i <= nk; i++) printf " %s=%.0f", kname[i], kv[vmm, kname[i]] / kmb[vmm]
			print ""
		}
	}
	printf "  boot samples (ms to marker) vfvm:%s | QEMU:%s\n", mark["vfvm"], mark["qemu"]
}' "$WORK/lab.log"

awk -v ios="$IOS" '
function med(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	if (n == 0) return ""
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function r(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
function show(v) { return v == "" ? "n/a" : v }
/^BENCH-VFIO map / && $8 == 0 { t[$3 " " $4 " " $5] = t[$3 " " $4 " " $5] " " $7; seen = 1 }
/^BENCH-VFIO iops / && $5 ~ /^[0-9]+$/ && $5 > 0 {
	iops[$3] = iops[$3] " " sprintf("%.0f", $4 / ($5 / 1000))
	irq[$3] = irq[$3] " " sprintf("%.0f", $6 / ($5 / 1000))
}
END {
	print "VFIO in L1 with one NVMe VF:"
	if (seen) {
		print "  vfvm start-to-exit (firmware guest that powers off at once), median ms:"
		printf "  %-6s %10s %10s %10s %10s %14s\n", "pages", "256M", "768M", "256M+VF", "768M+VF", "map ms per GiB"
		for (m = 0; m < 2; m++) {
			mode = m ? "huge" : "4k"
			a = med(t[mode " none 256"]); b = med(t[mode " none 768"])
			c = med(t[mode " vf 256"]); d = med(t[mode " vf 768"])
			g[mode] = (a != "" && b != "" && c != "" && d != "") ? sprintf("%.0f", ((d - c) - (b - a)) * 2) : ""
			printf "  %-6s %10s %10s %10s %10s %14s\n", mode, show(a), show(b), show(c), show(d), show(g[mode])
		}
		printf "  hugepages/4 KiB map time per GiB: %s\n", r(g["huge"], g["4k"])
	} else
		print "  DMA-map time: not measured (see notes)"
	iv = med(iops["vfvm"]); iq = med(iops["qemu"]); rv = med(irq["vfvm"]); rq = med(irq["qemu"])
	printf "  NVMe VF in L2, %d direct 4 KiB reads, median: IOPS vfvm %s, QEMU vfio-pci %s, vfvm/QEMU %s (goal >= 1)\n",
		ios, show(iv), show(iq), r(iv, iq)
	printf "  nvme interrupts/s in L2, median: vfvm %s, QEMU %s, vfvm/QEMU %s\n",
		show(rv), show(rq), r(rv, rq)
	printf "  IOPS samples vfvm:%s | QEMU:%s\n", iops["vfvm"], iops["qemu"]
	if (iops["vfvm-iommufd"] != "" || iops["qemu-iommufd"] != "") {
		iv = med(iops["vfvm-iommufd"]); iq = med(iops["qemu-iommufd"])
		rv = med(irq["vfvm-iommufd"]); rq = med(irq["qemu-iommufd"])
		printf "  the same through iommufd + VFIO cdev: IOPS vfvm %s, QEMU %s, vfvm/QEMU %s; interrupts/s vfvm %s, QEMU %s, vfvm/QEMU %s\n",
			show(iv), show(iq), r(iv, iq), show(rv), show(rq), r(rv, rq)
		printf "  IOPS samples (iommufd) vfvm:%s | QEMU:%s\n", iops["vfvm-iommufd"], iops["qemu-iommufd"]
	}
}' "$WORK/lab.log"
