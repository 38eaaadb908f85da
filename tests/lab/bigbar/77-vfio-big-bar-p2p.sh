# shellcheck shell=sh
# Two big 64-bit prefetchable BARs passed through to one Linux L2 with
# peer-to-peer on (issue 13): the 256 GiB one (LAB_BIG_BAR_SIZE) and the
# 64 GiB one (LAB_BIG_BAR2_SIZE) of an L1 booted with LAB_BIG_BAR=1; run.sh
# boots one for the files in tests/lab/bigbar/:
#   BUILD=build bash tests/lab/run.sh tests/lab/bigbar/77-vfio-big-bar-p2p.sh
# Checks: L2 sees both BAR2s at their full size; vfvm's exit report has each
# device's BAR2 DMA-mapped at the address L2 gave it, none failed; and the
# kernel's own view while L2 runs, asked through vfvm's type1 container
# (lab-vfio-probe, pidfd_getfd): the first and last 4 KiB of each BAR2 at
# L2's address are mapped (type1 refuses a map there: EEXIST), and the
# container holds as many mappings as vfvm made (guest RAM + BAR pieces:
# dma_entry_limit less DMA-AVAIL).  The lab's kernels have no IOMMU
# debugfs, so the host physical address behind an IOVA is not read; type1
# takes the mapping from vfvm's mmap of the BAR, whose pages are the BAR's.
# L2's BARs are matched to L1's by size (L2's BDFs are vfvm's), so the two
# sizes must differ.  L2 waits for a line on its console after the probe
# (vfvm's stdin, a FIFO here: L1 cannot write the BAR while vfio-pci holds
# it).  Type1 on this kernel (6.12) maps a BAR page by page: about a
# minute per 64 GiB under TCG, once per BAR (vfvm keeps the map while Linux
# turns decode off and on to size BARs).
# lab-case-timeout: 900
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh

