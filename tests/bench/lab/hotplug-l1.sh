# shellcheck shell=sh
# Runs inside the emulated lab's L1 (bench_lab_hotplug.sh prepends ROUNDS,
# PARTS, MACHINE and CMDLINE): PCI hot-plug into a running Linux L2 (the
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
# QEMU's QMP runs over a pipe chardev (two FIFOs): L1 is busybox only, no
# socat, and busybox nc cannot talk to a unix socket.
# Times are L1's /proc/uptime in ms (10 ms steps), taken when L1 reads the
# line.  One line per sample, nothing judged here:
#   BENCH-HP add <vmm> <round> <ms to the L2 marker> <ms until the command returned>
#   BENCH-HP remove <vmm> <round> <ms until the guest let go> <ms until L2 saw it gone>
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
		*L2-HP* | *DEVICE_DELETED* | *'"return"'* | *'"error"'*) echo "@$(now_ms) $l" ;;
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
# stop_vmm VMM: the VMM should be ending on its own (L2 powers off after its
# last round); after 120 s it is killed.
stop_vmm() {
	i=0
	while kill -0 "$vpid" 2> /dev/null && [ "$i" -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	kill "$vpid" 2> /dev/null
	wait "$vpid" 2> /dev/null
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
	timeout 900 vfvm run --kernel $KERNEL --initrd $W/initrd --mem 256M --cpus 1 \
		--cmdline "$CMDLINE" --api-socket $S < /dev/null > $W/con 2> "$W/err-$lbl" &
	vpid=$!
	if ! wait_stamp "$con" 'L2-HP ready' 300; then
		note "$lbl: L2 never got ready"
		tail_of "$lbl"
		stop_vmm
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
	stop_vmm
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
	timeout 900 $QEMU -enable-kvm -M "$MACHINE" $QCPU -smp 1 -m 256M -nodefaults -no-user-config \
		-display none -serial stdio -no-reboot -kernel $KERNEL -initrd $W/initrd \
		-append "$CMDLINE" $QPORT -chardev pipe,id=qmp,path=$W/qmp -mon chardev=qmp,mode=control \
		< /dev/null > $W/con 2> "$W/err-$lbl" &
	vpid=$!
	# >> (O_APPEND): each round empties the log under the running reader
	stamp < $W/qmp.out >> "$q" &
	exec 8> $W/qmp.in
	qmp '{"execute":"qmp_capabilities"}'
	if ! wait_stamp "$con" 'L2-HP ready' 300; then
		note "$lbl: L2 never got ready"
		tail_of "$lbl"
		exec 8>&-
		stop_vmm
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
	stop_vmm
	[ "$r" -gt "$ROUNDS" ] || return 1
}

case " $PARTS " in *" hotplug "*) hotplug ;; esac
rm -rf $W
exit 0
