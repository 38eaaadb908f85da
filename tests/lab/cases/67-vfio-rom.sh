# shellcheck shell=sh
# lab-case-timeout: 600 (boots Linux in L2 four times, 120 s at most each)
# The ROM BAR of a passed-through device (vfvm --device BDF,rom=...), seen
# from L2's kernel through /sys/bus/pci/devices/*/rom:
#  - rom=off (the default): the guest sees no ROM BAR at all;
#  - rom=on: the guest reads the same bytes L1's kernel reads from the
#    device's own ROM (the lab's virtio-net has a 4 KiB option ROM);
#  - rom=FILE: the guest reads the file;
#  - a ROM file that does not exist is refused before the guest starts,
#    naming the file, and the device stays on its host driver.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	fail vfio-rom "vfvm is not in the lab (not built?)"
	exit 0
fi
v=$(lab_virtio_net) || { fail vfio-rom "no virtio-net in L1"; exit 0; }
orig=$(lab_driver "$v")
n=$(lab_netdev "$v")
[ -n "$n" ] && say ip link set "$n" down

# What L1's kernel reads from the device's ROM.
echo 1 > "/sys/bus/pci/devices/$v/rom"
dev_md5=$(md5sum < "/sys/bus/pci/devices/$v/rom" | cut -d' ' -f1)
dev_len=$(wc -c < "/sys/bus/pci/devices/$v/rom")
echo 0 > "/sys/bus/pci/devices/$v/rom"
echo "lab: $v ROM as L1 reads it: $dev_len bytes, md5 $dev_md5"
if [ "$dev_len" -gt 0 ]; then
	pass vfio-rom-device-has-rom
else
	fail vfio-rom-device-has-rom "L1 reads no ROM from $v (QEMU romfile= not taken?)"
fi

w=/tmp/vfio-rom
mkdir -p "$w/l2"
cat > "$w/l2/l2.sh" << 'EOF'
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] || continue
	if [ ! -e "$d/rom" ]; then
		echo "L2-ROM $(basename "$d") none"
		continue
	fi
	echo 1 > "$d/rom"
	echo "L2-ROM $(basename "$d") len=$(wc -c < "$d/rom") md5=$(md5sum < "$d/rom" | cut -d' ' -f1)"
	echo 0 > "$d/rom"
done
EOF
lab_l2_initrd "$w/l2/l2.sh" "$w/initrd"

lab-mkrom "$w/file.rom" 1af4 1041
file_md5=$(md5sum < "$w/file.rom" | cut -d' ' -f1)

# run OPTS: one L2 boot with the virtio-net passed through; $ROM is its L2-ROM line.
run_rom() {
	echo "lab# vfvm run ... --device $v,managed$1"
	timeout 120 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
		--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 \
		--device "$v,managed$1" > "$w/l2.log" 2>&1
	st=$?
	# the guest's serial console ends its lines with CR LF
	ROM=$(grep -m1 '^L2-ROM ' "$w/l2.log" | tr -d '\r')
	echo "l2: ${ROM:-no L2-ROM line} (vfvm exit $st)"
	[ -n "$ROM" ] || tail -n 10 "$w/l2.log" | sed 's/^/l2-tail: /'
}

run_rom ""
case $ROM in
*" none") pass vfio-rom-off-by-default ;;
*) fail vfio-rom-off-by-default "without rom= the guest saw a ROM: ${ROM:-no L2-ROM line}" ;;
esac

run_rom ",rom=on"
case $ROM in
*" md5=$dev_md5") pass vfio-rom-on-is-device-rom ;;
*) fail vfio-rom-on-is-device-rom "guest read '${ROM:-nothing}', the device's ROM is md5 $dev_md5" ;;
esac

run_rom ",rom=$w/file.rom"
case $ROM in
*" len=4096 md5=$file_md5") pass vfio-rom-file ;;
*) fail vfio-rom-file "guest read '${ROM:-nothing}', the file is 4096 bytes, md5 $file_md5" ;;
esac

run vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" --mem 256M --cpus 1 \
	--device "$v,managed,rom=$w/missing.rom"
if [ "$RC" -ne 0 ] && printf '%s' "$OUT" | grep -q "$w/missing.rom" &&
	! printf '%s' "$OUT" | grep -q 'LAB-L2'; then
	pass vfio-rom-missing-file-refused
else
	fail vfio-rom-missing-file-refused "exit $RC, output: $(printf '%s' "$OUT" | head -n 3)"
fi

if [ "$(lab_driver "$v")" = "$orig" ]; then
	pass vfio-rom-given-back
else
	fail vfio-rom-given-back "$v is on '$(lab_driver "$v")', was '$orig'"
fi
rm -rf "$w"
exit 0
