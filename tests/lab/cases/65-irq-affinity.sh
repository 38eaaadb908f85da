# shellcheck shell=sh
# Host IRQ steering of a passed-through device (the lab has no posted
# interrupts: AMD nested, no AVIC):
#  - with --cpu-affinity 1, once L2's e1000e driver is up and its MSI-X
#    vectors have fired, each vfio-msix host IRQ of the device that fired is
#    steered to host CPU 1 (L1's /proc/irq/N/smp_affinity_list);
#  - without --cpu-affinity, those IRQs keep the default affinity.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	fail irq-affinity "vfvm is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail irq-affinity "/dev/kvm or the L2 kernel/initrd missing"
	exit 0
fi
if [ "$(grep -c '^processor' /proc/cpuinfo)" -lt 2 ]; then
	fail irq-affinity "L1 has fewer than 2 CPUs: steering cannot be told from the default"
	exit 0
fi
e=$(lab_e1000e) || { fail irq-affinity "no e1000e in L1"; exit 0; }
orig=$(lab_driver "$e")
n=$(lab_netdev "$e")
[ -n "$n" ] && say ip link set "$n" down

w=/tmp/irq-affinity
mkdir -p "$w/l2"
# L2: bring the NIC up, move traffic (interrupts), say so, then idle until
# L1 has looked at its IRQs and stops vfvm.
cat > "$w/l2/l2.sh" << 'EOF'
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
ip link set lo up
ip link set "$dev" up
if udhcpc -i "$dev" -n -q -t 10 -T 2 -s /bin/true 2>&1 | grep -q 'lease'; then
	echo "L2-DHCP ok"
else
	echo "L2-DHCP failed"
fi
grep -E "$dev" /proc/interrupts | sed 's/^/L2-IRQ-LINE /'
echo "L2-READY"
sleep 600
EOF
(cd "$w/l2" && echo l2.sh | cpio -o -H newc 2> /dev/null) | gzip > "$w/l2.cpio.gz"
cat /lab/l2/initrd "$w/l2.cpio.gz" > "$w/initrd"

# "IRQ count-summed-over-CPUs" for each vfio-msix host IRQ of the device.
vfio_irqs() {
	grep -F "vfio-msix[" /proc/interrupts | grep -F "($e)" |
		awk '{s=0; for (i=2;i<=NF;i++) if ($i ~ /^[0-9]+$/) s+=$i; else break; sub(":","",$1); print $1, s}'
}

for mode in pinned unpinned; do
	case $mode in
	pinned) aff="--cpu-affinity 1" ;;
	unpinned) aff="" ;;
	esac
	echo "lab# timeout 600 vfvm run ... --cpus 1 $aff --device $e,managed"
	# shellcheck disable=SC2086 # $aff is two words or none
	timeout 600 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
		--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 $aff --device "$e,managed" \
		> "$w/l2.log" 2>&1 &
	pid=$!
	lab_wait "grep -q 'L2-READY' $w/l2.log || ! kill -0 $pid 2> /dev/null" 300
	fired=0
	bad=""
	lines=$(vfio_irqs)
	# shellcheck disable=SC2086,SC2116 # echo joins the lines into one
	echo "L1 vfio-msix IRQs of $e (irq count): $(echo $lines)"
	while read -r irq cnt; do
		[ -n "$irq" ] || continue
		list=$(cat "/proc/irq/$irq/smp_affinity_list" 2> /dev/null)
		mask=$(cat "/proc/irq/$irq/smp_affinity" 2> /dev/null)
		eff=$(cat "/proc/irq/$irq/effective_affinity_list" 2> /dev/null)
		echo "L1 IRQ $irq: $cnt interrupts, smp_affinity_list=$list effective=$eff"
		[ "$cnt" -gt 0 ] || continue
		fired=$((fired + 1))
		case $mode in
		pinned) [ "$list" = 1 ] || bad="$bad $irq:$list" ;;
		unpinned) [ "$mask" = "$(cat /proc/irq/default_smp_affinity)" ] || bad="$bad $irq:$list" ;;
		esac
	done << EOF
$lines
EOF
	kill -TERM "$pid" 2> /dev/null
	wait "$pid"
	st=$?
	sed 's/^/l2: /' "$w/l2.log" | grep -E 'LAB-L2|L2-|vfvm|vfio|steer' | head -n 30
	if ! grep -q 'L2-READY' "$w/l2.log" || ! grep -q 'L2-DHCP ok' "$w/l2.log"; then
		fail "irq-affinity-$mode-l2" "L2 did not get the NIC up and moving traffic (vfvm exit $st)"
		tail -n 15 "$w/l2.log" | sed 's/^/l2-tail: /'
	elif [ "$fired" -eq 0 ]; then
		fail "irq-affinity-$mode" "no vfio-msix host IRQ of $e fired in L1"
	elif [ -n "$bad" ]; then
		case $mode in
		pinned) fail "irq-affinity-$mode" "vCPU 0 runs on host CPU 1 but these IRQs are elsewhere:$bad" ;;
		unpinned) fail "irq-affinity-$mode" "no vCPU is pinned but these IRQs were moved off the default:$bad" ;;
		esac
	else
		pass "irq-affinity-$mode"
	fi
	lab_wait "[ \"\$(lab_driver $e)\" = \"$orig\" ]" 30
	if [ "$(lab_driver "$e")" = "$orig" ]; then
		pass "irq-affinity-$mode-given-back"
	else
		fail "irq-affinity-$mode-given-back" "after vfvm stopped $e is on '$(lab_driver "$e")', was '$orig'"
	fi
done
rm -rf "$w"
exit 0
