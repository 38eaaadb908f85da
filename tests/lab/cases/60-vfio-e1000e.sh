# VFIO passthrough of the e1000e to a Linux L2 under vfvm (",managed"):
#  - vfvm takes the device from e1000e to vfio-pci itself;
#  - L2's e1000e driver probes it, gets a DHCP lease from QEMU's user-mode
#    network behind it (traffic both ways through the passed-through NIC);
#  - its MSI-X interrupt counts in L2's /proc/interrupts rise;
#  - after vfvm powers off, the device is back on e1000e in L1.
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	fail vfio-e1000e "vfvm is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfio-e1000e "/dev/kvm or the L2 kernel/initrd missing"
	exit 0
fi
e=$(lab_e1000e) || { fail vfio-e1000e "no e1000e in L1"; exit 0; }
orig=$(lab_driver "$e")
n=$(lab_netdev "$e")
[ -n "$n" ] && say ip link set "$n" down

w=/tmp/vfio-e1000e
mkdir -p "$w/l2"
cat > "$w/l2/l2.sh" << 'EOF'
irqs() { grep -E 'eth[0-9]|enp' /proc/interrupts | awk '{s=0; for (i=2;i<=NF;i++) if ($i ~ /^[0-9]+$/) s+=$i; t+=s} END {print t+0}'; }
dev=""
i=0
while [ -z "$dev" ] && [ "$i" -lt 30 ]; do
	for d in /sys/class/net/*; do
		[ "$(basename "$(readlink "$d/device/driver" 2>/dev/null)")" = e1000e ] && dev=$(basename "$d")
	done
	[ -n "$dev" ] || sleep 1
	i=$((i + 1))
done
echo "L2-E1000E netdev=${dev:-none}"
[ -n "$dev" ] || exit 1
grep -E "$dev" /proc/interrupts | sed 's/^/L2-IRQ-LINE /'
before=$(irqs)
ip link set lo up
ip link set "$dev" up
if udhcpc -i "$dev" -n -q -t 10 -T 2 -s /bin/true 2>&1 | grep -q 'lease'; then
	echo "L2-DHCP ok"
else
	echo "L2-DHCP failed"
fi
after=$(irqs)
echo "L2-IRQS before=$before after=$after"
grep -E "$dev" /proc/interrupts | sed 's/^/L2-IRQ-LINE /'
EOF
(cd "$w/l2" && echo l2.sh | cpio -o -H newc 2> /dev/null) | gzip > "$w/l2.cpio.gz"
cat /lab/l2/initrd "$w/l2.cpio.gz" > "$w/initrd"

say vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" --cmdline "console=ttyS0 panic=-1" \
	--mem 256M --cpus 1 --device "$e,managed" > "$w/l2.log" 2>&1
st=$?
sed 's/^/l2: /' "$w/l2.log" | grep -E 'LAB-L2|L2-|vfvm|e1000e|vfio|DMAR|nvme' | head -n 40

if [ "$st" -eq 0 ] && grep -q 'LAB-L2: done' "$w/l2.log"; then
	pass vfio-e1000e-boot
else
	fail vfio-e1000e-boot "vfvm exited $st without L2 finishing (see l2: lines)"
fi
if grep -q 'L2-E1000E netdev=[a-z]' "$w/l2.log"; then
	pass vfio-e1000e-probe
else
	fail vfio-e1000e-probe "L2's e1000e driver did not bring up a netdev on the passed-through NIC"
fi
if grep -q 'L2-DHCP ok' "$w/l2.log"; then
	pass vfio-e1000e-traffic
else
	fail vfio-e1000e-traffic "no DHCP lease through the passed-through e1000e"
fi
b=$(sed -n 's/.*L2-IRQS before=\([0-9]*\) after=.*/\1/p' "$w/l2.log" | head -n 1)
a=$(sed -n 's/.*L2-IRQS before=[0-9]* after=\([0-9]*\).*/\1/p' "$w/l2.log" | head -n 1)
if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt "$b" ]; then
	pass vfio-e1000e-msix-irqs
else
	fail vfio-e1000e-msix-irqs "interrupt counts in L2 did not rise (${b:-?} -> ${a:-?})"
fi
if [ "$(lab_driver "$e")" = "$orig" ]; then
	pass vfio-e1000e-given-back
else
	fail vfio-e1000e-given-back "after vfvm exited $e is on '$(lab_driver "$e")', was '$orig'"
fi
rm -rf "$w"
exit 0
