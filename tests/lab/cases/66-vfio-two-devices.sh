# shellcheck shell=sh
# lab-case-timeout: 600 (boots Linux in L2 more than once)
# Two managed devices in one VM (an NVMe VF and the e1000e, each in its own
# IOMMU group, sharing one container or IOAS): L2 drives both, and after
# poweroff BOTH are back on their host drivers.  The device released first
# must wait for the shared container/IOAS to close: while a group is still
# attached the kernel refuses its host driver DMA ownership and the probe
# fails, leaving the device driverless.  Once per IOMMU backend.
# Peer-to-peer: each device's mapped BAR pieces are DMA-mapped in the
# IOMMU at the address L2 gave the BAR (vfvm's exit report, compared with
# L2's /sys/bus/pci/devices/*/resource); where the backend refuses a BAR
# (iommufd cannot pin a PFNMAP range before dma-buf support) the refusal is
# warned, naming the device, and the VM runs on.
# Topology: the e1000e behind a PCIe root port of its own (the default), the
# VF on bus 0 (rootport=off); L2 finds them there, and `vfvm ctl info`
# names the e1000e's root port and link while the VM runs; remove-device of
# the e1000e then takes the port with it (ACPI eject of its slot): L2 has
# neither afterwards, and L1 has the e1000e back on its driver.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfio-two "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
e=$(lab_e1000e) || { fail vfio-two "no e1000e"; exit 0; }
lab_nvme_one_vf vfio-two || exit 0
n=$(lab_netdev "$e")
[ -n "$n" ] && say ip link set "$n" down
orig_vf=$(lab_driver "$vf")
orig_e=$(lab_driver "$e")

