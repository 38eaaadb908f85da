# shellcheck shell=sh
# vfvm run --numa on an L1 with two NUMA nodes (LAB_NUMA=1 in boot.sh: CPU 0
# and 1 GiB on node 0, CPU 1 and 1 GiB on node 1, distance 21, a second
# e1000e behind a pxb-pcie on node 1); run.sh boots one for the files in
# tests/lab/numa/:
#   BUILD=build bash tests/lab/run.sh tests/lab/numa/79-vfvm-numa-two-nodes.sh
# The e1000e of node 1 is passed through with --cpu-affinity 0-1, so the
# guest mirrors both host nodes:
#  - vfvm check --numa and vfvm run say the plan: guest node 0 = host node
#    0 (vCPU 0 on CPU 0, RAM 0-256 MiB), guest node 1 = host node 1 (vCPU 1
#    on CPU 1, RAM 256-512 MiB), the device's _PXM 1;
#  - in L1, guest RAM (all of it prefaulted for the DMA map) lies half on
#    each host node (numa_maps N0=/N1= of the vfvm-ram memfd), and each vCPU
#    thread may run only on its node's CPU;
#  - L2's kernel takes two nodes from SRAT with those ranges and CPUs, the
#    SLIT distances (10 21 / 21 10), and puts its e1000e on node 1 (the
#    _PXM of its slot and of the host bridge: Linux reads the latter).
# lab-case-timeout: 480
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh

if [ "$(cat /sys/devices/system/node/online 2> /dev/null)" != 0-1 ]; then
	fail vfvm-numa-2 "L1 has not two NUMA nodes (online: $(cat /sys/devices/system/node/online 2> /dev/null)); boot it with LAB_NUMA=1"
	exit 0
fi
if ! command -v vfvm > /dev/null || [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ]; then
	fail vfvm-numa-2 "vfvm, /dev/kvm or the L2 kernel missing in L1"
	exit 0
fi
e=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] &&
		[ "$(cat "$d/numa_node")" = 1 ] && e=$(basename "$d")
done
echo "L1: node0 CPUs $(cat /sys/devices/system/node/node0/cpulist) distance $(cat /sys/devices/system/node/node0/distance);" \
	"node1 CPUs $(cat /sys/devices/system/node/node1/cpulist) distance $(cat /sys/devices/system/node/node1/distance); e1000e on node 1: ${e:-none}"
if [ -z "$e" ]; then
	fail vfvm-numa-2 "no e1000e on node 1 in L1 (the pxb-pcie of LAB_NUMA=1)"
	exit 0
fi
n=$(lab_netdev "$e")
[ -n "$n" ] && say ip link set "$n" down
w=/tmp/vfvm-numa-2
mkdir -p "$w"
plan0='guest NUMA node 0 = host node 0: vCPU 0 on host CPUs 0, 256 MiB RAM at 0x0-0xfffffff'
plan1='guest NUMA node 1 = host node 1: vCPU 1 on host CPUs 1, 256 MiB RAM at 0x10000000-0x1fffffff'

run vfvm check --device "$e,managed" --numa --mem 512M --cpus 2 --cpu-affinity 0-1
if echo "$OUT" | grep -qxF "$plan0" && echo "$OUT" | grep -qxF "$plan1" &&
	echo "$OUT" | grep -qxF "  $e: host node 1 -> _PXM 1"; then
	pass vfvm-numa-2-check
else
	fail vfvm-numa-2-check "vfvm check --numa did not say the two-node plan with _PXM 1"
fi

cat > "$w/l2.sh" << 'EOF'
echo "L2-NODES $(cd /sys/devices/system/node && echo node*)"
for n in /sys/devices/system/node/node*; do
	echo "L2-NODE $(basename "$n") cpus=$(cat "$n/cpulist") distance=$(cat "$n/distance")"
done
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && echo "L2-DEV $(basename "$d") numa_node=$(cat "$d/numa_node")"
done
dmesg | grep -E 'ACPI: (SRAT|SLIT)|SRAT|NUMA|Faking a node' | sed 's/^/L2-DMESG /'
echo "L2-WAITING"
read -r -t 300 w rest
echo "L2-GOT $w"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"
rm -f "$w/console.in"
mkfifo "$w/console.in"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 512M --cpus 2 --numa --cpu-affinity 0-1 --device $e,managed"
timeout 360 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 512M --cpus 2 --numa --cpu-affinity 0-1 \
	--device "$e,managed" < "$w/console.in" > "$w/l2.log" 2>&1 &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE
if l2_wait L2-WAITING; then
	vmm=$(grep -l 'vfvm-ram' /proc/[0-9]*/numa_maps 2> /dev/null | head -n 1 | cut -d/ -f3)
	maps=$(grep -h 'vfvm-ram' "/proc/$vmm/numa_maps" 2> /dev/null)
	echo "VMM $vmm numa_maps (guest RAM): $maps"
	# 512 MiB prefaulted in 4 KiB pages: 65536 on each node, each half its policy
	if echo "$maps" | grep -q ' bind:0 .* N0=65536 kernelpagesize_kB=4$' &&
		echo "$maps" | grep -q ' bind:1 .* N1=65536 kernelpagesize_kB=4$' &&
		[ "$(echo "$maps" | wc -l)" = 2 ]; then
		pass vfvm-numa-2-mbind
	else
		fail vfvm-numa-2-mbind "guest RAM is not split 256 MiB per host node in the VMM's numa_maps"
	fi
	pins=""
	for t in /proc/"$vmm"/task/*; do
		c=$(cat "$t/comm")
		case $c in
		vcpu*) pins="$pins $c:$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status")" ;;
		esac
	done
	echo "vCPU threads and their CPUs:$pins"
	if [ "$pins" = " vcpu0:0 vcpu1:1" ] || [ "$pins" = " vcpu1:1 vcpu0:0" ]; then
		pass vfvm-numa-2-pinned
	else
		fail vfvm-numa-2-pinned "vCPU threads not each on their node's CPU:$pins"
	fi
else
	# vfvm still running it: the guest stalled (seen once, in PCI enumeration, with two
	# vCPUs under the emulated SVM; the same boot passed on the next try)
	vm_alive && lab_l2_stalled "79: no L2-WAITING in 300 s while vfvm ran it (last line: $(tr -d '\r' < "$w/l2.log" | tail -n 1))"
	fail vfvm-numa-2-mbind "L2 never reached its script (vfvm: $(tail -n 3 "$w/l2.log"))"
fi
echo go >&7
wait "$vpid"
rc=$?
exec 7>&-
tr -d '\r' < "$w/l2.log" > "$w/l2.txt"
echo "vfvm exit status: $rc; console (selected lines):"
grep -E 'vfvm:|L2-|LAB-L2' "$w/l2.txt" | head -n 40
if grep -qxF "vfvm: $plan0" "$w/l2.txt" && grep -qxF "vfvm: $plan1" "$w/l2.txt"; then
	pass vfvm-numa-2-plan
else
	fail vfvm-numa-2-plan "vfvm run did not say the two-node plan"
fi
if grep -q '^L2-DMESG .*ACPI: SRAT: Node 0 PXM 0 \[mem 0x00000000-0x0fffffff\]' "$w/l2.txt" &&
	grep -q '^L2-DMESG .*ACPI: SRAT: Node 1 PXM 1 \[mem 0x10000000-0x1fffffff\]' "$w/l2.txt" &&
	grep -q '^L2-DMESG .*NUMA: Initialized distance table, cnt=2' "$w/l2.txt" &&
	grep -q '^L2-NODES node0 node1$' "$w/l2.txt" &&
	grep -q '^L2-NODE node0 cpus=0 distance=10 21$' "$w/l2.txt" &&
	grep -q '^L2-NODE node1 cpus=1 distance=21 10$' "$w/l2.txt"; then
	pass vfvm-numa-2-guest-nodes
else
	fail vfvm-numa-2-guest-nodes "L2 does not show nodes 0 and 1 with their RAM, CPUs and the host's distances"
fi
# Linux gives a PCI device its root bus's node: the host bridge's _PXM,
# which vfvm sets when every passed-through device is on one node
if grep -Eq '^L2-DEV 0000:[0-9a-f]{2}:[0-9a-f]{2}\.0 numa_node=1$' "$w/l2.txt" &&
	! grep -q 'Unknown NUMA node' "$w/l2.txt"; then
	pass vfvm-numa-2-device-node
else
	fail vfvm-numa-2-device-node "L2's e1000e is not on node 1 (the _PXM of its slot and host bridge)"
fi
if [ "$rc" = 0 ] && grep -q '^L2-GOT go$' "$w/l2.txt" && [ "$(lab_driver "$e")" = e1000e ]; then
	pass vfvm-numa-2-poweroff
else
	fail vfvm-numa-2-poweroff "vfvm exited $rc (expected 0) or $e is not back on e1000e ($(lab_driver "$e"))"
	tail -n 30 "$w/l2.txt"
fi
[ -z "${LAB_FAILED:-}" ]
