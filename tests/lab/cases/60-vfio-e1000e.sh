# shellcheck shell=sh
# lab-case-timeout: 600 (boots Linux in L2 more than once)
# VFIO passthrough of the e1000e to a Linux L2 under vfvm (",managed"):
#  - vfvm takes the device from e1000e to vfio-pci itself;
#  - L2's e1000e driver probes it, gets a DHCP lease from QEMU's user-mode
#    network behind it (traffic both ways through the passed-through NIC);
#  - its MSI-X interrupt counts in L2's /proc/interrupts rise;
#  - it sits behind a PCIe root port of its own whose link speed and width
#    are L1's for the device, and L2 moved none of the BARs or windows vfvm
#    programmed (no "assigned"/"no space" in L2's log);
#  - after vfvm powers off, the device is back on e1000e in L1;
#  - with each IOMMU backend the kernel has (type1v2, iommufd + cdev).
# shellcheck source-path=SCRIPTDIR source=lib.sh
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
l1_link="speed=$(cat "/sys/bus/pci/devices/$e/current_link_speed") width=$(cat "/sys/bus/pci/devices/$e/current_link_width")"
echo "lab: $e link in L1: $l1_link"
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
pdev=$(readlink -f "/sys/class/net/$dev/device")
port=$(dirname "$pdev")
echo "L2-PORT dev=$(basename "$pdev") port=$(basename "$port") class=$(cat "$port/class" 2>/dev/null) speed=$(cat "$port/current_link_speed" 2>/dev/null) width=$(cat "$port/current_link_width" 2>/dev/null)"
dmesg | grep -iE 'BAR [0-9]+.*(no space|failed|assigned)|bridge window.*(no space|failed|assigned)' | sed 's/^/L2-REALLOC /'
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

# One L2 run per IOMMU backend the lab's kernel has (type1 always; iommufd
# with the VFIO device cdev); which one vfvm really used is read from its
# open files while it runs.
lab_backends
for b in $LAB_BACKENDS; do
	echo "lab# VFVM_VFIO_BACKEND=$b timeout 600 vfvm run ... --device $e,managed"
	VFVM_VFIO_BACKEND=$b timeout 600 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
		--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 --device "$e,managed" \
		> "$w/l2.log" 2>&1 &
	pid=$!
	lab_wait "grep -q 'LAB-L2: init reached' $w/l2.log" 300
	# the VMM is the child of vfvm's keeper, below timeout (the pid started here)
	used=$(for p in $(lab_descendants "$pid"); do for fd in /proc/"$p"/fd/*; do readlink "$fd"; done; done 2> /dev/null | grep -oE '/dev/iommu|/dev/vfio/vfio|/dev/vfio/devices/vfio[0-9]+' | sort -u | tr '\n' ' ')
	wait "$pid"
	st=$?
	echo "vfvm ($b) had open: ${used:-?}"
	[ "$st" -eq 124 ] && echo "vfvm still running after 600 s: stopped (SIGTERM)"
	sed 's/^/l2: /' "$w/l2.log" | grep -E 'LAB-L2|L2-|vfvm|e1000e|vfio|DMAR' | head -n 40
	case $b in
	type1) want_fd=/dev/vfio/vfio ;;
	iommufd) want_fd=/dev/iommu ;;
	esac
	if printf '%s' "$used" | grep -q "$want_fd"; then
		pass "vfio-e1000e-$b-backend"
	else
		fail "vfio-e1000e-$b-backend" "vfvm did not hold $want_fd open (had: ${used:-nothing})"
	fi
	if [ "$st" -eq 0 ] && grep -q 'LAB-L2: done' "$w/l2.log"; then
		pass "vfio-e1000e-$b-boot"
	else
		fail "vfio-e1000e-$b-boot" "vfvm exited $st without L2 finishing"
		tail -n 15 "$w/l2.log" | sed 's/^/l2-tail: /'
	fi
	if grep -q 'L2-E1000E netdev=[a-z]' "$w/l2.log"; then
		pass "vfio-e1000e-$b-probe"
	else
		fail "vfio-e1000e-$b-probe" "L2's e1000e driver did not bring up a netdev on the passed-through NIC"
	fi
	portline=$(tr -d '\r' < "$w/l2.log" | grep -m1 '^L2-PORT ')
	case $portline in
	*" port=0000:00:"*" class=0x060400 "*) pass "vfio-e1000e-$b-root-port" ;;
	*) fail "vfio-e1000e-$b-root-port" "not behind a root port in L2: ${portline:-no L2-PORT line}" ;;
	esac
	case $portline in
	*" $l1_link") pass "vfio-e1000e-$b-port-link" ;;
	*) fail "vfio-e1000e-$b-port-link" "L2's port shows '${portline#* class=* }', L1 has '$l1_link'" ;;
	esac
	if grep -q 'L2-REALLOC' "$w/l2.log"; then
		fail "vfio-e1000e-$b-no-realloc" "L2 moved what vfvm placed: $(grep -m3 'L2-REALLOC' "$w/l2.log" | tr '\n' ' ')"
	else
		pass "vfio-e1000e-$b-no-realloc"
	fi
	if grep -q 'L2-DHCP ok' "$w/l2.log"; then
		pass "vfio-e1000e-$b-traffic"
	else
		fail "vfio-e1000e-$b-traffic" "no DHCP lease through the passed-through e1000e"
	fi
	bi=$(sed -n 's/.*L2-IRQS before=\([0-9]*\) after=.*/\1/p' "$w/l2.log" | head -n 1)
	ai=$(sed -n 's/.*L2-IRQS before=[0-9]* after=\([0-9]*\).*/\1/p' "$w/l2.log" | head -n 1)
	if [ -n "$ai" ] && [ -n "$bi" ] && [ "$ai" -gt "$bi" ]; then
		pass "vfio-e1000e-$b-msix-irqs"
	else
		fail "vfio-e1000e-$b-msix-irqs" "interrupt counts in L2 did not rise (${bi:-?} -> ${ai:-?})"
	fi
	if [ "$(lab_driver "$e")" = "$orig" ]; then
		pass "vfio-e1000e-$b-given-back"
	else
		fail "vfio-e1000e-$b-given-back" "after vfvm exited $e is on '$(lab_driver "$e")', was '$orig'"
	fi
done
rm -rf "$w"
exit 0
