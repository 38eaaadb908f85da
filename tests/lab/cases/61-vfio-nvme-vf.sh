# shellcheck shell=sh
# lab-case-timeout: 600 (boots Linux in L2 more than once)
# VFIO passthrough of an NVMe VF (resources assigned by vfctl) to a Linux L2
# under vfvm: L2's nvme driver probes it (its registers share BAR0 with the
# MSI-X table), writes and reads back data with checksums, its MSI-X
# interrupt counts rise; after vfvm exits (poweroff, and kill -9 followed by
# vfctl restore) the VF is back on the host nvme driver.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfio-nvme-vf "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfio-nvme-vf "/dev/kvm or the L2 kernel/initrd missing"
	exit 0
fi
lab_nvme_one_vf vfio-nvme-vf || exit 0
orig=$(lab_driver "$vf")

w=/tmp/vfio-nvme
mkdir -p "$w/l2"
cat > "$w/l2/l2.sh" << 'EOF'
irqs() { grep nvme /proc/interrupts | awk '{s=0; for (i=2;i<=NF;i++) if ($i ~ /^[0-9]+$/) s+=$i; t+=s} END {print t+0}'; }
i=0
while [ ! -b /dev/nvme0n1 ] && [ "$i" -lt 60 ]; do
	sleep 1
	i=$((i + 1))
done
if [ ! -b /dev/nvme0n1 ]; then
	echo "L2-NVME none"
	dmesg | grep -i nvme | tail -n 5
	exit 1
fi
echo "L2-NVME probed $(cat /sys/class/nvme/nvme0/model 2>/dev/null)"
grep nvme /proc/interrupts | sed 's/^/L2-IRQ-LINE /'
before=$(irqs)
dd if=/dev/urandom of=/tmp/pat bs=4096 count=256 2> /dev/null
want=$(md5sum < /tmp/pat | cut -d' ' -f1)
dd if=/tmp/pat of=/dev/nvme0n1 bs=4096 seek=2048 count=256 oflag=direct 2> /dev/null
got=$(dd if=/dev/nvme0n1 bs=4096 skip=2048 count=256 iflag=direct 2> /dev/null | md5sum | cut -d' ' -f1)
echo "L2-NVME-IO written=$want readback=$got"
after=$(irqs)
echo "L2-IRQS before=$before after=$after"
EOF
(cd "$w/l2" && echo l2.sh | cpio -o -H newc 2> /dev/null) | gzip > "$w/l2.cpio.gz"
cat /lab/l2/initrd "$w/l2.cpio.gz" > "$w/initrd"

say timeout 400 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" --cmdline "console=ttyS0 panic=-1" \
	--mem 256M --cpus 1 --device "$vf,managed" > "$w/l2.log" 2>&1
st=$?
[ "$st" -eq 124 ] && echo "vfvm still running after 400 s: stopped (SIGTERM)"
tail -n 15 "$w/l2.log" | sed 's/^/l2-tail: /'
sed 's/^/l2: /' "$w/l2.log" | grep -E 'LAB-L2|L2-|vfvm|nvme|vfio|timeout' | head -n 40

if [ "$st" -eq 0 ] && grep -q 'LAB-L2: done' "$w/l2.log"; then
	pass vfio-nvme-vf-boot
else
	fail vfio-nvme-vf-boot "vfvm exited $st without L2 finishing (see l2: lines)"
fi
# vfvm picks iommufd by itself where the kernel has it, type1v2 elsewhere
lab_check_backend vfio-nvme-vf-backend "$w/l2.log"
if grep -q 'L2-NVME probed' "$w/l2.log"; then
	pass vfio-nvme-vf-probe
else
	fail vfio-nvme-vf-probe "L2's nvme driver did not bring up the passed-through VF"
fi
io=$(grep -o 'L2-NVME-IO written=[0-9a-f]* readback=[0-9a-f]*' "$w/l2.log" | head -n 1)
want=$(echo "$io" | sed -n 's/.*written=\([0-9a-f]*\).*/\1/p')
got=$(echo "$io" | sed -n 's/.*readback=\([0-9a-f]*\).*/\1/p')
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	pass vfio-nvme-vf-io-checksum
else
	fail vfio-nvme-vf-io-checksum "L2 wrote ${want:-nothing}, read back ${got:-nothing}"
fi
b=$(sed -n 's/.*L2-IRQS before=\([0-9]*\) after=.*/\1/p' "$w/l2.log" | head -n 1)
a=$(sed -n 's/.*L2-IRQS before=[0-9]* after=\([0-9]*\).*/\1/p' "$w/l2.log" | head -n 1)
if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt "$b" ]; then
	pass vfio-nvme-vf-msix-irqs
else
	fail vfio-nvme-vf-msix-irqs "nvme interrupt counts in L2 did not rise (${b:-?} -> ${a:-?})"
fi
if [ "$(lab_driver "$vf")" = "$orig" ]; then
	pass vfio-nvme-vf-given-back
else
	fail vfio-nvme-vf-given-back "after vfvm exited $vf is on '$(lab_driver "$vf")', was '$orig'"
fi

# kill -9: vfvm cannot give the VF back itself; vfctl restore (what the
# systemd unit runs) must.
vfvm run --kernel /lab/l2/bzImage --initrd /lab/l2/initrd --cmdline "console=ttyS0 panic=-1 l2.cmd=sleep" \
	--mem 256M --cpus 1 --device "$vf,managed" > "$w/l2-kill.log" 2>&1 &
pid=$!
lab_wait "grep -q 'LAB-L2: init reached' $w/l2-kill.log" 120
say kill -9 "$pid"
wait "$pid" 2> /dev/null
d=$(lab_driver "$vf")
run vfctl restore "$vf"
if [ "$(lab_driver "$vf")" = "$orig" ]; then
	pass vfio-nvme-vf-restored-after-kill
else
	fail vfio-nvme-vf-restored-after-kill "after kill -9 (driver then '$d') and vfctl restore, $vf is on '$(lab_driver "$vf")', was '$orig'"
fi
run vfctl vfs "$pf" 0
rm -rf "$w"
exit 0
