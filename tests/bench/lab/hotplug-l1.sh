# shellcheck shell=sh
# Runs inside the emulated lab's L1 (bench_lab_hotplug.sh prepends ROUNDS,
# PARTS, MACHINE, FO_WIN and CMDLINE): PCI hot-plug into a running Linux L2 (the
# lab's L2 kernel and initramfs, 1 vCPU, 256 MiB), vfvm against QEMU
# (-enable-kvm -M q35 with a pcie-root-port rp1, or -M pc: ACPI hot-plug
# either way, as vfvm's).
#   hotplug  one NVMe VF of the lab's PF, bound to vfio-pci beforehand so
#            that both VMMs get the same, unmanaged device; ROUNDS times in
#            one L2 boot: add it (vfvm ctl add-device / QMP device_add) and
#            time until L2 has /dev/nvme0n1 (L2 polls for it every 50 ms and
#            prints a marker; L1 stamps the console line as it reads it),
#            then remove it (vfvm ctl remove-device, which answers once the
#            guest let go / QMP device_del until the DEVICE_DELETED event).
#            Then once more with vfvm and the VF on its host nvme driver,
#            add-device ...,managed (vfvm binds it to vfio-pci and back).
#   failover a virtio-net failover pair with an igb VF primary (vfvm: --net
#            ...,failover=on + --device VF,managed,failover=n0; QEMU:
#            virtio-net-pci,failover=on + vfio-pci,failover_pair_id=n0):
#            L2 pings 10.0.2.2 every 50 ms for FO_WIN s while the primary
#            is unplugged (vfvm ctl failover-unplug / QMP device_del), then
#            again while it is plugged back (failover-replug / device_add).
# QEMU's QMP runs over a pipe chardev (two FIFOs): L1 is busybox only, no
# socat, and busybox nc cannot talk to a unix socket.
# Times are L1's /proc/uptime in ms (10 ms steps), taken when L1 reads the
# line.  One line per sample, nothing judged here:
#   BENCH-HP add <vmm> <round> <ms to the L2 marker> <ms until the command returned>
#   BENCH-HP remove <vmm> <round> <ms until the guest let go> <ms until L2 saw it gone>
#   BENCH-FO <vmm> <unplug|replug> <ms the switch command took> <pings sent> <replies> <largest gap ms>
#   BENCH-HP-NOTE <text>
# shellcheck source-path=SCRIPTDIR source=../../lab/cases/lib.sh
. /lab/cases/lib.sh

W=/tmp/bench-hp
QEMU=/usr/bin/qemu-system-x86_64
KERNEL=/lab/l2/bzImage
rm -rf $W
mkdir -p $W

now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
note() { echo "BENCH-HP-NOTE $*"; }
qpid=

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null || [ ! -c /dev/kvm ] ||
	[ ! -s $KERNEL ]; then
	note "no vfvm, vfctl, /dev/kvm or L2 kit in L1: nothing measured"
	exit 1
fi
if [ ! -x $QEMU ]; then
	note "no $QEMU in L1 (the extra archive did not arrive): nothing measured"
	exit 1
fi
QCPU="-cpu host"
if ! printf 'quit\n' | timeout 60 $QEMU -enable-kvm -M "$MACHINE" -cpu host -m 64M -nodefaults \
	-no-user-config -display none -S -monitor stdio > $W/probe 2>&1; then
	note "QEMU -M $MACHINE -cpu host fails in L1 ($(grep -v '^QEMU\|(qemu)' $W/probe | head -n 1)): default CPU model used"
	QCPU=""
fi
case $MACHINE in
q35*) QBUS=",bus=rp1" QPORT="-device pcie-root-port,id=rp1,chassis=1,slot=1" ;;
*) QBUS="" QPORT="" ;;
esac

