# shellcheck shell=sh
# Runs inside the emulated lab's L1 (bench_lab_vmm.sh prepends its settings:
# BOOTS, NET_MB, NET_RUNS, CMDLINE) and measures vfvm against QEMU on L1's
# KVM with the lab's own L2 kernel and initramfs:
#   boot  wall time from starting the VMM to the L2 init's
#         "LAB-L2: init reached" line on the console, and to the VMM's exit
#         after the guest's poweroff; vfvm and QEMU alternate, BOOTS each.
#   net   TCP guest -> host over the tap bt0 (10.0.2.15 -> 10.0.2.1): L2
#         sends NET_MB MiB of zeros NET_RUNS times with busybox nc, each to
#         its own listener in L1, which times first byte to EOF.
# One line per sample, nothing judged here:
#   BENCH-VMM boot <vmm> <run> <ms to init marker> <ms to exit> <exit status>
#   BENCH-VMM net <vmm> <run> <bytes received> <ms>
#   BENCH-VMM kvm <vmm> <run> <stat>=<count during the run>...
#   BENCH-VMM-NOTE <text>
# shellcheck source-path=SCRIPTDIR source=../../lab/cases/lib.sh
. /lab/cases/lib.sh

W=/tmp/bench-vmm
QEMU=/usr/bin/qemu-system-x86_64
KERNEL=/lab/l2/bzImage
rm -rf $W
mkdir -p $W

now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N | "") awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime ;;
	*) echo $((t / 1000000)) ;;
	esac
}

if ! command -v vfvm > /dev/null || [ ! -c /dev/kvm ] || [ ! -s $KERNEL ]; then
	echo "BENCH-VMM-NOTE no vfvm, /dev/kvm or L2 kit in L1: nothing measured"
	exit 1
fi
if [ ! -x $QEMU ]; then
	echo "BENCH-VMM-NOTE no $QEMU in L1 (the extra archive did not arrive): nothing measured"
	exit 1
fi

# The CPU model: what KVM offers (as vfvm does), else QEMU's default.  The
# probe stops before the guest runs (-S) but after the vCPUs are set up.
QCPU="-cpu host"
if ! printf 'quit\n' | timeout 60 $QEMU -enable-kvm -M microvm -cpu host -m 64M -nodefaults \
	-no-user-config -display none -S -monitor stdio > $W/probe 2>&1; then
	echo "BENCH-VMM-NOTE QEMU -cpu host fails in L1 ($(grep -v '^QEMU\|(qemu)' $W/probe | head -n 1)): default CPU model used"
	QCPU=""
fi

# boot_once VMM RUN INITRD CMD...: one boot, console in $W/VMM.RUN.log.
boot_once() {
	vmm=$1 run=$2
	shift 2
	log=$W/$vmm.$run.log
	t0=$(now_ms)
	{
		timeout 120 "$@" < /dev/null 2>&1
		echo "BENCH-RC $?"
	} | {
		m=
		while IFS= read -r l; do
			case $l in
			*'LAB-L2: init reached'*) [ -z "$m" ] && m=$(now_ms) ;;
			esac
			echo "$l"
		done
		echo "BENCH-MARK ${m:-none}"
	} > "$log"
	t1=$(now_ms)
	m=$(sed -n 's/^BENCH-MARK //p' "$log")
	rc=$(sed -n 's/^BENCH-RC //p' "$log")
	if [ "$m" = none ]; then
		echo "BENCH-VMM-NOTE $vmm run $run: no init marker (exit $rc); console tail:"
		tail -n 15 "$log" | sed 's/^/  | /'
		echo "BENCH-VMM boot $vmm $run none $((t1 - t0)) $rc"
	else
		echo "BENCH-VMM boot $vmm $run $((m - t0)) $((t1 - t0)) $rc"
	fi
}

r=1
while [ "$r" -le "$BOOTS" ]; do
	boot_once vfvm $r vfvm run --kernel $KERNEL --initrd /lab/l2/initrd --mem 512M --cpus 2 \
		--cmdline "$CMDLINE"
	# shellcheck disable=SC2086 # QCPU is two words or none
	boot_once qemu $r $QEMU -enable-kvm -M microvm $QCPU -smp 2 -m 512M -nodefaults \
		-no-user-config -display none -serial stdio -no-reboot \
		-kernel $KERNEL -initrd /lab/l2/initrd -append "$CMDLINE"
	r=$((r + 1))
done

# ---- virtio-net TCP guest -> host ----
[ "$NET_RUNS" -gt 0 ] || exit 0
if ! ip tuntap add dev bt0 mode tap || ! ip addr add 10.0.2.1/24 dev bt0 || ! ip link set bt0 up; then
	echo "BENCH-VMM-NOTE cannot set up tap bt0 in L1: net not measured"
	exit 1
fi
cat > $W/l2.sh << L2
ip link set lo up
dev=\$(ls /sys/class/net | grep -v '^lo\$' | head -n 1)
echo "L2-NET device \${dev:-none}"
ip link set "\$dev" up
ip addr add 10.0.2.15/24 dev "\$dev"
i=0
until ping -c 1 -W 1 10.0.2.1 > /dev/null 2>&1; do
	i=\$((i + 1))
	[ "\$i" -ge 30 ] && break
