#!/usr/bin/env bash
# DMA-map cost of VFIO passthrough per GiB of guest RAM, measured in the
# emulated lab (VFIO exists only there): vfvm starts a guest that exits at
# once, with the e1000e passed through, so a run is device setup + DMA map
# of all guest RAM + teardown.  Variants, same run, same L1:
#   none      plain single-call serial map: VFIO faults and pins every page
#   serial    prefault with MADV_POPULATE_WRITE on one thread, then map
#   parallel  prefault on every CPU, then map (vfvm's default)
#   hugetlb   2 MiB hugetlb guest RAM, parallel prefault
#   iommufd-none, iommufd-parallel   the same as none/parallel through
#             iommufd + the VFIO device cdev instead of the type1 container
# L1 runs the lab-iommufd tier's kernel (tests/lab/kernel/build.sh, built
# once) so that both backends are measured in one boot; when it cannot be
# built, Debian's kernel runs the type1 variants only, saying so.
# Each variant runs 3 times at two guest sizes (DMAMAP_MEM_MB, default 512,
# and 128 MiB); the per-GiB cost is the slope between the two medians, so
# fixed costs (device open, reset, VM setup) drop out.  The device is bound
# to vfio-pci once beforehand.  Ratios are against "none".  Under TCG the
# absolute numbers are slow; the ratios are the point.
# Nothing here asserts a time.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source-path=SCRIPTDIR source=../lab/lab-env.sh
. tests/lab/lab-env.sh
MEM_MB=${DMAMAP_MEM_MB:-512}

if ! command -v "$LAB_QEMU" > /dev/null; then
	echo "bench_dmamap: NOT RUN: $LAB_QEMU missing (make deps)"
	exit 0
fi
if [ ! -x "$LAB_BUILD/vfvm" ]; then
	echo "bench_dmamap: NOT RUN: $LAB_BUILD/vfvm is not built (make)"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmamap.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/90-bench-dmamap.sh" << EOF
. /lab/cases/lib.sh
MEM_MB=$MEM_MB
EOF
cat >> "$tmp/90-bench-dmamap.sh" << 'EOF'
e=$(lab_e1000e) || { fail bench-dmamap "no e1000e"; exit 0; }
# 16 bytes at the reset vector: out 0x501 <- 0 (debug exit, status 0)
printf '\272\001\005\260\000\356\364\364\364\364\364\364\364\364\364\364' > /tmp/exit.bin
echo $(( (MEM_MB + 64) / 2 )) > /proc/sys/vm/nr_hugepages
now() { cut -d' ' -f1 /proc/uptime; }
one() { # extra-args... ; prints seconds
	t0=$(now)
	"$@" > /tmp/vfvm.out 2>&1 || { echo "BENCH-ERR $(head -n 3 /tmp/vfvm.out | tr '\n' ' ')" >&2; }
	t1=$(now)
	echo "$t0 $t1" | awk '{printf "%.2f\n", $2 - $1}'
}
median3() { sort -n | sed -n 2p; }
run3() { # label mem prefault backend extra...
	label=$1 mem=$2 pf=$3 be=$4
	shift 4
	for i in 1 2 3; do
		VFVM_VFIO_BACKEND=$be VFVM_VFIO_PREFAULT=$pf one vfvm run --debug-exit --firmware /tmp/exit.bin \
			--mem ${mem}M "$@"
	done | median3 | sed "s/^/BENCH-DMAMAP $label $mem /"
}
iommufd=""
[ -c /dev/iommu ] && [ -d /sys/class/vfio-dev ] && iommufd=1
echo "BENCH-DMAMAP-KERNEL $(uname -r) iommufd=${iommufd:-no}"
vfctl bind "$e" vfio-pci > /dev/null 2>&1 || lab_bind_raw "$e" vfio-pci
for mem in 128 $MEM_MB; do
	run3 none $mem none type1 --device "$e"
	run3 serial $mem serial type1 --device "$e"
	run3 parallel $mem parallel type1 --device "$e"
	run3 hugetlb $mem parallel type1 --hugetlb --device "$e"
	if [ -n "$iommufd" ]; then
		run3 iommufd-none $mem none iommufd --device "$e"
		run3 iommufd-parallel $mem parallel iommufd --device "$e"
	fi
done
vfctl restore "$e" > /dev/null 2>&1 || lab_bind_raw "$e" e1000e
pass bench-dmamap-ran
EOF
l1_kernel=""
if bash tests/lab/kernel/build.sh; then
	l1_kernel=$LAB_CACHE/kernel-iommufd/bzImage
else
	echo "bench_dmamap: the iommufd L1 kernel could not be built: type1 variants only"
fi
BUILD=$BUILD LAB_L1_KERNEL=$l1_kernel LAB_TIMEOUT=${LAB_TIMEOUT:-1500} \
	bash tests/lab/boot.sh "$tmp/90-bench-dmamap.sh" 2>&1 |
	tr -d '\r' > "$tmp/log" || true
grep -E '^BENCH-ERR' "$tmp/log" | head -n 3
if ! grep -q '^BENCH-DMAMAP ' "$tmp/log"; then
	echo "bench_dmamap: no measurements (lab did not run the bench; see below)"
	tail -n 20 "$tmp/log"
	exit 1
fi
awk -v mb="$MEM_MB" '
/^BENCH-DMAMAP / { t[$2 "@" $3] = $4 }
/^BENCH-DMAMAP-KERNEL / { kernel = $2 }
END {
	gib = (mb - 128) / 1024
	printf "DMA map cost per GiB of guest RAM (slope 128 -> %d MiB), e1000e via VFIO, lab L1 %s (TCG), medians of 3\n", mb, kernel
	printf "  %-16s %9s %9s %10s %10s\n", "variant", "128M s", mb "M s", "map s/GiB", "speed-up"
	base = (t["none@" mb] - t["none@128"]) / gib
	n = split("none serial parallel hugetlb iommufd-none iommufd-parallel", v, " ")
	for (i = 1; i <= n; i++) {
		if (!((v[i] "@" mb) in t))
			continue
		s = (t[v[i] "@" mb] - t[v[i] "@128"]) / gib
		printf "  %-16s %9.2f %9.2f %10.2f %10s\n", v[i], t[v[i] "@128"], t[v[i] "@" mb], s,
			(base > 0 && s > 0) ? sprintf("%.2fx", base / s) : "-"
	}
	printf "  speed-up: against the plain single-call serial map (none)\n"
}' "$tmp/log"