# stamp: copies the console (or QMP) stream, prefixing the lines the bench
# waits for with L1's time as it reads them.
stamp() {
	while IFS= read -r l; do
		case $l in
		*L2-HP* | *L2-FO* | *DEVICE_DELETED* | *'"return"'* | *'"error"'*) echo "@$(now_ms) $l" ;;
		*) echo "$l" ;;
		esac
	done
}
# stamp_of FILE PATTERN: the time of the first stamped line matching it, or "".
stamp_of() { grep "^@[0-9]* .*$2" "$1" 2> /dev/null | head -n 1 | sed 's/^@\([0-9]*\) .*/\1/'; }
# wait_stamp FILE PATTERN SECONDS: until that line is there (or the VMM is gone).
wait_stamp() {
	i=0
	while [ "$i" -lt $(($3 * 10)) ]; do
		[ -n "$(stamp_of "$1" "$2")" ] && return 0
		kill -0 "$vpid" 2> /dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$(stamp_of "$1" "$2")" ]
}
tail_of() { # VMM: what went wrong, for the notes
	echo "BENCH-HP-NOTE $1 console tail:"
	tr -d '\r' < "$W/con-$1.log" | grep -v '^\s*$' | tail -n 25 | sed 's/^/  | /'
	[ -s "$W/err-$1" ] && { echo "BENCH-HP-NOTE $1 stderr:" && tail -n 10 "$W/err-$1" | sed 's/^/  | /'; }
}
# stop_vmm LABEL: the VMM should be ending on its own (L2 powers off after
# its last round); after 120 s it gets SIGTERM, 20 s later SIGKILL (the
# VMMs run without timeout(1) so that vpid is the VMM itself).  Then the
# QMP reader (if any; it holds its FIFO open both ways) goes too.
stop_vmm() {
	i=0
	while kill -0 "$vpid" 2> /dev/null && [ "$i" -lt 140 ]; do
		[ "$i" = 120 ] && note "$1 had not ended 120 s after its last step: SIGTERM" &&
			kill "$vpid" 2> /dev/null
		sleep 1
		i=$((i + 1))
	done
	if kill -0 "$vpid" 2> /dev/null; then
		note "$1 ignored SIGTERM: SIGKILL"
		kill -9 "$vpid" 2> /dev/null
	fi
	wait "$vpid" 2> /dev/null
	[ -n "$qpid" ] && kill "$qpid" 2> /dev/null
	qpid=
	wait
}

# ---- hotplug ----
hotplug() {
	pf=$(lab_nvme_pf)
	if [ -z "$pf" ]; then
		note "no NVMe PF in L1: hotplug not measured"
		return 1
	fi
	modprobe vfio-pci 2> /dev/null
	vfctl vfs "$pf" 1 > $W/vfs.out 2>&1
	vf=$(lab_vf "$pf" 0)
	lab_wait "lab_nvme_live $vf" 20
	if [ -z "$vf" ] || ! lab_nvme_live "$vf"; then
		note "no live NVMe VF after vfctl vfs $pf 1: hotplug not measured"
		sed 's/^/  | /' $W/vfs.out
		vfctl vfs "$pf" 0 > /dev/null 2>&1
		return 1
	fi
	# L2: a marker as soon as the namespace's block node appears, another
	# as soon as it is gone, ROUNDS times; then its init powers off.
	cat > $W/l2.sh << L2
wait_for() { # up or gone: 50 ms polls, at most 300 s
	i=0
	while [ "\$i" -lt 6000 ]; do
		if [ "\$1" = up ]; then [ -b /dev/nvme0n1 ] && return 0; else [ -b /dev/nvme0n1 ] || return 0; fi
		sleep 0.05
		i=\$((i + 1))
	done
	return 1
}
echo "L2-HP ready"
r=1
while [ "\$r" -le $ROUNDS ]; do
	if ! wait_for up; then
		echo "L2-HP none \$r"; ls /sys/bus/pci/devices; dmesg | tail -n 20; exit 1
	fi
	echo "L2-HP up \$r"
	if ! wait_for gone; then echo "L2-HP stuck \$r"; dmesg | tail -n 20; exit 1; fi
	echo "L2-HP gone \$r"
	r=\$((r + 1))
done
echo "L2-HP end"
L2
	lab_l2_initrd $W/l2.sh $W/initrd

	if ! vfctl bind "$vf" vfio-pci > $W/bind.out 2>&1 || [ "$(lab_driver "$vf")" != vfio-pci ]; then
		note "vfctl bind $vf vfio-pci failed (driver: $(lab_driver "$vf")): hotplug not measured"
		sed 's/^/  | /' $W/bind.out
		vfctl vfs "$pf" 0 > /dev/null 2>&1
		return 1
	fi
	hp_vfvm vfvm "$vf"
	hp_qemu "$vf"
	vfctl restore "$vf" > $W/bind.out 2>&1 || sed 's/^/  | /' $W/bind.out
	lab_wait "lab_nvme_live $vf" 20
	if lab_nvme_live "$vf"; then
		hp_vfvm vfvm-managed "$vf,managed"
	else
		note "$vf is not live on nvme after vfctl restore: no managed rounds"
	fi
	vfctl vfs "$pf" 0 > /dev/null 2>&1
}