done
i=1
while [ "\$i" -le $NET_RUNS ]; do
	dd if=/dev/zero bs=64k count=$((NET_MB * 16)) 2> /dev/null | nc 10.0.2.1 \$((5000 + i))
	echo "L2-NET run \$i nc rc=\$?"
	i=\$((i + 1))
done
# The last run's tail may still sit in the socket buffer: let it drain
# before the init powers off.
sleep 2
L2
lab_l2_initrd $W/l2.sh $W/net-initrd
mkfifo $W/hold

# L1's KVM counts what the running VM's vCPUs did (debugfs, one directory
# per VM): exits and injected interrupts per MiB moved explain a throughput
# gap, and so do the frames the tap saw (guest TX = the tap's rx).  Only one
# VM runs at a time here.
KVMSTATS="exits io_exits mmio_exits irq_injections halt_exits halt_wakeup insn_emulation"
STATS="$KVMSTATS tap_frames_in tap_frames_out"
[ -d /sys/kernel/debug/kvm ] || mount -t debugfs none /sys/kernel/debug 2> /dev/null
kvm_snap() {
	for d in /sys/kernel/debug/kvm/*-*/; do
		[ -r "$d/exits" ] || continue
		for s in $KVMSTATS; do
			printf '%s ' "$(cat "$d/$s" 2> /dev/null || echo 0)"
		done
		cat /sys/class/net/bt0/statistics/rx_packets /sys/class/net/bt0/statistics/tx_packets |
			tr '\n' ' '
		return
	done
}

# measure: first byte to EOF of stdin; prints "<bytes> <ms>" and, on a
# second line, the KVM counts of that span.
measure() {
	dd bs=1 count=1 of=/dev/null 2> /dev/null
	k0=$(kvm_snap)
	a=$(now_ms)
	n=$(wc -c)
	b=$(now_ms)
	k1=$(kvm_snap)
	echo "$((n + 1)) $((b - a))"
	[ -n "$k0" ] && [ -n "$k1" ] &&
		echo "$STATS|$k0|$k1" | awk -F'|' '{
			n = split($1, name, " "); split($2, a, " "); split($3, b, " ")
			printf "kvm"
			for (i = 1; i <= n; i++) printf " %s=%d", name[i], b[i] - a[i]
			print ""
		}'
}

# net_vmm VMM CMD...: one L2 boot; a boot that dies before the guest's init
# is done (seen once with QEMU here) is tried once more.
net_vmm() {
	net_once "$@" && return 0
	echo "BENCH-VMM-NOTE $1 net: trying that boot once more"
	net_once "$@"
}

net_once() { # VMM CMD...
	vmm=$1
	shift
	: > $W/ncpids
	i=1
	while [ "$i" -le "$NET_RUNS" ]; do
		mkfifo $W/d.$i
		rm -f $W/res.$i
		measure < $W/d.$i > $W/res.$i &
		nc -l -p $((5000 + i)) < $W/hold > $W/d.$i &
		echo $! >> $W/ncpids
		i=$((i + 1))
	done
	exec 9> $W/hold
	timeout 180 "$@" < /dev/null > "$W/net-$vmm.log" 2>&1
	rc=$?
	exec 9>&-
	sleep 1
	# shellcheck disable=SC2046 # one pid a word
	kill $(cat $W/ncpids) 2> /dev/null
	wait 2> /dev/null
	ok=1
	if ! grep -q 'LAB-L2: done' "$W/net-$vmm.log"; then
		echo "BENCH-VMM-NOTE $vmm net: L2 did not finish (exit $rc); console tail:"
		tail -n 15 "$W/net-$vmm.log" | sed 's/^/  | /'
		ok=0
	fi
	# Runs that completed count even when a later one stalled.
	i=1
	while [ "$i" -le "$NET_RUNS" ]; do
		res=$(head -n 1 $W/res.$i 2> /dev/null)
		echo "BENCH-VMM net $vmm $i ${res:-none none}"
		kvm=$(sed -n 's/^kvm //p' $W/res.$i 2> /dev/null)
		[ -n "$kvm" ] && echo "BENCH-VMM kvm $vmm $i $kvm"
		rm -f $W/d.$i
		i=$((i + 1))
	done
	[ "$ok" = 1 ]
}

net_vmm vfvm vfvm run --kernel $KERNEL --initrd $W/net-initrd --mem 512M --cpus 2 \
	--cmdline "$CMDLINE" --net tap=bt0,mac=52:54:00:12:34:56
if [ -x /opt/bench/vfvm-b ]; then
	net_vmm vfvm-b /opt/bench/vfvm-b run --kernel $KERNEL --initrd $W/net-initrd --mem 512M \
		--cpus 2 --cmdline "$CMDLINE" --net tap=bt0,mac=52:54:00:12:34:56${VFVM_B_NET:+,$VFVM_B_NET}
fi
# shellcheck disable=SC2086 # QCPU is two words or none
net_vmm qemu $QEMU -enable-kvm -M microvm,pcie=on $QCPU -smp 2 -m 512M -nodefaults \
	-no-user-config -display none -serial stdio -no-reboot \
	-kernel $KERNEL -initrd $W/net-initrd -append "$CMDLINE" \
	-netdev tap,id=n0,ifname=bt0,script=no,downscript=no,vhost=off \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,romfile=

ip link del bt0
rm -rf $W
exit 0