# the big BARs: "BDF START END SIZE" per ivshmem-plain, in BDF order
devs=""
for p in $(lab_paths /sys/bus/pci/devices/*); do
	[ "$(cat "$p/device")" = 0x1110 ] || continue
	res=$(sed -n 3p "$p/resource")
	s=$(echo "$res" | cut -d' ' -f1)
	e=$(echo "$res" | cut -d' ' -f2)
	devs="$devs$(basename "$p") $s $e $((e - s + 1))
"
	echo "lab: $(basename "$p") BAR2 $s-$e ($(((e - s + 1) >> 30)) GiB)"
done
field() { printf '%s' "$devs" | sed -n "$1p" | cut -d' ' -f"$2"; }
d1=$(field 1 1) size1=$(field 1 4)
d2=$(field 2 1) size2=$(field 2 4)
if [ -n "$d2" ] && [ "$size1" -ge $((64 << 30)) ] && [ "$size2" -ge $((64 << 30)) ] &&
	[ "$size1" != "$size2" ]; then
	pass vfio-big-bar-p2p-l1-two
else
	fail vfio-big-bar-p2p-l1-two "want two ivshmem-plain with BAR2s >= 64 GiB of different sizes, have: $(printf '%s' "$devs" | tr '\n' ';')"
	exit 0
fi

run vfvm check --device "$d1,managed" --device "$d2,managed" --mem 256M
if [ "$RC" = 0 ] && ! echo "$OUT" | grep -q 'fail .*mmio-window'; then
	pass vfio-big-bar-p2p-check-fits
else
	fail vfio-big-bar-p2p-check-fits "vfvm check: exit $RC"
fi

w=/tmp/vfio-big-bar-p2p
mkdir -p "$w"
# L2: each BAR2 (BDF, start, end, size), then wait for L1's line on the
# console
cat > "$w/l2.sh" << 'L2'
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/device")" = 0x1110 ] || continue
	set -- $(sed -n 3p "$d/resource")
	s=$(($1)) e=$(($2))
	echo "L2-BAR $(basename "$d") $1 $2 size=$((e - s + 1))"
done
echo "L2-WAIT"
read -r go < /dev/console
echo "L2-GO $go"
L2
lab_l2_initrd "$w/l2.sh" "$w/initrd"
rm -f "$w/in"
mkfifo "$w/in"
# held open read-write, so vfvm's open of it does not wait and it never sees EOF
exec 3<> "$w/in"

echo "lab# vfvm run ... --device $d1,managed,p2p=on --device $d2,managed,p2p=on"
t0=$(date +%s)
vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 \
	--device "$d1,managed,p2p=on" --device "$d2,managed,p2p=on" < "$w/in" > "$w/l2.log" 2>&1 &
vpid=$!
l2log() { tr -d '\r' < "$w/l2.log"; }
if lab_wait 'l2log | grep -q "^L2-WAIT"' 600; then
	echo "lab: L2 listed its BARs $(($(date +%s) - t0)) s after vfvm started"
else
	echo "lab: L2 did not list its BARs in 600 s"
fi
# the kernel's view of vfvm's container while L2 runs
limit=$(cat /sys/module/vfio_iommu_type1/parameters/dma_entry_limit)
probes=""
for size in $size1 $size2; do
	gpa=$(l2log | grep "^L2-BAR .* size=$size\$" | head -n 1 | cut -d' ' -f3)
	[ -n "$gpa" ] && probes="$probes $(printf '0x%x 0x%x' "$gpa" $((gpa + size - 4096)))"
done
run lab-vfio-probe "$vpid" avail
avail=$(echo "$OUT" | sed -n 's/^DMA-AVAIL //p')
echo "$OUT" | sed 's/^/lab-vfio-probe: /'
# shellcheck disable=SC2086 # $probes: one word per IOVA
run lab-vfio-probe "$vpid" probe $probes
echo "$OUT" | sed 's/^/lab-vfio-probe: /'
probed=$OUT
# let L2 end
echo probed >&3
i=0
while kill -0 "$vpid" 2> /dev/null && [ "$i" -lt 300 ]; do
	sleep 1
	i=$((i + 1))
done
kill "$vpid" 2> /dev/null
wait "$vpid"
st=$?
exec 3>&-
echo "lab: vfvm exit $st after $(($(date +%s) - t0)) s"
l2log | grep -E '^L2-|^vfvm: (DMA-mapped|peer-to-peer)' | sed 's/^/l2: /'
if [ "$st" = 0 ] && l2log | grep -q '^LAB-L2: done rc=0'; then
	pass vfio-big-bar-p2p-boot
else
	fail vfio-big-bar-p2p-boot "vfvm exited $st without L2 finishing"
	l2log | tail -n 15 | sed 's/^/l2-tail: /'
fi

# L2 sees both BAR2s at their full size
nbars=0
for size in $size1 $size2; do
	l2log | grep -q "^L2-BAR .* size=$size\$" && nbars=$((nbars + 1))
done
if [ "$nbars" = 2 ]; then
	pass vfio-big-bar-p2p-l2-sizes
else
	fail vfio-big-bar-p2p-l2-sizes "L2's BAR2s: $(l2log | grep '^L2-BAR' | tr '\n' ' '), want sizes $size1 and $size2"
fi

# vfvm's report: each device's BAR2 mapped at the address L2 gave it
mapped_all=0
check_report() { # BDF SIZE
	sum=$(l2log | grep -m1 "^vfvm: peer-to-peer: .* (vfio $1): ")
	hid=$(echo "$sum" | sed -n 's/.*peer-to-peer: \([^ ]*\) .*/\1/p')
	mapped=$(echo "$sum" | sed -n 's/.*: \([0-9]*\) BAR pieces* DMA-mapped.*/\1/p')
	failed=$(echo "$sum" | sed -n 's/.*, \([0-9]*\) failed$/\1/p')
	mapped_all=$((mapped_all + ${mapped:-0}))
	gpa=$(l2log | grep "^L2-BAR .* size=$2\$" | head -n 1 | cut -d' ' -f3)
	if [ -n "$hid" ] && [ "$failed" = 0 ] && [ -n "$gpa" ] &&
		l2log | grep -q "^vfvm: peer-to-peer: $hid: BAR2 iova $(printf '0x%x' "$gpa") size $(printf '0x%x' "$2")\$"; then
		pass "vfio-big-bar-p2p-report-$1"
	else
		fail "vfio-big-bar-p2p-report-$1" "no P2P map of BAR2 at L2's ${gpa:-?} ($2 bytes): ${sum:-no peer-to-peer line}"
	fi
}
check_report "$d1" "$size1"
check_report "$d2" "$size2"

# the kernel: both ends of each BAR2 mapped, and the container's count
nprobe=$(echo "$probes" | wc -w)
nmapped=$(echo "$probed" | grep -c '^PROBE 0x[0-9a-f]* mapped$')
if [ "$nprobe" = 4 ] && [ "$nmapped" = 4 ]; then
	pass vfio-big-bar-p2p-iommu-mapped
else
	fail vfio-big-bar-p2p-iommu-mapped "$nmapped of $nprobe probes ($probes) mapped: $(echo "$probed" | tr '\n' ' ')"
fi
ram=$(l2log | sed -n 's/^vfvm: DMA-mapped .* in \([0-9]*\) calls*.*/\1/p' | head -n 1)
if [ -n "$avail" ] && [ -n "$ram" ] && [ $((limit - avail)) = $((ram + mapped_all)) ]; then
	pass vfio-big-bar-p2p-iommu-count
else
	fail vfio-big-bar-p2p-iommu-count "container holds $((limit - ${avail:-0})) mappings (limit $limit, avail ${avail:-?}); vfvm made ${ram:-?} for RAM + $mapped_all BAR pieces"
fi
rm -rf "$w"
exit 0