# hp_vfvm LABEL SPEC: one L2 boot under vfvm, ROUNDS add/remove rounds.
hp_vfvm() {
	lbl=$1 spec=$2
	con=$W/con-$lbl.log S=$W/api.sock
	rm -f $W/con $S
	mkfifo $W/con
	stamp < $W/con > "$con" &
	vfvm run --kernel $KERNEL --initrd $W/initrd --mem 256M --cpus 1 \
		--cmdline "$CMDLINE" --api-socket $S < /dev/null > $W/con 2> "$W/err-$lbl" &
	vpid=$!
	if ! wait_stamp "$con" 'L2-HP ready' 300; then
		note "$lbl: L2 never got ready"
		tail_of "$lbl"
		stop_vmm "$lbl"
		return 1
	fi
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		t0=$(now_ms)
		out=$(vfvm ctl $S add-device "$spec,id=vf0" 2>&1)
		rc=$?
		t1=$(now_ms)
		if [ $rc != 0 ] || ! wait_stamp "$con" "L2-HP up $r" 300; then
			note "$lbl round $r: add-device $spec,id=vf0: exit $rc, '$out'; L2 has no /dev/nvme0n1"
			tail_of "$lbl"
			echo "BENCH-HP add $lbl $r none $((t1 - t0))"
			break
		fi
		echo "BENCH-HP add $lbl $r $(($(stamp_of "$con" "L2-HP up $r") - t0)) $((t1 - t0))"
		t0=$(now_ms)
		out=$(vfvm ctl $S remove-device vf0 --timeout 120 2>&1)
		rc=$?
		t1=$(now_ms)
		if [ $rc != 0 ] || ! wait_stamp "$con" "L2-HP gone $r" 120; then
			note "$lbl round $r: remove-device vf0: exit $rc, '$out'"
			tail_of "$lbl"
			echo "BENCH-HP remove $lbl $r none none"
			break
		fi
		echo "BENCH-HP remove $lbl $r $((t1 - t0)) $(($(stamp_of "$con" "L2-HP gone $r") - t0))"
		r=$((r + 1))
	done
	stop_vmm "$lbl"
	[ "$r" -gt "$ROUNDS" ] || return 1
}

# qmp JSON: one command to QEMU's monitor (the FIFO is held open on fd 8).
qmp() { echo "$1" >&8; }

# hp_qemu BDF: one L2 boot under QEMU, ROUNDS device_add/device_del rounds.
hp_qemu() {
	vf=$1 lbl=qemu
	con=$W/con-$lbl.log q=$W/qmp.log
	rm -f $W/con $W/qmp.in $W/qmp.out
	mkfifo $W/con $W/qmp.in $W/qmp.out
	stamp < $W/con > "$con" &
	# shellcheck disable=SC2086 # QCPU and QPORT are words or nothing
	$QEMU -enable-kvm -M "$MACHINE" $QCPU -smp 1 -m 256M -nodefaults -no-user-config \
		-display none -serial stdio -no-reboot -kernel $KERNEL -initrd $W/initrd \
		-append "$CMDLINE" $QPORT -chardev pipe,id=qmp,path=$W/qmp -mon chardev=qmp,mode=control \
		< /dev/null > $W/con 2> "$W/err-$lbl" &
	vpid=$!
	# >> (O_APPEND): each round empties the log under the running reader
	# Both FIFOs opened read-write: neither open waits for QEMU (which may
	# have failed to start); stop_vmm ends the reader.
	stamp 0<> $W/qmp.out >> "$q" &
	qpid=$!
	exec 8<> $W/qmp.in
	qmp '{"execute":"qmp_capabilities"}'
	if ! wait_stamp "$con" 'L2-HP ready' 300; then
		note "$lbl: L2 never got ready"
		tail_of "$lbl"
		exec 8>&-
		stop_vmm "$lbl"
		return 1
	fi
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		: > "$q"
		t0=$(now_ms)
		qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"vfio-pci\",\"host\":\"$vf\",\"id\":\"vf0\"$(echo "$QBUS" | sed 's/,bus=\(.*\)/,"bus":"\1"/')}}"
		if ! wait_stamp "$q" '"return"\|"error"' 60 || [ -n "$(stamp_of "$q" '"error"')" ] ||
			! wait_stamp "$con" "L2-HP up $r" 300; then
			note "$lbl round $r: device_add vfio-pci host=$vf: L2 has no /dev/nvme0n1; QMP said: $(tr -d '\r' < "$q" | tail -n 2)"
			tail_of "$lbl"
			echo "BENCH-HP add $lbl $r none none"
			break
		fi
		echo "BENCH-HP add $lbl $r $(($(stamp_of "$con" "L2-HP up $r") - t0)) $(($(stamp_of "$q" '"return"') - t0))"
		: > "$q"
		t0=$(now_ms)
		qmp '{"execute":"device_del","arguments":{"id":"vf0"}}'
		if ! wait_stamp "$q" 'DEVICE_DELETED.*"vf0"' 120 || ! wait_stamp "$con" "L2-HP gone $r" 120; then
			note "$lbl round $r: device_del vf0: no DEVICE_DELETED; QMP said: $(tr -d '\r' < "$q" | tail -n 2)"
			tail_of "$lbl"
			echo "BENCH-HP remove $lbl $r none none"
			break
		fi
		echo "BENCH-HP remove $lbl $r $(($(stamp_of "$q" 'DEVICE_DELETED.*"vf0"') - t0)) $(($(stamp_of "$con" "L2-HP gone $r") - t0))"
		r=$((r + 1))
	done
	exec 8>&-
	stop_vmm "$lbl"
	[ "$r" -gt "$ROUNDS" ] || return 1
}

