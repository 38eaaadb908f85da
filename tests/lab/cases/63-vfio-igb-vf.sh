# shellcheck shell=sh
# VFIO passthrough of an igb VF (created and given a MAC by vfctl) to a Linux
# L2 under vfvm: L2's igbvf driver probes it (talking to the PF driver in L1
# through the VF mailbox), gets a DHCP lease from QEMU's user-mode network
# behind the PF, its MSI-X counts rise; afterwards the VF is back on igbvf.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
if [ "$LAB_HAS_IGB" != 1 ]; then
	skip vfio-igb-vf "QEMU without the igb device ($LAB_QEMU_VERSION): install QEMU >= 8 (bookworm-backports)"
	exit 0
fi
if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfio-igb-vf "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
pf=$(lab_igb_pf) || { fail vfio-igb-vf "no igb PF"; exit 0; }
n=$(lab_netdev "$pf")
# igbvf reports "PF still in reset state" unless the PF is up first.
say ip link set "$n" up
lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
run vfctl vfs "$pf" 1
lab_wait "[ -e /sys/bus/pci/devices/$pf/virtfn0 ]" 10
lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
run vfctl set "$pf" 0 mac 52:54:00:ab:cd:09
vf=$(lab_vf "$pf" 0)
if [ -z "$vf" ]; then
	fail vfio-igb-vf "no VF after vfctl vfs $pf 1"
	exit 0
fi
lab_wait "[ -e /sys/bus/pci/devices/$vf/iommu_group ]" 10
orig=$(lab_driver "$vf")
vn=$(lab_netdev "$vf")
[ -n "$vn" ] && say ip link set "$vn" down

w=/tmp/vfio-igbvf
mkdir -p "$w/l2"
cat > "$w/l2/l2.sh" << 'EOF'
irqs() { grep -E 'eth[0-9]' /proc/interrupts | awk '{s=0; for (i=2;i<=NF;i++) if ($i ~ /^[0-9]+$/) s+=$i; t+=s} END {print t+0}'; }
dev=""
i=0
while [ -z "$dev" ] && [ "$i" -lt 30 ]; do
	for d in /sys/class/net/*; do
		[ "$(basename "$(readlink "$d/device/driver" 2>/dev/null)")" = igbvf ] && dev=$(basename "$d")
	done
	[ -n "$dev" ] || sleep 1
	i=$((i + 1))
done
echo "L2-IGBVF netdev=${dev:-none} mac=$(cat /sys/class/net/$dev/address 2>/dev/null)"
[ -n "$dev" ] || { dmesg | grep -i igbvf | tail -n 5; exit 1; }
before=$(irqs)
ip link set lo up
ip link set "$dev" up
# DHCP once the link is up (carrier), not after a guessed pause
i=0
while [ "$(cat "/sys/class/net/$dev/carrier" 2> /dev/null)" != 1 ] && [ "$i" -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "L2-CARRIER $(cat "/sys/class/net/$dev/carrier" 2> /dev/null)"
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

say timeout 240 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" --cmdline "console=ttyS0 panic=-1" \
	--mem 256M --cpus 1 --device "$vf,managed" > "$w/l2.log" 2>&1
st=$?
[ "$st" -eq 124 ] && echo "vfvm still running after 240 s: stopped (SIGTERM)"
sed 's/^/l2: /' "$w/l2.log" | grep -E 'LAB-L2|L2-|vfvm|igbvf|vfio' | head -n 40

if [ "$st" -eq 0 ] && grep -q 'LAB-L2: done' "$w/l2.log"; then
	pass vfio-igb-vf-boot
else
	fail vfio-igb-vf-boot "vfvm exited $st without L2 finishing"
	tail -n 15 "$w/l2.log" | sed 's/^/l2-tail: /'
fi
# vfvm picks iommufd by itself where the kernel has it, type1v2 elsewhere
lab_check_backend vfio-igb-vf-backend "$w/l2.log"
if grep -q 'L2-IGBVF netdev=[a-z].*mac=52:54:00:ab:cd:09' "$w/l2.log"; then
	pass vfio-igb-vf-probe
else
	fail vfio-igb-vf-probe "L2's igbvf did not bring up the VF with the MAC vfctl set"
fi
if grep -q 'L2-DHCP ok' "$w/l2.log"; then
	pass vfio-igb-vf-traffic
else
	fail vfio-igb-vf-traffic "no DHCP lease through the passed-through igb VF"
fi
b=$(sed -n 's/.*L2-IRQS before=\([0-9]*\) after=.*/\1/p' "$w/l2.log" | head -n 1)
a=$(sed -n 's/.*L2-IRQS before=[0-9]* after=\([0-9]*\).*/\1/p' "$w/l2.log" | head -n 1)
if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt "$b" ]; then
	pass vfio-igb-vf-msix-irqs
else
	fail vfio-igb-vf-msix-irqs "interrupt counts in L2 did not rise (${b:-?} -> ${a:-?})"
fi
if [ "$(lab_driver "$vf")" = "$orig" ]; then
	pass vfio-igb-vf-given-back
else
	fail vfio-igb-vf-given-back "after vfvm exited $vf is on '$(lab_driver "$vf")', was '$orig'"
fi
run vfctl vfs "$pf" 0
say ip link set "$n" down
rm -rf "$w"
exit 0
