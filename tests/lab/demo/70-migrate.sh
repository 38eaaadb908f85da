# shellcheck shell=sh
# lab-case-timeout: 600 (two vfvm with Linux in L2)
# make demo, live migration: a guest whose network is a failover pair (virtio
# standby + igb VF 1 as primary) moves to a second vfvm, which gives it igb
# VF 0 as its primary instead; the guest keeps running (same boot id, its
# counter goes on) and pings go through VF 1 before, virtio during the move
# and VF 0 after.  Both taps and the PF share a bridge in the lab.
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh
igb=$(lab_igb_pf)
va=$(lab_vf "$igb" 1)
vb=$(lab_vf "$igb" 0)
if [ -z "$igb" ] || [ -z "$va" ] || [ -z "$vb" ] || [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ]; then
	echo "FAIL demo-migrate: no igb VFs 0 and 1, /dev/kvm or L2 kernel"
	exit 1
fi
n=$(lab_netdev "$igb")
w=/tmp/demo-migrate
rm -rf "$w"
mkdir -p "$w"
SA=$w/a.sock
SB=$w/b.sock
M=52:54:00:fa:33:01
cat > "$w/l2.sh" << 'EOF'
word() { read -r -t 600 w && [ "$w" = "$1" ]; }
drv() { basename "$(readlink "/sys/class/net/$1/device/driver" 2> /dev/null)"; }
slaves() { for d in /sys/class/net/*/master; do [ -e "$d" ] && echo "$(basename "$(dirname "$d")")"; done; }
primary() { for d in $(slaves); do [ "$(drv "$d")" = igbvf ] && echo "$d"; done; }
wait_primary() {
	i=0
	while [ -z "$(primary)" ] && [ "$i" -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
	i=0
	while [ "$(cat "/sys/class/net/$(primary)/carrier" 2> /dev/null)" != 1 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
ip link set lo up
wait_primary
ma=$(basename "$(readlink "/sys/class/net/$(slaves | head -n 1)/master")")
ip link set "$ma" up
ip addr add 10.0.2.15/24 dev "$ma"
echo "guest: boot id $(cat /proc/sys/kernel/random/boot_id)"
echo "guest: primary $(primary), PCI $(basename "$(readlink "/sys/class/net/$(primary)/device")")"
echo "guest# ping -c 5 -i 0.2 10.0.2.2"
ping -c 5 -i 0.2 10.0.2.2 | tail -n 2
( i=0; while :; do i=$((i + 1)); echo "guest: tick $i"; sleep 1; done ) &
ping -i 0.2 10.0.2.2 > /tmp/move.out 2>&1 &
pp=$!
echo "guest: ready"
word moved || exit 1
kill -INT "$pp"
wait "$pp" 2> /dev/null
echo "guest: pings every 0.2 s across the move: $(sed -n 's/\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/\2 of \1 answered/p' /tmp/move.out)"
wait_primary
echo "guest: boot id $(cat /proc/sys/kernel/random/boot_id)"
echo "guest: primary $(primary), PCI $(basename "$(readlink "/sys/class/net/$(primary)/device")")"
echo "guest# ping -c 5 -i 0.2 10.0.2.2"
ping -c 5 -i 0.2 10.0.2.2 | tail -n 2
echo "guest: done"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"

echo "=== Live migration: the VM moves to a second vfvm, its VF primary swapped ==="
lab_failover_net_up "$n"
say ip tuntap add dev fotap2 mode tap
say ip link set fotap2 master fobr
say ip link set fotap2 up
# VF 0 was set up on VLAN 100 above; as a primary on this network it needs none
say vfctl set "$igb" 0 vlan 0
mkfifo "$w/a.in" "$w/b.in"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 256M \\"
echo "       --net id=n0,tap=fotap,mac=$M,failover=on --device $va,managed,id=vfa,failover=n0 \\"
echo "       --api-socket $SA &"
timeout 600 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1 quiet" --mem 256M --cpus 1 --api-socket "$SA" \
	--net "id=n0,tap=fotap,mac=$M,failover=on" --device "$va,managed,id=vfa,failover=n0" \
	< "$w/a.in" > "$w/a.log" 2> "$w/a.err" &
apid=$!
exec 7> "$w/a.in"
trap '' PIPE
lab_wait "grep -q 'guest: ready' $w/a.log || ! kill -0 $apid 2> /dev/null" 300
echo "# the guest on the source:"
tr -d '\r' < "$w/a.log" | grep -E '^guest|packets|round-trip'
echo "lab# vfvm run --incoming tcp:127.0.0.1:4446 --net id=n0,tap=fotap2 \\"
echo "       --device $vb,managed,id=vfb,failover=n0 --api-socket $SB &"
timeout 600 vfvm run --incoming tcp:127.0.0.1:4446 --net id=n0,tap=fotap2 \
	--device "$vb,managed,id=vfb,failover=n0" --api-socket "$SB" \
	< "$w/b.in" > "$w/b.log" 2> "$w/b.err" &
bpid=$!
exec 8> "$w/b.in"
lab_wait "grep -q 'waiting for a migration' $w/b.err" 30
say vfvm ctl "$SA" migrate tcp:127.0.0.1:4446
wait "$apid"
ast=$?
echo "(the source vfvm exited $ast; $va is back on $(lab_driver "$va"))"
lab_wait "vfvm ctl $SB info | grep -q 'primary vfb .* plugged'" 120
say vfvm ctl "$SB" info
echo moved >&8
lab_wait "grep -q 'guest: done' $w/b.log || ! kill -0 $bpid 2> /dev/null" 180
echo "# the guest on the destination (its console goes on there):"
tr -d '\r' < "$w/b.log" | grep -E '^guest|packets|round-trip' | grep -v 'guest: tick' | head -n 20
echo "(guest ticks seen on the source: up to $(tr -d '\r' < "$w/a.log" | sed -n 's/^guest: tick //p' | tail -n 1); the first on the destination: $(tr -d '\r' < "$w/b.log" | sed -n 's/^guest: tick //p' | head -n 1))"
exec 7>&- 8>&-
wait "$bpid"
echo "(the guest powered off; the destination vfvm exited $?; $vb is back on $(lab_driver "$vb"))"
lab_failover_net_down
say ip link del fotap2
ok=1
[ "$ast" = 0 ] || ok=0
[ "$(lab_driver "$va")" = igbvf ] && [ "$(lab_driver "$vb")" = igbvf ] || ok=0
b1=$(tr -d '\r' < "$w/a.log" | sed -n 's/^guest: boot id //p' | head -n 1)
b2=$(tr -d '\r' < "$w/b.log" | sed -n 's/^guest: boot id //p' | head -n 1)
[ -n "$b1" ] && [ "$b1" = "$b2" ] || ok=0
rm -rf "$w"
if [ "$ok" = 1 ]; then
	echo "PASS demo-migrate"
else
	echo "FAIL demo-migrate: source exit $ast, boot ids '$b1' '$b2', $va on $(lab_driver "$va"), $vb on $(lab_driver "$vb")"
fi