# ---- failover ----
# A virtio-net failover pair with an igb VF primary, as in lab case 69: the
# tap fotap and the igb PF's netdev share the bridge fobr, so both paths
# reach QEMU's (L0's) user-mode gateway 10.0.2.2, which L2 pings every 50 ms
# for FO_WIN seconds around each switch (the switch starts 2 s in).
FO_MAC=52:54:00:fa:11:01
failover() {
	if [ "$LAB_HAS_IGB" != 1 ]; then
		note "the lab's QEMU has no igb ($LAB_QEMU_VERSION): failover not measured"
		return 1
	fi
	pf=$(lab_igb_pf) || { note "no igb PF in L1: failover not measured"; return 1; }
	n=$(lab_netdev "$pf")
	ip link set "$n" up
	lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
	vfctl vfs "$pf" 1 > $W/vfs.out 2>&1
	lab_wait "[ -e /sys/bus/pci/devices/$pf/virtfn0 ]" 10
	vf=$(lab_vf "$pf" 0)
	if [ -z "$vf" ]; then
		note "no igb VF after vfctl vfs $pf 1: failover not measured"
		sed 's/^/  | /' $W/vfs.out
		return 1
	fi
	lab_wait "[ -e /sys/bus/pci/devices/$vf/iommu_group ]" 10
	ip link add fobr type bridge
	ip tuntap add dev fotap mode tap
	ip link set "$n" master fobr
	ip link set fotap master fobr
	ip link set fobr up
	ip link set fotap up
	{
		echo "WIN=$FO_WIN"
		cat << 'L2'
word() { read -r -t 600 w && [ "$w" = "$1" ]; }
ip link set lo up
# the primary is the igbvf netdev with a master (the failover netdev); the
# standby is the other netdev under that master (its name has no fixed form:
# eth1 here, <master>nsby where udev names it)
up_of() { m=$(readlink "$1/master" 2> /dev/null) && echo "${m##*/}"; }
find_pair() {
	pri="" ma="" sb=""
	for d in /sys/class/net/*; do
		dr=$(readlink "$d/device/driver" 2> /dev/null)
		[ "${dr##*/}" = igbvf ] || continue
		m=$(up_of "$d")
		[ -n "$m" ] && pri=${d##*/} ma=$m
	done
	[ -n "$pri" ] || return 1
	for d in /sys/class/net/*; do
		[ "$(up_of "$d")" = "$ma" ] && [ "${d##*/}" != "$pri" ] && sb=${d##*/}
	done
	[ -n "$sb" ]
}
i=0
while ! find_pair && [ "$i" -lt 480 ]; do sleep 0.5; i=$((i + 1)); done
if ! find_pair; then
	echo "L2-FO none: $(ls /sys/class/net)"; dmesg | grep -iE 'failover|igbvf|virtio|acpiphp|pci' | tail -n 15
	exit 1
fi
ip link set "$ma" up
i=0
while [ "$(cat "/sys/class/net/$pri/carrier" 2> /dev/null)" != 1 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
# udhcpc configures nothing itself, and L2 has no default script: this one
# sets the address slirp leases (10.0.2.x); without a lease, a fixed one
cat > /tmp/dhcp.sh << 'S'
#!/bin/sh
[ "$1" = bound ] && ip addr add "$ip/${mask:-24}" dev "$interface"
exit 0
S
chmod +x /tmp/dhcp.sh
if ! udhcpc -i "$ma" -n -q -t 10 -T 2 -s /tmp/dhcp.sh > /dev/null 2>&1; then
	echo "L2-FO dhcp failed: 10.0.2.30 set"
	ip addr add 10.0.2.30/24 dev "$ma"
fi
ping -c 3 -W 2 10.0.2.2 > /dev/null 2>&1
echo "L2-FO ready master=$ma standby=$sb primary=$pri $(ip -4 -o addr show dev "$ma" | awk '{print $4}')"
for ph in unplug replug; do
	word go || { echo "L2-FO no-word $ph"; exit 1; }
	ping -i 0.05 -w "$WIN" 10.0.2.2 > /tmp/p 2>&1 &
	p=$!
	echo "L2-FO pinging $ph"
	wait "$p"
	echo "L2-FO ping said: $(head -n 1 /tmp/p) ... $(tail -n 2 /tmp/p | tr '\n' ' ')"
	# sent, received, and the longest time between two replies (from the
	# start and to the end too), in 50 ms steps of the sequence numbers
	echo "L2-FO result $ph $(awk '
		/seq=/ { sub(/.*seq=/, ""); s = $1 + 0; d = s - last; if (d > g) g = d; last = s; n++ }
		/packets transmitted/ { t = $1 }
		END { if (t - last > g) g = t - last; printf "%d %d %d", t, n, g * 50 }' last=-1 /tmp/p)"
done
echo "L2-FO end"
L2
	} > $W/fo-l2.sh
	lab_l2_initrd $W/fo-l2.sh $W/fo-initrd
	fo_vfvm "$vf"
	# QEMU's failover leaves the VF's MAC to the host (docs/system/virtio-net-failover.rst)
	ip link set "$n" vf 0 mac $FO_MAC
	if vfctl bind "$vf" vfio-pci > $W/bind.out 2>&1 && [ "$(lab_driver "$vf")" = vfio-pci ]; then
		fo_qemu "$vf"
	else
		note "vfctl bind $vf vfio-pci failed: no QEMU failover numbers"
		sed 's/^/  | /' $W/bind.out
	fi
	vfctl restore "$vf" > /dev/null 2>&1
	ip link del fobr
	ip link del fotap
	vfctl vfs "$pf" 0 > /dev/null 2>&1
	ip link set "$n" down
}

