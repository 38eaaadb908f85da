# shellcheck shell=sh
# lab-case-timeout: 600 (a Linux L2 and a second vfvm)
# Live migration of an L2 whose network is a virtio-net failover pair with
# an igb VF primary, the VF swapped for another on the way:
#  - source: --net id=n0,tap=fotap,mac=M,failover=on
#            --device VF-A,managed,id=vfa,failover=n0;
#    destination: vfvm run --incoming tcp:127.0.0.1:PORT
#            --net id=n0,tap=fotap2 --device VF-B,managed,id=vfb,failover=n0;
#  - before: L2's pings go through VF A (the source's tap stays flat);
#  - vfvm ctl migrate: VF A is unplugged first (traffic on virtio), the VM
#    moves, VF B is plugged on the destination with M; after: pings go
#    through VF B (the destination's tap stays flat); pings lost across the
#    whole hand-over are counted;
#  - the boot id stays; VF A is back on its host driver with its own MAC
#    once the source exits 0, VF B once the destination powers off.
# The PF's netdev and both taps share one bridge in L1 (one network).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
if [ "$LAB_HAS_IGB" != 1 ]; then
	skip vfvm-migrate-failover "QEMU without the igb device ($LAB_QEMU_VERSION): install QEMU >= 8 (bookworm-backports)"
	exit 0
fi
if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-migrate-failover "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ]; then
	skip vfvm-migrate-failover "/dev/kvm or the L2 kernel"
	exit 0
fi
pf=$(lab_igb_pf) || { fail vfvm-migrate-failover "no igb PF"; exit 0; }
n=$(lab_netdev "$pf")
say ip link set "$n" up
lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
run vfctl vfs "$pf" 2
lab_wait "[ -e /sys/bus/pci/devices/$pf/virtfn1 ]" 10
va=$(lab_vf "$pf" 0)
vb=$(lab_vf "$pf" 1)
if [ -z "$va" ] || [ -z "$vb" ]; then
	fail vfvm-migrate-failover "no 2 VFs after vfctl vfs $pf 2"
	run vfctl vfs "$pf" 0
	exit 0
fi
lab_wait "[ -e /sys/bus/pci/devices/$vb/iommu_group ]" 10
orig=$(lab_driver "$va")
M=52:54:00:fa:22:01
lab_failover_net_up "$n"
say ip tuntap add dev fotap2 mode tap
say ip link set fotap2 master fobr
say ip link set fotap2 up
w=/tmp/vfvm-migrate-failover
rm -rf "$w"
mkdir -p "$w"
SA=$w/a.sock
SB=$w/b.sock
PORT=4445
# shellcheck disable=SC2317 # called from lab_wait's eval
alive() { kill -0 "$1" 2> /dev/null; }
rx() { cat "/sys/class/net/$1/statistics/rx_packets"; }
vfmac() { ip link show "$n" | sed -n "s/.*vf $1 .*link\/ether \([0-9a-f:]*\).*/\1/p"; }