w=/tmp/vfio-two
mkdir -p "$w/l2"
cat > "$w/l2/l2.sh" << 'EOF'
i=0
while [ "$i" -lt 60 ]; do
	net=""
	for d in /sys/class/net/*; do
		[ "$(basename "$(readlink "$d/device/driver" 2>/dev/null)")" = e1000e ] && net=$(basename "$d")
	done
	[ -b /dev/nvme0n1 ] && [ -n "$net" ] && break
	sleep 1
	i=$((i + 1))
done
echo "L2-TWO nvme=$([ -b /dev/nvme0n1 ] && echo yes || echo no) e1000e=${net:-none}"
# the BAR addresses L2 sees (first line of resource: BAR0)
for d in /sys/bus/pci/devices/*; do
	read -r start end flags < "$d/resource"
	echo "L2-BAR0 $(cat "$d/vendor"):$(cat "$d/device") $start"
done
# where each device sits: its address and the one above it (pci0000:00: the root bus)
for d in /sys/bus/pci/devices/*; do
	p=$(readlink -f "$d")
	echo "L2-TOPO $(cat "$d/vendor"):$(cat "$d/device") $(basename "$p") $(basename "$(dirname "$p")")"
done
echo "L2-TOPO-DONE"
read -r -t 300 word rest
echo "L2-WORD ${word:-none}"
for d in /sys/bus/pci/devices/*; do
	echo "L2-TOPO2 $(cat "$d/vendor"):$(cat "$d/device") $(basename "$d")"
done
dd if=/dev/urandom of=/tmp/pat bs=4096 count=64 2> /dev/null
want=$(md5sum < /tmp/pat | cut -d' ' -f1)
dd if=/tmp/pat of=/dev/nvme0n1 bs=4096 seek=4096 count=64 oflag=direct 2> /dev/null
got=$(dd if=/dev/nvme0n1 bs=4096 skip=4096 count=64 iflag=direct 2> /dev/null | md5sum | cut -d' ' -f1)
echo "L2-TWO-IO written=$want readback=$got"
EOF
lab_l2_initrd "$w/l2/l2.sh" "$w/initrd"

lab_backends
for b in $LAB_BACKENDS; do
	echo "lab# VFVM_VFIO_BACKEND=$b vfvm run ... --device $e,managed --device $vf,managed,rootport=off --api-socket $w/api.sock"
	rm -f "$w/console.in" "$w/api.sock"
	mkfifo "$w/console.in"
	VFVM_VFIO_BACKEND=$b timeout 280 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
		--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 --api-socket "$w/api.sock" \
		--device "$e,managed" --device "$vf,managed,rootport=off" < "$w/console.in" > "$w/l2.log" 2>&1 &
	vpid=$!
	exec 7> "$w/console.in"
	l2_wait L2-TOPO-DONE
	run vfvm ctl "$w/api.sock" info --json
	echo "$OUT" > "$w/info.json"
	run vfvm ctl "$w/api.sock" info
	info=$OUT
	echo "$info" | sed 's/^/info: /'
	run vfvm ctl "$w/api.sock" remove-device hostdev0 --timeout 120
	removed="$RC|$OUT|$(lab_driver "$e")"
	echo "lab: remove-device hostdev0: $removed"
	echo info-done >&7
	exec 7>&-
	wait "$vpid"
	st=$?
	eid="$(cat "/sys/bus/pci/devices/$e/vendor"):$(cat "/sys/bus/pci/devices/$e/device")"
	vid="$(cat "/sys/bus/pci/devices/$vf/vendor"):$(cat "/sys/bus/pci/devices/$vf/device")"
	etopo=$(tr -d '\r' < "$w/l2.log" | grep -m1 "^L2-TOPO $eid ")
	vtopo=$(tr -d '\r' < "$w/l2.log" | grep -m1 "^L2-TOPO $vid ")
	case "$etopo|$vtopo" in
	"L2-TOPO $eid 0000:"[0-9a-f][0-9a-f]":00.0 0000:00:"*"|L2-TOPO $vid 0000:00:"*" pci0000:00")
		if [ "${etopo#L2-TOPO "$eid" 0000:00:}" = "$etopo" ]; then
			pass "vfio-two-$b-topology"
		else
			fail "vfio-two-$b-topology" "the e1000e is on bus 0: $etopo"
		fi
		;;
	*) fail "vfio-two-$b-topology" "L2 saw '${etopo:-no e1000e}' and '${vtopo:-no VF}'" ;;
	esac
	if echo "$info" | grep -q "^  hostdev0 .* host $e" && echo "$info" | grep -Eq "^ +behind root port 0000:00:[0-9a-f]{2}\.0, link [0-9.]+ GT/s x[0-9]+$" &&
		[ "$(echo "$info" | grep -c 'behind root port')" = 1 ]; then
		pass "vfio-two-$b-info-root-port"
	else
		fail "vfio-two-$b-info-root-port" "info does not show the e1000e's root port (and only it)"
	fi
	topo2=$(tr -d '\r' < "$w/l2.log" | grep '^L2-TOPO2 ')
	if [ "$removed" = "0|removed hostdev0|$orig_e" ] && [ -n "$topo2" ] &&
		! echo "$topo2" | grep -q " $eid \| 0x1b36:0x000c " && echo "$topo2" | grep -q " $vid "; then
		pass "vfio-two-$b-remove-ported"
	else
		fail "vfio-two-$b-remove-ported" "remove-device: '$removed'; L2 after: $(echo "$topo2" | tr '\n' ' ')"
	fi
	sed 's/^/l2: /' "$w/l2.log" | grep -E 'LAB-L2|L2-TWO|L2-TOPO|vfvm' | head -n 30
	if [ "$st" -eq 0 ] && grep -q 'LAB-L2: done' "$w/l2.log"; then
		pass "vfio-two-$b-boot"
	else
		fail "vfio-two-$b-boot" "vfvm exited $st without L2 finishing"
		tail -n 15 "$w/l2.log" | sed 's/^/l2-tail: /'
	fi
	if grep -q 'L2-TWO nvme=yes e1000e=[a-z]' "$w/l2.log"; then
		pass "vfio-two-$b-both-probed"
	else
		fail "vfio-two-$b-both-probed" "L2 did not drive both devices: $(grep -m1 'L2-TWO ' "$w/l2.log")"
	fi
	io=$(grep -o 'L2-TWO-IO written=[0-9a-f]* readback=[0-9a-f]*' "$w/l2.log" | head -n 1)
	wr=$(echo "$io" | sed -n 's/.*written=\([0-9a-f]*\).*/\1/p')
	rb=$(echo "$io" | sed -n 's/.*readback=\([0-9a-f]*\).*/\1/p')
	if [ -n "$wr" ] && [ "$wr" = "$rb" ]; then
		pass "vfio-two-$b-nvme-io"
	else
		fail "vfio-two-$b-nvme-io" "NVMe write/read-back differ or missing (${io:-no L2-TWO-IO line})"
	fi
	# peer-to-peer maps, from vfvm's exit report (the e1000e's: from info, before its
	# removal), against L2's BAR0 of the same device
	for bdf in "$e" "$vf"; do
		id="$(cat "/sys/bus/pci/devices/$bdf/vendor"):$(cat "/sys/bus/pci/devices/$bdf/device")"
		gpa=$(grep -m1 "L2-BAR0 $id " "$w/l2.log" | sed 's/.* //; s/\r$//')
		hasmap=0
		if [ "$bdf" = "$e" ]; then
			# removed while the VM ran: its maps from info --json, taken before
			dj=$(sed 's/"id": *"hostdev1".*//; s/.*"id": *"hostdev0"//' "$w/info.json")
			p2p=$(echo "$dj" | sed 's/.*"p2p": *{//; s/}.*//')
			mapped=$(echo "$p2p" | sed -n 's/.*"mapped": *\([0-9]*\).*/\1/p')
			failed=$(echo "$p2p" | sed -n 's/.*"failed": *\([0-9]*\).*/\1/p')
			sum="info --json: mapped ${mapped:-?}, failed ${failed:-?}"
			[ -n "$gpa" ] && echo "$dj" | grep -Eq "\"bar\": *0, *\"iova\": *\"$(printf '0x%x' "$gpa")\"" && hasmap=1
		else
			sum=$(grep -m1 "peer-to-peer: .* (vfio $bdf): " "$w/l2.log")
			mapped=$(echo "$sum" | sed -n 's/.*: \([0-9]*\) BAR pieces* DMA-mapped.*/\1/p')
			failed=$(echo "$sum" | sed -n 's/.*, \([0-9]*\) failed$/\1/p')
			hid=$(echo "$sum" | sed -n 's/.*peer-to-peer: \([^ ]*\) .*/\1/p')
			[ -n "$gpa" ] && grep -q "peer-to-peer: $hid: BAR0 iova $(printf '0x%x' "$gpa") " "$w/l2.log" && hasmap=1
		fi
		if [ "${mapped:-0}" -gt 0 ] && [ "$failed" = 0 ] && [ "$hasmap" = 1 ]; then
			pass "vfio-two-$b-p2p-$id"
		elif [ "$b" = iommufd ] && [ "${failed:-0}" -gt 0 ] &&
			grep -q "warning: $bdf: BAR[0-5] at 0x[0-9a-f]* .*not DMA-mapped for peer-to-peer (iommufd backend)" "$w/l2.log"; then
			echo "lab# $bdf: iommufd refused its BARs for P2P (warned): $(grep -m1 "warning: $bdf: BAR" "$w/l2.log")"
			pass "vfio-two-$b-p2p-$id-refusal-warned"
		else
			fail "vfio-two-$b-p2p-$id" "no P2P map of BAR0 at L2's address ${gpa:-?}: ${sum:-no peer-to-peer line}"
			grep "peer-to-peer\|L2-BAR0" "$w/l2.log" | sed 's/^/l2-p2p: /'
		fi
	done
	dvf=$(lab_driver "$vf")
	de=$(lab_driver "$e")
	if [ "$dvf" = "$orig_vf" ] && [ "$de" = "$orig_e" ]; then
		pass "vfio-two-$b-both-given-back"
	else
		fail "vfio-two-$b-both-given-back" "after vfvm exited: $vf on '$dvf' (was '$orig_vf'), $e on '$de' (was '$orig_e')"
		# leave the machine as found for the cases after this one
		vfctl restore "$vf" > /dev/null 2>&1
		vfctl restore "$e" > /dev/null 2>&1
	fi
done
run vfctl vfs "$pf" 0
rm -rf "$w"
exit 0