# fo_switch LABEL PHASE CMD...: one switch with L2 pinging around it.
fo_switch() {
	lbl=$1 ph=$2
	shift 2
	echo go >&7
	if ! wait_stamp "$con" "L2-FO pinging $ph" 120; then
		note "$lbl $ph: L2 did not start pinging"
		tail_of "$lbl"
		return 1
	fi
	sleep 2 # pings on the old path first: the window brackets the switch
	t0=$(now_ms)
	"$@"
	rc=$?
	t1=$(now_ms)
	if [ $rc != 0 ] || ! wait_stamp "$con" "L2-FO result $ph" $((FO_WIN + 60)); then
		note "$lbl $ph: the switch failed (exit $rc) or L2 gave no ping result"
		tail_of "$lbl"
		echo "BENCH-FO $lbl $ph none none none none"
		return 1
	fi
	res=$(grep "L2-FO result $ph" "$con" | head -n 1 | tr -d '\r' | sed 's/.*L2-FO result [a-z]* //')
	echo "BENCH-FO $lbl $ph $((t1 - t0)) $res"
}

fo_start() { # LABEL: console FIFOs, the VMM's pid in vpid after the caller starts it
	con=$W/con-$1.log
	rm -f $W/con $W/console.in
	mkfifo $W/con $W/console.in
	stamp < $W/con > "$con" &
}

