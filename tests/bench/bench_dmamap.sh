#!/usr/bin/env bash
# DMA-map cost of VFIO passthrough per GiB of guest RAM, measured in the
# emulated lab (VFIO exists only there): vfvm starts a guest that exits at
# once, with the e1000e passed through, so a run is device setup + DMA map
# of all guest RAM + teardown.  Variants, same run, same L1:
#   none      plain single-call serial map: VFIO faults and pins every page
#   serial    prefault with MADV_POPULATE_WRITE on one thread, then map
#   parallel  prefault on every CPU, then map (vfvm's default)
#   hugetlb   2 MiB hugetlb guest RAM, parallel prefault
# Each variant runs 3 times at two guest sizes (DMAMAP_MEM_MB, default 512,
# and 128 MiB); the per-GiB cost is the slope between the two medians, so
# fixed costs (device open, reset, VM setup) drop out.  The device is bound
# to vfio-pci once beforehand.  Ratios are against "none".  Under TCG the
# absolute numbers are slow; the ratios are the point.
# Nothing here asserts a time.
set -u
cd "$(dirname "$0")/../.."
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
run3() { # label mem env-value extra...
	label=$1 mem=$2 pf=$3
	shift 3
	for i in 1 2 3; do
		VFVM_VFIO_PREFAULT=$pf one vfvm run --firmware /tmp/exit.bin --mem ${mem}M "$@"
	done | median3 | sed "s/^/BENCH-DMAMAP $label $mem /"
}
vfctl bind "$e" vfio-pci > /dev/null 2>&1 || lab_bind_raw "$e" vfio-pci
for mem in 128 $MEM_MB; do
	run3 none $mem none --device "$e"
	run3 serial $mem serial --device "$e"
	run3 parallel $mem parallel --device "$e"
	run3 hugetlb $mem parallel --hugetlb --device "$e"
done
vfctl restore "$e" > /dev/null 2>&1 || lab_bind_raw "$e" e1000e
pass bench-dmamap-ran
EOF
BUILD=$BUILD LAB_TIMEOUT=${LAB_TIMEOUT:-1500} bash tests/lab/boot.sh "$tmp/90-bench-dmamap.sh" 2>&1 |
	tr -d '\r' > "$tmp/log" || true
grep -E '^BENCH-ERR' "$tmp/log" | head -n 3
if ! grep -q '^BENCH-DMAMAP ' "$tmp/log"; then
	echo "bench_dmamap: no measurements (lab did not run the bench; see below)"
	tail -n 20 "$tmp/log"
	exit 1
fi
awk -v mb="$MEM_MB" '
/^BENCH-DMAMAP / { t[$2 "@" $3] = $4 }
END {
	gib = (mb - 128) / 1024
	printf "DMA map cost per GiB of guest RAM (slope 128 -> %d MiB), e1000e via VFIO type1, lab L1 (TCG), medians of 3\n", mb
	printf "  %-10s %9s %9s %10s %10s\n", "variant", "128M s", mb "M s", "map s/GiB", "speed-up"
	base = (t["none@" mb] - t["none@128"]) / gib
	n = split("none serial parallel hugetlb", v, " ")
	for (i = 1; i <= n; i++) {
		s = (t[v[i] "@" mb] - t[v[i] "@128"]) / gib
		printf "  %-10s %9.2f %9.2f %10.2f %10s\n", v[i], t[v[i] "@128"], t[v[i] "@" mb], s,
			(base > 0 && s > 0) ? sprintf("%.2fx", base / s) : "-"
	}
	printf "  speed-up: against the plain single-call serial map (none)\n"
}' "$tmp/log"
