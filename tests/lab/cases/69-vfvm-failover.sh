# shellcheck shell=sh
# lab-case-timeout: 600 (boots Linux in L2 more than once)
# virtio-net failover with an igb VF primary, in a running Linux L2:
#  - vfvm run --net id=n0,tap=fotap,mac=M,failover=on
#             --device VF,managed,id=vf0,failover=n0: L2's virtio_net accepts
#    STANDBY, vfvm hot-plugs the VF (its MAC set to M through the PF), and
#    L2 shows the failover master, standby and primary netdevs with one MAC;
#  - traffic (ping of QEMU's user-mode gateway behind the PF) goes through
#    the VF: the tap's receive counter stays flat;
#  - vfvm ctl failover-unplug n0: traffic moves to virtio (the tap's counter
#    rises; pings lost during the switch are counted), failover-replug n0
#    moves it back;
#  - at exit the VF goes back to igbvf with the MAC it had.
# The tap and the PF's netdev share a bridge in L1, so both paths reach the
# same network.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
if [ "$LAB_HAS_IGB" != 1 ]; then
	skip vfvm-failover "QEMU without the igb device ($LAB_QEMU_VERSION): install QEMU >= 8 (bookworm-backports)"
	exit 0
fi
if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-failover "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ]; then
	skip vfvm-failover "/dev/kvm or the L2 kernel"
	exit 0
fi
pf=$(lab_igb_pf) || { fail vfvm-failover "no igb PF"; exit 0; }
n=$(lab_netdev "$pf")
say ip link set "$n" up
lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
run vfctl vfs "$pf" 1
lab_wait "[ -e /sys/bus/pci/devices/$pf/virtfn0 ]" 10
vf=$(lab_vf "$pf" 0)
[ -n "$vf" ] || { fail vfvm-failover "no VF after vfctl vfs $pf 1"; exit 0; }
lab_wait "[ -e /sys/bus/pci/devices/$vf/iommu_group ]" 10
orig=$(lab_driver "$vf")
M=52:54:00:fa:11:01
lab_failover_net_up "$n"
w=/tmp/vfvm-failover
mkdir -p "$w"
S=$w/api.sock