{
	lab_l2_failover_funcs
	cat << 'EOF'
word() { read -r -t 600 w && [ "$w" = "$1" ]; }
ip link set lo up
wait_pair() {
	i=0
	while ! find_pair && [ "$i" -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
	find_pair || return 1
	i=0
	while [ "$(cat "/sys/class/net/$pri/carrier" 2> /dev/null)" != 1 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
gw=10.0.2.2
pings() { ping -c "$1" -i 0.2 -W 2 "$gw" 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p'; }
if ! wait_pair; then echo "L2-FAILOVER none"; exit 1; fi
echo "L2-BOOT $(cat /proc/sys/kernel/random/boot_id)"
echo "L2-FAILOVER master=$ma standby=$sb primary=$pri mac=$(cat /sys/class/net/$ma/address)"
ip link set "$ma" up
ip addr add 10.0.2.15/24 dev "$ma"
echo "L2-PING-A $(pings 20)/20"
ping -i 0.1 "$gw" > /tmp/sw.out 2>&1 &
pp=$!
echo "L2-WAIT migrate"
word migrated || { echo "L2-NO-WORD migrated"; exit 1; }
kill -INT "$pp"
wait "$pp"
echo "L2-HANDOVER $(sed -n 's/\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/sent=\1 received=\2/p' /tmp/sw.out)"
echo "L2-BOOT2 $(cat /proc/sys/kernel/random/boot_id)"
if wait_pair; then echo "L2-PRIMARY-B $pri"; else echo "L2-NO-PRIMARY"; fi
echo "L2-WAIT pingb"
word pingb || { echo "L2-NO-WORD pingb"; exit 1; }
echo "L2-PING-B $(pings 20)/20"
echo "L2-WAIT end"
word end
EOF
} > "$w/l2.sh"
lab_l2_initrd "$w/l2.sh" "$w/initrd"
cleanup() {
	kill "$apid" "$bpid" 2> /dev/null
	wait "$apid" "$bpid" 2> /dev/null
	lab_failover_net_down
	say ip link del fotap2
	run vfctl vfs "$pf" 0
	say ip link set "$n" down
}

mkfifo "$w/a.in"
echo "lab# vfvm run ... --net id=n0,tap=fotap,mac=$M,failover=on --device $va,managed,id=vfa,failover=n0 --api-socket $SA"
timeout 800 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 --api-socket "$SA" \
	--net "id=n0,tap=fotap,mac=$M,failover=on" --device "$va,managed,id=vfa,failover=n0" \
	< "$w/a.in" > "$w/a.log" 2> "$w/a.err" &
apid=$!
exec 7> "$w/a.in"
trap '' PIPE
r0=$(rx fotap)
if ! lab_wait "grep -q 'L2-WAIT migrate' $w/a.log || ! alive $apid" 300 || ! grep -q 'L2-WAIT migrate' "$w/a.log"; then
	fail vfvm-migrate-failover-boot "L2 did not get its failover pair going: $(grep L2- "$w/a.log" | tail -n 3) $(tail -n 3 "$w/a.err")"
	cleanup
	exit 0
fi
r1=$(rx fotap)
pa=$(tr -d '\r' < "$w/a.log" | sed -n 's/.*L2-PING-A \([0-9]*\)\/20.*/\1/p')
echo "source tap rx while VF A was primary: $r0 -> $r1; pings ${pa:-?}/20"
if [ "${pa:-0}" -ge 15 ] && [ $((r1 - r0)) -le 4 ]; then
	pass vfvm-migrate-failover-traffic-on-a
else
	fail vfvm-migrate-failover-traffic-on-a "pings ${pa:-none}/20, tap rx rose by $((r1 - r0))"
fi

mkfifo "$w/b.in"
echo "lab# vfvm run --incoming tcp:127.0.0.1:$PORT --net id=n0,tap=fotap2 --device $vb,managed,id=vfb,failover=n0 --api-socket $SB"
timeout 800 vfvm run --incoming "tcp:127.0.0.1:$PORT" --net id=n0,tap=fotap2 \
	--device "$vb,managed,id=vfb,failover=n0" --api-socket "$SB" \
	< "$w/b.in" > "$w/b.log" 2> "$w/b.err" &
bpid=$!
exec 8> "$w/b.in"
lab_wait "grep -q 'waiting for a migration' $w/b.err || ! alive $bpid" 30
if [ "$(vfmac 1)" != "$M" ]; then
	pass vfvm-migrate-failover-b-mac-waits
else
	fail vfvm-migrate-failover-b-mac-waits "VF B carries $M before the migration (VF A has it)"
fi
echo "lab# vfvm ctl $SA migrate tcp:127.0.0.1:$PORT"
t0=$(uptime_ms)
vfvm ctl "$SA" migrate "tcp:127.0.0.1:$PORT" > "$w/ctl.out" 2>&1
RC=$?
t1=$(uptime_ms)
cat "$w/ctl.out"
echo "migrate took $((t1 - t0)) ms (unplug of VF A included)"
lab_wait "! alive $apid" 60
wait "$apid"
ast=$?
exec 7>&-
if [ "$RC" = 0 ] && grep -q '^completed: ' "$w/ctl.out" && [ "$ast" = 0 ]; then
	pass vfvm-migrate-failover-completed
else
	fail vfvm-migrate-failover-completed "ctl exit $RC, source exit $ast; $(tail -n 3 "$w/a.err")"
fi
if [ "$(lab_driver "$va")" = "$orig" ] && [ "$(vfmac 0)" != "$M" ]; then
	pass vfvm-migrate-failover-a-given-back
else
	fail vfvm-migrate-failover-a-given-back "$va on '$(lab_driver "$va")' (was '$orig'), MAC $(vfmac 0)"
fi
lab_wait "vfvm ctl $SB info | grep -q 'primary vfb .* plugged'" 120
run vfvm ctl "$SB" info
if echo "$OUT" | grep -Eq "^  vfb +vfio .*host $vb" && [ "$(vfmac 1)" = "$M" ]; then
	pass vfvm-migrate-failover-b-plugged
else
	fail vfvm-migrate-failover-b-plugged "destination info lacks vfb on $vb, or VF B's MAC is $(vfmac 1)"
fi
echo migrated >&8
if lab_wait "grep -q 'L2-WAIT pingb' $w/b.log || ! alive $bpid" 180 && grep -q 'L2-PRIMARY-B' "$w/b.log"; then
	r2=$(rx fotap2)
	echo pingb >&8
	lab_wait "grep -q 'L2-WAIT end' $w/b.log || ! alive $bpid" 60
	r3=$(rx fotap2)
	pb=$(tr -d '\r' < "$w/b.log" | sed -n 's/.*L2-PING-B \([0-9]*\)\/20.*/\1/p')
	echo "pings every 0.1 s across the hand-over: $(tr -d '\r' < "$w/b.log" | sed -n 's/.*L2-HANDOVER //p')"
	echo "destination tap rx while VF B was primary: $r2 -> $r3; pings ${pb:-?}/20"
	if [ "${pb:-0}" -ge 15 ] && [ $((r3 - r2)) -le 4 ]; then
		pass vfvm-migrate-failover-traffic-on-b
	else
		fail vfvm-migrate-failover-traffic-on-b "pings ${pb:-none}/20, destination tap rx rose by $((r3 - r2))"
	fi
else
	fail vfvm-migrate-failover-traffic-on-b "no VF primary in L2 on the destination: $(grep L2- "$w/b.log" | tail -n 3) $(tail -n 3 "$w/b.err")"
fi
boot=$(tr -d '\r' < "$w/a.log" | sed -n 's/^L2-BOOT \([0-9a-f-]*\).*/\1/p')
boot2=$(tr -d '\r' < "$w/b.log" | sed -n 's/^L2-BOOT2 \([0-9a-f-]*\).*/\1/p')
if [ -n "$boot" ] && [ "$boot" = "$boot2" ]; then
	pass vfvm-migrate-failover-same-boot
else
	fail vfvm-migrate-failover-same-boot "boot id '$boot' before, '$boot2' after"
fi
echo end >&8
exec 8>&-
wait "$bpid"
bst=$?
tail -n 5 "$w/b.err"
if [ "$bst" = 0 ] && [ "$(lab_driver "$vb")" = "$orig" ]; then
	pass vfvm-migrate-failover-b-given-back
else
	fail vfvm-migrate-failover-b-given-back "destination exit $bst; $vb on '$(lab_driver "$vb")'"
fi
bpid=''
apid=''
lab_failover_net_down
say ip link del fotap2
run vfctl vfs "$pf" 0
say ip link set "$n" down
rm -rf "$w"
exit 0
