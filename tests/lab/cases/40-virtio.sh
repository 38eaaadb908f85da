# shellcheck shell=sh
# virtio-blk and virtio-net under a Linux L2 booted by vfvm inside L1:
#  - L2 writes 4 MiB of random data to /dev/vda, drops its caches, reads it
#    back and prints both checksums; after vfvm has exited, L1 checks the
#    image file holds the same data;
#  - L2 pings 10.0.2.1 (L1's end of the tap) and sends the same 4 MiB over
#    TCP to a listener in L1, which compares checksums; then L1 sends 4 MiB
#    of its own to a listener in L2 (the receive path: tap offloads, merged
#    receive buffers), and L2 prints the checksum of what it got.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	fail vfvm-virtio "vfvm is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfvm-virtio "/dev/kvm or the L2 kernel/initrd missing"
	exit 0
fi

w=/tmp/virtio
mkdir -p "$w/l2"
disk=$w/disk.img
dd if=/dev/zero of="$disk" bs=1M count=16 2> /dev/null

# What L2 runs (appended to its initramfs as /l2.sh).
cat > "$w/l2/l2.sh" << 'EOF'
dd if=/dev/urandom of=/tmp/data bs=1M count=4 2> /dev/null
want=$(md5sum < /tmp/data | cut -d' ' -f1)
if [ -b /dev/vda ]; then
	dd if=/tmp/data of=/dev/vda bs=1M count=4 conv=fsync 2> /dev/null
	sync
	echo 3 > /proc/sys/vm/drop_caches
	got=$(dd if=/dev/vda bs=1M count=4 iflag=direct 2> /dev/null | md5sum | cut -d' ' -f1)
	echo "L2-BLK written=$want readback=$got"
else
	echo "L2-BLK no /dev/vda"
fi
ip link set lo up
dev=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
echo "L2-NET device ${dev:-none}"
ip link set "$dev" up
ip addr add 10.0.2.15/24 dev "$dev"
i=0
until ping -c 1 -W 1 10.0.2.1 > /dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -ge 30 ] && break
	sleep 1
done
if ping -c 3 -W 2 10.0.2.1; then
	echo "L2-NET ping ok"
fi
echo "L2-TCP sending=$want"
nc 10.0.2.1 5001 < /tmp/data
echo "L2-TCP rc=$?"
mkfifo /tmp/hold
timeout 120 nc -l -p 5002 < /tmp/hold > /tmp/in &
exec 9> /tmp/hold
wait $!
exec 9>&-
echo "L2-TCP-RX received=$(md5sum < /tmp/in | cut -d' ' -f1) bytes=$(wc -c < /tmp/in)"
EOF
(cd "$w/l2" && echo l2.sh | cpio -o -H newc 2> /dev/null) | gzip > "$w/l2.cpio.gz"
cat /lab/l2/initrd "$w/l2.cpio.gz" > "$w/initrd"

# TCP listener in L1: stdin held open by a fifo (busybox nc stops at stdin EOF).
mkfifo "$w/hold"
nc -l -p 5001 < "$w/hold" > "$w/received" &
ncpid=$!
exec 9> "$w/hold"

# vfvm creates the tap (TUNSETIFF); give L1's end an address once it exists,
# then keep trying to send L2 our data until its listener is up.
dd if=/dev/urandom of="$w/tx" bs=1M count=4 2> /dev/null
(
	i=0
	while [ ! -e /sys/class/net/vt0 ] && [ "$i" -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	ip addr add 10.0.2.1/24 dev vt0 && ip link set vt0 up
	i=0
	until nc 10.0.2.15 5002 < "$w/tx" 2> /dev/null; do
		i=$((i + 1))
		[ "$i" -ge 240 ] && break
		sleep 1
	done
) &
tappid=$!

say vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" --cmdline "console=ttyS0 panic=-1" \
	--mem 512M --cpus 2 --disk "$disk" --net tap=vt0,mac=52:54:00:12:34:56 \
	> "$w/l2.log" 2>&1
st=$?
exec 9>&-
kill "$tappid" "$ncpid" 2> /dev/null
wait 2> /dev/null
sed 's/^/l2: /' "$w/l2.log" | grep -E 'LAB-L2|L2-|vfvm:|virtio|vd[a-z]|eth|packets' | head -n 40

if [ "$st" -ne 0 ] || ! grep -q 'LAB-L2: done' "$w/l2.log"; then
	fail vfvm-virtio-boot "vfvm exited $st without L2 finishing (see l2: lines)"
else
	pass vfvm-virtio-boot
fi

blk=$(grep -o 'L2-BLK written=[0-9a-f]* readback=[0-9a-f]*' "$w/l2.log" | head -n 1)
want=$(echo "$blk" | sed -n 's/.*written=\([0-9a-f]*\).*/\1/p')
got=$(echo "$blk" | sed -n 's/.*readback=\([0-9a-f]*\).*/\1/p')
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	pass vfvm-virtio-blk-readback
else
	fail vfvm-virtio-blk-readback "L2 wrote ${want:-nothing} and read back ${got:-nothing}"
fi
# After vfvm exited: the data is in the image file.
file=$(dd if="$disk" bs=1M count=4 2> /dev/null | md5sum | cut -d' ' -f1)
if [ -n "$want" ] && [ "$file" = "$want" ]; then
	pass vfvm-virtio-blk-persisted
else
	fail vfvm-virtio-blk-persisted "image holds $file, L2 wrote ${want:-nothing}"
fi

if grep -q 'L2-NET ping ok' "$w/l2.log"; then
	pass vfvm-virtio-net-ping
else
	fail vfvm-virtio-net-ping "L2 could not ping 10.0.2.1 over virtio-net"
fi
sent=$(sed -n 's/.*L2-TCP sending=\([0-9a-f]*\).*/\1/p' "$w/l2.log" | head -n 1)
recv=$(md5sum < "$w/received" | cut -d' ' -f1)
size=$(wc -c < "$w/received")
if [ -n "$sent" ] && [ "$sent" = "$recv" ] && [ "$size" -eq 4194304 ]; then
	pass vfvm-virtio-net-tcp
else
	fail vfvm-virtio-net-tcp "L1 received $size bytes ($recv), L2 sent 4194304 (${sent:-?})"
fi
tx=$(md5sum < "$w/tx" | cut -d' ' -f1)
rx=$(sed -n 's/.*L2-TCP-RX received=\([0-9a-f]*\) bytes=\([0-9]*\).*/\1 \2/p' "$w/l2.log" | head -n 1)
if [ "$rx" = "$tx 4194304" ]; then
	pass vfvm-virtio-net-tcp-rx
else
	fail vfvm-virtio-net-tcp-rx "L2 received '${rx:-nothing}', L1 sent $tx 4194304"
fi
rm -rf "$w"
exit 0