{
	lab_l2_failover_funcs
	cat << 'EOF'
word() { read -r -t 300 w && [ "$w" = "$1" ]; }
ip link set lo up
i=0
while ! find_pair && [ "$i" -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
if ! find_pair; then
	echo "L2-FAILOVER none: $(ls /sys/class/net | tr '\n' ' ') standby=$sb master=$ma"
	for d in /sys/class/net/*; do echo "L2-NETDEV $(basename "$d") $(drv "$(basename "$d")") master=$(up "$(basename "$d")")"; done
	dmesg | grep -iE 'failover|igbvf|virtio|acpiphp' | tail -n 8 | sed 's/^/L2-DMESG /'
	grep -E 'virtio|net_failover|failover' /proc/modules | sed 's/^/L2-MOD /' 
	exit 1
fi
echo "L2-FAILOVER master=$ma standby=$sb primary=$pri" \
	"macs=$(cat /sys/class/net/$ma/address) $(cat /sys/class/net/$sb/address) $(cat /sys/class/net/$pri/address)"
ip link set "$ma" up
i=0
while [ "$(cat "/sys/class/net/$ma/carrier" 2> /dev/null)" != 1 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
# a lease from QEMU's user-mode network proves the path; the address is set
# by hand (the initramfs has no udhcpc script)
if udhcpc -i "$ma" -n -q -t 10 -T 2 -s /bin/true 2>&1 | grep -q lease; then echo "L2-DHCP ok"; else echo "L2-DHCP failed"; fi
ip addr add 10.0.2.15/24 dev "$ma"
gw=10.0.2.2
pings() { # N: replies received of N pings
	ping -c "$1" -i 0.2 -W 2 "$gw" 2>&1 | tee /tmp/ping.out | sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}
echo "L2-PING-VF $(pings 20)/20"
tail -n 2 /tmp/ping.out | sed 's/^/L2-PING-OUT /'
# pings every 0.1 s across the switch: how many are lost
ping -i 0.1 "$gw" > /tmp/sw.out 2>&1 &
pp=$!
echo "L2-WAIT unplug"
word unplugged || { echo "L2-NO-WORD unplugged"; exit 1; }
kill -INT "$pp"
wait "$pp"
echo "L2-SWITCH $(sed -n 's/\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/sent=\1 received=\2/p' /tmp/sw.out)"
[ -e "/sys/class/net/$pri" ] && echo "L2-PRIMARY-STILL-THERE" || echo "L2-PRIMARY-GONE"
echo "L2-PING-VIRTIO $(pings 20)/20"
echo "L2-WAIT replug"
word replugged || { echo "L2-NO-WORD replugged"; exit 1; }
i=0
while ! find_pair && [ "$i" -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
find_pair && echo "L2-PRIMARY-BACK $pri" || echo "L2-PRIMARY-NOT-BACK"
i=0
while [ "$(cat "/sys/class/net/$pri/carrier" 2> /dev/null)" != 1 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
echo "L2-PING-VF2 $(pings 20)/20"
echo "L2-WAIT end"
word end
EOF
} > "$w/l2.sh"
lab_l2_initrd "$w/l2.sh" "$w/initrd"
rxp() { cat /sys/class/net/fotap/statistics/rx_packets; }

# refused at start, naming the device, and nothing left changed
run timeout 120 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" --mem 256M \
	--net "id=n0,tap=fotap,mac=$M,failover=on" --device "$vf,managed,id=vf0,failover=n9"
if [ "$RC" = 1 ] && echo "$OUT" | grep -q -- "--device $vf,failover=n9: no --net with id=n9,failover=on" &&
	[ "$(lab_driver "$vf")" = "$orig" ]; then
	pass vfvm-failover-mismatched-ids-refused
else
	fail vfvm-failover-mismatched-ids-refused "exit $RC; $vf on '$(lab_driver "$vf")'"
fi
if lab_nvme_one_vf vfvm-failover-not-a-nic; then
	run timeout 120 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" --mem 256M \
		--net "id=n0,tap=fotap,mac=$M,failover=on" --device "$vf,managed,failover=n0"
	if [ "$RC" = 1 ] && echo "$OUT" | grep -q "a failover primary must be a NIC" &&
		echo "$OUT" | grep -q "$vf" && lab_wait "lab_nvme_live $vf" 20; then
		pass vfvm-failover-not-a-nic-refused
	else
		fail vfvm-failover-not-a-nic-refused "exit $RC; $vf on '$(lab_driver "$vf")'"
	fi
	run vfctl vfs "$pf" 0
fi
pf=$(lab_igb_pf)
vf=$(lab_vf "$pf" 0)

rm -f "$w/console.in"
mkfifo "$w/console.in"
echo "lab# vfvm run ... --net id=n0,tap=fotap,mac=$M,failover=on --device $vf,managed,id=vf0,failover=n0 --api-socket $S"
timeout 900 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 --api-socket "$S" \
	--net "id=n0,tap=fotap,mac=$M,failover=on" --device "$vf,managed,id=vf0,failover=n0" \
	< "$w/console.in" > "$w/l2.log" 2> "$w/vfvm.err" &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE

if l2_wait 'L2-FAILOVER master' && grep -Eq "L2-FAILOVER master=.* macs=$M $M $M" "$w/l2.log"; then
	pass vfvm-failover-pair
else
	fail vfvm-failover-pair "L2 has no failover master/standby/primary with one MAC"
	grep -E 'L2-' "$w/l2.log" | head -n 30
	tail -n 10 "$w/vfvm.err"
	vfvm ctl "$S" info
	kill "$vpid" 2> /dev/null
	wait "$vpid"
	run vfctl vfs "$pf" 0
	exit 0
fi
run vfvm ctl "$S" info
if echo "$OUT" | grep -Eq '^  n0 +virtio-net .*failover primary-plugged' &&
	echo "$OUT" | grep -Eq "^  vf0 +vfio .*host $vf"; then
	pass vfvm-failover-info
else
	fail vfvm-failover-info "info does not show n0 primary-plugged and vf0"
fi
r0=$(rxp)
l2_wait 'L2-WAIT unplug'
r1=$(rxp)
vfping=$(sed -n 's/.*L2-PING-VF \([0-9]*\)\/20.*/\1/p' "$w/l2.log")
echo "tap rx packets while the VF was primary: $r0 -> $r1; pings answered ${vfping:-?}/20"
if [ "${vfping:-0}" -ge 15 ] && [ $((r1 - r0)) -le 2 ]; then
	pass vfvm-failover-traffic-on-vf
else
	fail vfvm-failover-traffic-on-vf "pings ${vfping:-none}/20, tap rx rose by $((r1 - r0))"
fi
t0=$(uptime_ms)
run vfvm ctl "$S" failover-unplug n0 --timeout 120
t1=$(uptime_ms)
echo "failover-unplug took $((t1 - t0)) ms"
if [ "$RC" = 0 ] && echo "$OUT" | grep -q 'n0: primary unplugged'; then
	pass vfvm-failover-unplug
else
	fail vfvm-failover-unplug "exit $RC: $OUT"
fi
r2=$(rxp)
echo unplugged >&7
l2_wait 'L2-WAIT replug'
r3=$(rxp)
vping=$(sed -n 's/.*L2-PING-VIRTIO \([0-9]*\)\/20.*/\1/p' "$w/l2.log")
echo "tap rx packets on virtio: $r2 -> $r3; pings answered ${vping:-?}/20"
echo "pings every 0.1 s across failover-unplug: $(sed -n 's/.*L2-SWITCH //p' "$w/l2.log")"
if grep -q L2-PRIMARY-GONE "$w/l2.log" && [ "${vping:-0}" -ge 15 ] && [ $((r3 - r2)) -ge 15 ]; then
	pass vfvm-failover-traffic-on-virtio
else
	fail vfvm-failover-traffic-on-virtio "pings ${vping:-none}/20, tap rx rose by $((r3 - r2)); $(grep L2-PRIMARY "$w/l2.log")"
fi
run vfvm ctl "$S" failover-unplug n0
if [ "$RC" = 1 ] && echo "$OUT" | grep -q 'its primary is unplugged'; then
	pass vfvm-failover-unplug-twice
else
	fail vfvm-failover-unplug-twice "exit $RC: $OUT"
fi
run vfvm ctl "$S" failover-replug n0
if [ "$RC" = 0 ] && echo "$OUT" | grep -q 'n0: primary plugged back'; then
	pass vfvm-failover-replug
else
	fail vfvm-failover-replug "exit $RC: $OUT"
fi
echo replugged >&7
l2_wait 'L2-WAIT end'
r4=$(rxp)
v2=$(sed -n 's/.*L2-PING-VF2 \([0-9]*\)\/20.*/\1/p' "$w/l2.log")
r5=$(rxp)
echo "after replug: pings answered ${v2:-?}/20; $(grep L2-PRIMARY-BACK "$w/l2.log")"
if grep -q L2-PRIMARY-BACK "$w/l2.log" && [ "${v2:-0}" -ge 15 ]; then
	pass vfvm-failover-back-on-vf
else
	fail vfvm-failover-back-on-vf "pings ${v2:-none}/20; $(grep L2-PRIMARY "$w/l2.log" | tail -n 1)"
fi
: "$r4" "$r5"
run vfvm ctl "$S" failover-replug nope
if [ "$RC" = 1 ] && echo "$OUT" | grep -q "nope: not a failover virtio-net"; then
	pass vfvm-failover-unknown-net
else
	fail vfvm-failover-unknown-net "exit $RC: $OUT"
fi
echo end >&7
exec 7>&-
wait "$vpid"
st=$?
grep -E 'L2-|failover' "$w/l2.log" | head -n 30
tail -n 5 "$w/vfvm.err"
mac_now=$(ip link show "$n" | sed -n 's/.*vf 0 .*link\/ether \([0-9a-f:]*\).*/\1/p')
if [ "$st" = 0 ] && [ "$(lab_driver "$vf")" = "$orig" ] && [ "$mac_now" != "$M" ]; then
	pass vfvm-failover-given-back
else
	fail vfvm-failover-given-back "vfvm exit $st; $vf on '$(lab_driver "$vf")' (was '$orig'); VF MAC $mac_now"
fi
lab_failover_net_down
run vfctl vfs "$pf" 0
say ip link set "$n" down
rm -rf "$w"
exit 0
