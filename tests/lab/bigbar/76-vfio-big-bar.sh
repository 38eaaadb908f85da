# shellcheck shell=sh
# A 256 GiB (LAB_BIG_BAR_SIZE) 64-bit prefetchable BAR passed through to Linux L2 (issue 13).
# Needs an L1 booted with LAB_BIG_BAR=1 (boot.sh adds an ivshmem-plain
# 1af4:1110 whose BAR2 is a 256 GiB sparse file); run.sh boots one for the
# files in tests/lab/bigbar/:
#   BUILD=build bash tests/lab/run.sh tests/lab/bigbar/76-vfio-big-bar.sh
# Checks: vfvm check says the window fits; L2 sees BAR2 at its full size;
# a word L1 writes through the BAR before the boot is read in L2, and words
# L2 writes at the BAR's start and 64 bytes before its end are read back in
# L1 after vfvm exits.  Reads and writes use busybox devmem on the BAR's
# physical address (no driver claims ivshmem-plain in either kernel); the
# end word is 64 bytes from the end, not 8: devmem maps a second page when
# the page offset plus the width IN BITS passes 4096, and in L1 (BAR at the
# top of the 42 address bits) that page is beyond them and mmap fails.
# lab-case-timeout: 600
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh

d=$(lab_find_dev 1af4 1110) || { fail vfio-big-bar "no ivshmem-plain in L1 (boot with LAB_BIG_BAR=1)"; exit 0; }
res=$(sed -n 3p "/sys/bus/pci/devices/$d/resource")
start=$(echo "$res" | cut -d' ' -f1)
end=$(echo "$res" | cut -d' ' -f2)
size=$((end - start + 1))
echo "lab: $d BAR2 $start-$end ($((size >> 30)) GiB)"
if [ "$size" -ge $((64 << 30)) ]; then
	pass vfio-big-bar-l1-size
else
	fail vfio-big-bar-l1-size "BAR2 is $size bytes"
fi

run vfvm check --device "$d,managed" --mem 256M
if [ "$RC" = 0 ] && ! echo "$OUT" | grep -q 'fail .*mmio-window'; then
	pass vfio-big-bar-check-fits
else
	fail vfio-big-bar-check-fits "vfvm check: exit $RC"
fi

# L1 writes a word L2 must read
busybox devmem "$start" 64 0x4c31746f4c32aa55

w=/tmp/vfio-big-bar
mkdir -p "$w"
cat > "$w/l2.sh" << 'L2'
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/device")" = 0x1110 ] || continue
	set -- $(sed -n 3p "$d/resource")
	s=$(($1)) e=$(($2))
	echo "L2-BAR $(basename "$d") $1 $2 size=$((e - s + 1))"
	echo "L2-READ $(busybox devmem $s 64)"
	busybox devmem $s 64 0x4c32746f4c31bb66
	busybox devmem $((e - 63)) 64 0x656e646f66626172
done
L2
lab_l2_initrd "$w/l2.sh" "$w/initrd"
# p2p=off: type1 on this kernel maps a PFNMAP BAR page by page (about
# two minutes for 256 GiB under TCG); 77 maps this BAR for peer-to-peer
echo "lab# vfvm run ... --device $d,managed,p2p=off"
timeout 500 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 \
	--device "$d,managed,p2p=off" > "$w/l2.log" 2>&1
echo "lab: vfvm exit $?"
tr -d '\r' < "$w/l2.log" | grep '^L2-' | sed 's/^/l2: /'
bar=$(tr -d '\r' < "$w/l2.log" | grep -m1 '^L2-BAR ')
case $bar in
*" size=$size") pass vfio-big-bar-l2-size ;;
*) fail vfio-big-bar-l2-size "L2 saw '${bar:-no BAR line}', want size=$size" ;;
esac
if tr -d '\r' < "$w/l2.log" | grep -qi '^L2-READ 0x4C31746F4C32AA55'; then
	pass vfio-big-bar-l1-to-l2
else
	fail vfio-big-bar-l1-to-l2 "L2 did not read L1's word"
fi
a=$(busybox devmem "$start" 64)
b=$(busybox devmem $((end - 63)) 64)
if [ "$a" = 0x4C32746F4C31BB66 ] && [ "$b" = 0x656E646F66626172 ]; then
	pass vfio-big-bar-l2-to-l1
else
	fail vfio-big-bar-l2-to-l1 "L1 read $a and $b"
fi
rm -rf "$w"
exit 0
