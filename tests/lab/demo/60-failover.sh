# shellcheck shell=sh
# make demo, driving a running VM: a guest with a virtio NIC (failover=on)
# gets igb VF 1 hot-added as its failover primary; traffic moves to virtio
# and back with failover-unplug/replug; remove-device gives the VF back to
# the host's igbvf driver.  The tap and the PF share a bridge in the lab, so
# both paths reach QEMU's user-mode network (gateway 10.0.2.2).
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh
igb=$(lab_igb_pf)
vf=$(lab_vf "$igb" 1)
if [ -z "$igb" ] || [ -z "$vf" ] || [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ]; then
	echo "FAIL demo-failover: no igb VF 1, /dev/kvm or L2 kernel"
	exit 1
fi
n=$(lab_netdev "$igb")
w=/tmp/demo-failover
mkdir -p "$w"
S=$w/api.sock
M=52:54:00:fa:11:01
cat > "$w/l2.sh" << 'EOF'
word() { read -r -t 300 w && [ "$w" = "$1" ]; }
drv() { basename "$(readlink "/sys/class/net/$1/device/driver" 2> /dev/null)"; }
slaves() { for d in /sys/class/net/*/master; do [ -e "$d" ] && echo "$(basename "$(dirname "$d")")"; done; }
ip link set lo up
word primary-added || exit 1
i=0
while [ "$(slaves | wc -l)" -lt 2 ] && [ "$i" -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
ma=$(basename "$(readlink "/sys/class/net/$(slaves | head -n 1)/master")")
echo "guest# ip -o link   (failover master $ma, its standby and its primary: one MAC)"
for d in $ma $(slaves); do
	echo "  $d  driver=$(drv "$d")  mac=$(cat "/sys/class/net/$d/address")  master=$(basename "$(readlink "/sys/class/net/$d/master" 2> /dev/null)")"
done
ip link set "$ma" up
i=0
while [ "$(cat "/sys/class/net/$ma/carrier")" != 1 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
ip addr add 10.0.2.15/24 dev "$ma"
echo "guest# ping -c 10 -i 0.2 10.0.2.2"
ping -c 10 -i 0.2 10.0.2.2 | tail -n 2
echo "guest: pinged through the VF"
word unplugged || exit 1
echo "guest# ping -c 10 -i 0.2 10.0.2.2   (primary gone: $(slaves | tr '\n' ' '))"
ping -c 10 -i 0.2 10.0.2.2 | tail -n 2
echo "guest: pinged through virtio"
word replugged || exit 1
i=0
while [ "$(slaves | wc -l)" -lt 2 ] && [ "$i" -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
i=0
while [ "$(cat "/sys/class/net/$ma/carrier")" != 1 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
echo "guest# ping -c 10 -i 0.2 10.0.2.2   (primary back: $(slaves | tr '\n' ' '))"
ping -c 10 -i 0.2 10.0.2.2 | tail -n 2
echo "guest: pinged through the VF again"
word removed || exit 1
echo "guest: slaves now: $(slaves | tr '\n' ' ')"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"
rx() { cat /sys/class/net/fotap/statistics/rx_packets; }

echo "=== Driving a running VM: a VF hot-added as the failover primary of a virtio NIC ==="
lab_failover_net_up "$n"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 256M --cpus 1 \\"
echo "       --net id=n0,tap=fotap,mac=$M,failover=on --api-socket $S &"
rm -f "$w/console.in"
mkfifo "$w/console.in"
timeout 600 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1 quiet" --mem 256M --cpus 1 \
	--net "id=n0,tap=fotap,mac=$M,failover=on" --api-socket "$S" \
	< "$w/console.in" > "$w/vm.log" 2>&1 &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE
vm_says() { lab_wait "grep -q '$1' '$w/vm.log' || ! vm_alive" 300; }
lab_wait "[ -S $S ] || ! vm_alive" 60
timeout 300 vfvm ctl "$S" events > "$w/events" 2>&1 &
epid=$!
lab_wait "vfvm ctl $S info --json | grep -q '\"failover\":\"standby-acked\"' || ! vm_alive" 300
say vfvm ctl "$S" info
say vfvm ctl "$S" add-device "$vf,managed,id=vf0,failover=n0"
echo primary-added >&7
vm_says 'guest: pinged through the VF'
say vfvm ctl "$S" info
echo "(tap fotap received $(rx) packets from the guest so far)"
say vfvm ctl "$S" failover-unplug n0
echo unplugged >&7
vm_says 'guest: pinged through virtio'
echo "(tap fotap received $(rx) packets from the guest so far: the pings went through virtio)"
say vfvm ctl "$S" failover-replug n0
echo replugged >&7
vm_says 'guest: pinged through the VF again'
echo "(tap fotap received $(rx) packets from the guest so far)"
say vfvm ctl "$S" remove-device vf0
say vfctl list "$igb"
echo removed >&7
exec 7>&-
wait "$vpid"
st=$?
echo "# the guest's console:"
grep -vE '^\[ *[0-9]+\.[0-9]+\]|^LAB-L2: (init|done)|^$' "$w/vm.log"
echo "(vfvm exit status $st)"
kill "$epid" 2> /dev/null
echo "# vfvm ctl $S events, as it printed them:"
cat "$w/events"
lab_failover_net_down
rm -rf "$w"
if [ "$st" = 0 ] && [ "$(lab_driver "$vf")" = igbvf ]; then
	echo "PASS demo-failover"
else
	echo "FAIL demo-failover: vfvm exit $st, $vf on '$(lab_driver "$vf")'"
fi
