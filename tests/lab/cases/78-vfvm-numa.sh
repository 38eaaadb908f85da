# shellcheck shell=sh
# vfvm run --numa on the lab's L1, which has one NUMA node: the guest gets one
# node mirroring it, described by SRAT and SLIT, with both vCPUs in it.
#  - vfvm says the plan: guest node 0 = host node 0, its vCPUs, CPUs and RAM;
#  - guest RAM is bound to host node 0 (mbind: "bind:0" in the VMM's
#    numa_maps for the vfvm-ram memfd, read while L2 runs);
#  - L2's kernel reads SRAT/SLIT (its dmesg: node 0 = PXM 0 with all of
#    guest RAM, a distance table, no "No NUMA configuration found") and
#    shows node0 alone in sysfs with CPUs 0-1 (the SRAT's APIC entries) and
#    distance 10; /sys/firmware/acpi/tables has SRAT and SLIT;
#  - vfvm check --numa with the e1000e: its L1 node (-1 when L1's firmware
#    says none: then a warning names it) and the plan;
#  - too little RAM for a node is refused with the numbers.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	fail vfvm-numa "vfvm is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfvm-numa "/dev/kvm or the L2 kernel/initrd missing"
	exit 0
fi
w=/tmp/vfvm-numa
mkdir -p "$w"
echo "L1 NUMA nodes: online $(cat /sys/devices/system/node/online 2> /dev/null)," \
	"node0 CPUs $(cat /sys/devices/system/node/node0/cpulist 2> /dev/null)"

# --- vfvm check --numa with a device: the plan, and the device's node or warning
e=$(lab_e1000e)
if [ -z "$e" ]; then
	fail vfvm-numa-check "no e1000e in L1"
else
	node=$(cat "/sys/bus/pci/devices/$e/numa_node")
	run vfvm check --device "$e,managed" --numa --mem 512M --cpus 2
	if [ "$node" = -1 ]; then
		want="warning: --numa: $e has no NUMA node (its numa_node is -1): it gets no _PXM"
	else
		want="  $e: host node $node -> _PXM 0"
	fi
	if echo "$OUT" | grep -q "^guest NUMA node 0 = host node 0: vCPUs 0-1 on host CPUs 0-1, 512 MiB RAM at 0x0-0x1fffffff" &&
		echo "$OUT" | grep -qF "$want"; then
		pass vfvm-numa-check
	else
		fail vfvm-numa-check "vfvm check --numa (e1000e numa_node $node): expected the plan and '$want'"
	fi
fi

# --- too little RAM for a node
run vfvm run --kernel /lab/l2/bzImage --mem 64M --numa
if [ "$RC" = 1 ] && echo "$OUT" | grep -q '1 guest node (mirroring host node 0) needs at least 128 MiB of RAM each; --mem 64 MiB gives 64 MiB per node'; then
	pass vfvm-numa-small-ram
else
	fail vfvm-numa-small-ram "--mem 64M --numa: exit $RC"
fi

# --- Linux in L2 with --numa
cat > "$w/l2.sh" << 'EOF'
echo "L2-NODES $(cd /sys/devices/system/node && echo node*)"
for n in /sys/devices/system/node/node*; do
	echo "L2-NODE $(basename "$n") cpus=$(cat "$n/cpulist") distance=$(cat "$n/distance")"
done
for t in SRAT SLIT; do
	[ -e "/sys/firmware/acpi/tables/$t" ] && echo "L2-TABLE $t"
done
# the kernel's own account (the console is quiet at boot)
dmesg | grep -E 'ACPI: (SRAT|SLIT)|SRAT|NUMA|Faking a node|NODE_DATA' | sed 's/^/L2-DMESG /'
echo "L2-WAITING"
read -r -t 300 w rest
echo "L2-GOT $w"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"
rm -f "$w/console.in"
mkfifo "$w/console.in"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 512M --cpus 2 --numa"
timeout 300 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 512M --cpus 2 --numa \
	< "$w/console.in" > "$w/l2.log" 2>&1 &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE
if l2_wait L2-WAITING; then
	# the VMM (the keeper's child) maps guest RAM from the vfvm-ram memfd
	maps=$(grep -h 'vfvm-ram' /proc/[0-9]*/numa_maps 2> /dev/null)
	echo "VMM numa_maps (guest RAM):"
	echo "$maps"
	if [ -n "$maps" ] && ! echo "$maps" | grep -qv ' bind:0 '; then
		pass vfvm-numa-mbind
	else
		fail vfvm-numa-mbind "guest RAM is not bound to node 0 in the VMM's numa_maps"
	fi
else
	fail vfvm-numa-mbind "L2 never reached its script"
fi
echo go >&7
wait "$vpid"
rc=$?
exec 7>&-
# the serial console ends lines with CR LF
tr -d '\r' < "$w/l2.log" > "$w/l2.txt"
echo "vfvm exit status: $rc; console (selected lines):"
grep -E 'vfvm:|L2-|LAB-L2' "$w/l2.txt" | head -n 40
if grep -q '^vfvm: guest NUMA node 0 = host node 0: vCPUs 0-1 on host CPUs 0-1, 512 MiB RAM at 0x0-0x1fffffff' "$w/l2.txt"; then
	pass vfvm-numa-plan
else
	fail vfvm-numa-plan "vfvm did not say the one-node plan"
fi
if grep -q '^L2-DMESG .*ACPI: SRAT 0x' "$w/l2.txt" && grep -q '^L2-DMESG .*ACPI: SLIT 0x' "$w/l2.txt" &&
	grep -q '^L2-DMESG .*ACPI: SRAT: Node 0 PXM 0 \[mem 0x00000000-0x1fffffff\]' "$w/l2.txt" &&
	grep -q '^L2-DMESG .*NUMA: Initialized distance table, cnt=1' "$w/l2.txt" &&
	! grep -q 'No NUMA configuration found' "$w/l2.txt"; then
	pass vfvm-numa-guest-srat
else
	fail vfvm-numa-guest-srat "L2's kernel did not take its NUMA layout from SRAT"
fi
if grep -q '^L2-NODES node0$' "$w/l2.txt" &&
	grep -q '^L2-NODE node0 cpus=0-1 distance=10$' "$w/l2.txt" &&
	grep -q '^L2-TABLE SRAT$' "$w/l2.txt" && grep -q '^L2-TABLE SLIT$' "$w/l2.txt"; then
	pass vfvm-numa-guest-nodes
else
	fail vfvm-numa-guest-nodes "L2 does not show one node with CPUs 0-1, distance 10, SRAT and SLIT"
fi
if [ "$rc" = 0 ] && grep -q '^L2-GOT go$' "$w/l2.txt" && grep -q 'LAB-L2: done rc=0' "$w/l2.txt"; then
	pass vfvm-numa-poweroff
else
	fail vfvm-numa-poweroff "vfvm exited $rc (expected 0 after the guest's poweroff)"
	tail -n 30 "$w/l2.txt"
fi
[ -z "${LAB_FAILED:-}" ]