fo_vfvm() {
	lbl=vfvm-fo S=$W/api.sock
	rm -f $S
	fo_start $lbl
	vfvm run --kernel $KERNEL --initrd $W/fo-initrd --mem 256M --cpus 1 \
		--cmdline "$CMDLINE" --api-socket $S --net "id=n0,tap=fotap,mac=$FO_MAC,failover=on" \
		--device "$1,managed,id=vf0,failover=n0" < $W/console.in > $W/con 2> "$W/err-$lbl" &
	vpid=$!
	exec 7<> $W/console.in
	if wait_stamp "$con" 'L2-FO ready' 400; then
		fo_switch "$lbl" unplug fo_ctl failover-unplug n0 --timeout 120 &&
			fo_switch "$lbl" replug fo_ctl failover-replug n0
	else
		note "$lbl: L2 has no failover pair up"
		tail_of "$lbl"
	fi
	exec 7>&-
	stop_vmm "$lbl"
}

# shellcheck disable=SC2317 # fo_ctl, qemu_del and qemu_add run through fo_switch
fo_ctl() { vfvm ctl "$S" "$@" > "$W/ctl.out" 2>&1 || { sed 's/^/  | /' "$W/ctl.out" && return 1; }; }
# shellcheck disable=SC2317
qemu_del() { # the primary out: device_del until DEVICE_DELETED
	: > "$q"
	qmp '{"execute":"device_del","arguments":{"id":"vf0"}}'
	wait_stamp "$q" 'DEVICE_DELETED.*"vf0"' 120
}
# shellcheck disable=SC2317
qemu_add() { # the primary back: device_add until its answer
	: > "$q"
	qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"vfio-pci\",\"host\":\"$vf\",\"id\":\"vf0\",\"failover_pair_id\":\"n0\"$(echo "$QBUS2" | sed 's/,bus=\(.*\)/,"bus":"\1"/')}}"
	wait_stamp "$q" '"return"\|"error"' 60 && [ -z "$(stamp_of "$q" '"error"')" ]
}

fo_qemu() {
	vf=$1 lbl=qemu-fo q=$W/qmp.log
	fo_start $lbl
	rm -f $W/qmp.in $W/qmp.out
	mkfifo $W/qmp.in $W/qmp.out
	case $MACHINE in
	q35*)
		QBUS1=",bus=rp1" QBUS2=",bus=rp2"
		QPORTS="-device pcie-root-port,id=rp1,chassis=1,slot=1 -device pcie-root-port,id=rp2,chassis=2,slot=2"
		;;
	*) QBUS1="" QBUS2="" QPORTS="" ;;
	esac
	# shellcheck disable=SC2086 # QCPU and QPORTS are words or nothing
	$QEMU -enable-kvm -M "$MACHINE" $QCPU -smp 1 -m 256M -nodefaults -no-user-config \
		-display none -serial stdio -no-reboot -kernel $KERNEL -initrd $W/fo-initrd \
		-append "$CMDLINE" $QPORTS -chardev pipe,id=qmp,path=$W/qmp -mon chardev=qmp,mode=control \
		-netdev tap,id=hn0,ifname=fotap,script=no,downscript=no,vhost=off \
		-device virtio-net-pci,netdev=hn0,id=n0,mac=$FO_MAC,failover=on,romfile=$QBUS1 \
		-device vfio-pci,host="$vf",id=vf0,failover_pair_id=n0$QBUS2 \
		< $W/console.in > $W/con 2> "$W/err-$lbl" &
	vpid=$!
	# Both FIFOs opened read-write: neither open waits for QEMU (which may
	# have failed to start); stop_vmm ends the reader.
	stamp 0<> $W/qmp.out >> "$q" &
	qpid=$!
	exec 8<> $W/qmp.in
	exec 7<> $W/console.in
	qmp '{"execute":"qmp_capabilities"}'
	if wait_stamp "$con" 'L2-FO ready' 400; then
		fo_switch "$lbl" unplug qemu_del && fo_switch "$lbl" replug qemu_add
	else
		note "$lbl: L2 has no failover pair up"
		tail_of "$lbl"
	fi
	exec 7>&- 8>&-
	stop_vmm "$lbl"
}

case " $PARTS " in *" hotplug "*) hotplug ;; esac
case " $PARTS " in *" failover "*) failover ;; esac
rm -rf $W
exit 0
