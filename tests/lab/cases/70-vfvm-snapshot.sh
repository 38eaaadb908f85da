# shellcheck shell=sh
# lab-case-timeout: 600 (boots Linux in L2 more than once)
# Snapshot and restore of a running Linux L2 (vfvm ctl PATH snapshot DIR,
# vfvm run --restore DIR):
#  - L2 runs a counter on its console, has written data to its virtio-blk
#    disk and pings L1 over virtio-net;
#  - a passed-through NVMe VF (no failover pair) blocks the snapshot, named,
#    and the VM runs on; removed, the snapshot goes through;
#  - the snapshot pauses L2 and writes DIR/state and a sparse DIR/memory;
#    the first vfvm is then stopped;
#  - vfvm run --restore DIR, with the tap changed (--net id=n0,tap=...):
#    the counter goes on from where it stopped, the boot id is the same,
#    the data written before is read back, the network works;
#  - truncated or corrupted state, a short memory file, an override naming
#    no saved device: refused with exit 1 naming what is wrong, no VM runs.
# Waits are on the console lines and the processes, bounded.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-snapshot "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	skip vfvm-snapshot "/dev/kvm or the L2 kernel/initrd"
	exit 0
fi
w=/tmp/vfvm-snapshot
# the counter's values on a console log (the guest ends lines with CR LF)
ticks() { tr -d '\r' < "$1" | sed -n 's/.*L2-TICK \([0-9]*\)$/\1/p'; }
rm -rf "$w"
mkdir -p "$w"
S=$w/api.sock

cat > "$w/l2.sh" << 'EOF'
word() { read -r -t 600 w rest && [ "$w" = "$1" ]; }
ip link set lo up
n=$(ls /sys/class/net | grep -v lo | head -n 1)
ip addr add 10.9.0.2/24 dev "$n"
ip link set "$n" up
echo "L2-BOOT $(cat /proc/sys/kernel/random/boot_id)"
head -c 1048576 /dev/urandom > /tmp/pat
dd if=/tmp/pat of=/dev/vda bs=4096 seek=256 count=256 oflag=direct 2> /dev/null
echo "L2-WROTE $(sha256sum < /tmp/pat | cut -c1-64)"
p=$(ping -c 3 -i 0.2 -W 2 10.9.0.1 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
echo "L2-PING1 $p/3"
( i=0; while :; do i=$((i + 1)); echo "L2-TICK $i"; sleep 0.5; done ) &
ticker=$!
word restored || { echo "L2-NO-WORD restored"; exit 1; }
echo "L2-BOOT2 $(cat /proc/sys/kernel/random/boot_id)"
dd if=/dev/vda of=/tmp/back bs=4096 skip=256 count=256 iflag=direct 2> /dev/null
if cmp -s /tmp/pat /tmp/back; then echo "L2-DISK ok"; else echo "L2-DISK mismatch"; fi
p=$(ping -c 3 -i 0.2 -W 2 10.9.0.1 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
echo "L2-PING2 $p/3"
kill "$ticker" 2> /dev/null
echo "L2-ALIVE"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"
truncate -s 64M "$w/disk.img"
say ip tuntap add dev sn0 mode tap
say ip addr add 10.9.0.1/24 dev sn0
say ip link set sn0 up
tapmac=$(cat /sys/class/net/sn0/address)

rm -f "$w/console.in"
mkfifo "$w/console.in"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 256M --disk $w/disk.img,id=d0 --net id=n0,tap=sn0 --api-socket $S"
timeout 900 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 \
	--disk "$w/disk.img,id=d0" --net id=n0,tap=sn0 --api-socket "$S" \
	< "$w/console.in" > "$w/l2.log" 2> "$w/vfvm.err" &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE

if ! l2_wait 'L2-TICK 4'; then
	fail vfvm-snapshot-boot "L2 never got going (vfvm: $(tail -n 3 "$w/vfvm.err"))"
	tail -n 20 "$w/l2.log"
	kill "$vpid" 2> /dev/null
	say ip link del sn0
	exit 0
fi
boot=$(sed -n 's/^L2-BOOT \([0-9a-f-]*\).*/\1/p' "$w/l2.log")
wrote=$(sed -n 's/^L2-WROTE \([0-9a-f]*\).*/\1/p' "$w/l2.log")
if grep -q 'L2-PING1 3/3' "$w/l2.log"; then
	pass vfvm-snapshot-net-before
else
	fail vfvm-snapshot-net-before "$(grep L2-PING1 "$w/l2.log")"
fi

# --- a passed-through device without a failover pair blocks the snapshot
if lab_nvme_one_vf vfvm-snapshot-vf-refused; then
	run vfvm ctl "$S" add-device "$vf,managed,id=vf0"
	run vfvm ctl "$S" snapshot "$w/never"
	if [ "$RC" = 1 ] && echo "$OUT" | grep -q "vf0 (vfio $vf) is passed through" &&
		echo "$OUT" | grep -q "remove-device vf0" && [ ! -e "$w/never/state" ]; then
		pass vfvm-snapshot-vf-refused
	else
		fail vfvm-snapshot-vf-refused "snapshot with vf0 in the VM: exit $RC, want 1 naming vf0"
	fi
	run vfvm ctl "$S" info
	if echo "$OUT" | grep -q '^state: running'; then
		pass vfvm-snapshot-refused-runs-on
	else
		fail vfvm-snapshot-refused-runs-on "after the refused snapshot: $(echo "$OUT" | head -n 1)"
	fi
	run vfvm ctl "$S" remove-device vf0 --timeout 120
	run vfctl vfs "$pf" 0
fi

# --- the snapshot
run vfvm ctl "$S" snapshot "$w/snap"
if [ "$RC" = 0 ] && echo "$OUT" | grep -q "saved to $w/snap .*VM paused" &&
	[ -s "$w/snap/state" ] && [ -f "$w/snap/memory" ]; then
	pass vfvm-snapshot-saved
else
	fail vfvm-snapshot-saved "exit $RC, '$OUT'"
fi
msize=$(stat -c %s "$w/snap/memory")
mused=$(($(stat -c %b "$w/snap/memory") * 512))
echo "memory file: $msize bytes long, $mused bytes on disk"
if [ "$msize" = $((256 << 20)) ] && [ "$mused" -lt "$msize" ]; then
	pass vfvm-snapshot-memory-sparse
else
	fail vfvm-snapshot-memory-sparse "memory file $msize bytes, $mused on disk"
fi
run vfvm ctl "$S" info
echo "$OUT" | grep -q '^state: paused' || fail vfvm-snapshot-saved "VM not paused after snapshot"
run vfvm ctl "$S" quit
exec 7>&-
wait "$vpid"
last=$(ticks "$w/l2.log" | tail -n 1)
echo "the last tick before the snapshot: $last"
if [ "$(dd if="$w/disk.img" bs=4096 skip=256 count=256 2> /dev/null | sha256sum | cut -c1-64)" = "$wrote" ]; then
	pass vfvm-snapshot-disk-on-host
else
	fail vfvm-snapshot-disk-on-host "the data L2 wrote is not in $w/disk.img"
fi

# --- bad snapshots: refused, nothing runs
mkdir -p "$w/bad"
ln -f "$w/snap/memory" "$w/bad/memory"
head -c -100 "$w/snap/state" > "$w/bad/state"
run vfvm run --restore "$w/bad"
if [ "$RC" = 1 ] && echo "$OUT" | grep -q "$w/bad/state: .*truncated\|$w/bad/state: .*past the end"; then
	pass vfvm-restore-truncated-refused
else
	fail vfvm-restore-truncated-refused "exit $RC, want 1 naming $w/bad/state"
fi
cp "$w/snap/state" "$w/bad/state"
sz=$(stat -c %s "$w/bad/state")
printf '\377' | dd of="$w/bad/state" bs=1 seek=$((sz / 2)) conv=notrunc 2> /dev/null
run vfvm run --restore "$w/bad"
if [ "$RC" = 1 ] && echo "$OUT" | grep -q "$w/bad/state: section '.*': checksum mismatch"; then
	pass vfvm-restore-corrupted-refused
else
	fail vfvm-restore-corrupted-refused "exit $RC, want 1 naming the section"
fi
cp "$w/snap/state" "$w/bad/state"
rm -f "$w/bad/memory"
truncate -s 1M "$w/bad/memory"
run vfvm run --restore "$w/bad"
if [ "$RC" = 1 ] && echo "$OUT" | grep -q "$w/bad/memory"; then
	pass vfvm-restore-short-memory-refused
else
	fail vfvm-restore-short-memory-refused "exit $RC, want 1 naming $w/bad/memory"
fi
run vfvm run --restore "$w/snap" --net id=nope,tap=sn0
if [ "$RC" = 1 ] && echo "$OUT" | grep -q "'id=nope,tap=sn0' names no device of the snapshot"; then
	pass vfvm-restore-unknown-id-refused
else
	fail vfvm-restore-unknown-id-refused "exit $RC, want 1 naming id=nope"
fi
if ! pgrep -x vfvm > /dev/null; then
	pass vfvm-restore-refusals-leave-nothing
else
	fail vfvm-restore-refusals-leave-nothing "a vfvm is running: $(pgrep -a -x vfvm)"
fi

# --- restore on another tap (same MAC for L1's side, so L2's ARP entry holds)
say ip link del sn0
say ip tuntap add dev sn1 mode tap
say ip link set sn1 address "$tapmac"
say ip addr add 10.9.0.1/24 dev sn1
say ip link set sn1 up
rm -f "$w/console.in"
mkfifo "$w/console.in"
mv "$w/l2.log" "$w/l2-before.log"
echo "lab# vfvm run --restore $w/snap --net id=n0,tap=sn1 --api-socket $S"
t0=$(uptime_ms)
timeout 600 vfvm run --restore "$w/snap" --net id=n0,tap=sn1 --api-socket "$S" \
	< "$w/console.in" > "$w/l2.log" 2> "$w/vfvm.err" &
vpid=$!
exec 7> "$w/console.in"
if l2_wait 'L2-TICK'; then
	t1=$(uptime_ms)
	echo "restore to the first console line: $((t1 - t0)) ms"
	first=$(ticks "$w/l2.log" | head -n 1)
	echo "first tick after the restore: $first"
	if [ -n "$first" ] && [ -n "$last" ] && [ "$first" -gt "$last" ] && [ "$first" -le $((last + 2)) ]; then
		pass vfvm-restore-counter-goes-on
	else
		fail vfvm-restore-counter-goes-on "last tick before $last, first after '$first'"
	fi
else
	fail vfvm-restore-counter-goes-on "no tick after restore (vfvm: $(tail -n 3 "$w/vfvm.err"))"
fi
echo restored >&7
if l2_wait L2-ALIVE; then
	boot2=$(sed -n 's/^L2-BOOT2 \([0-9a-f-]*\).*/\1/p' "$w/l2.log")
	if [ -n "$boot" ] && [ "$boot" = "$boot2" ]; then
		pass vfvm-restore-same-boot
	else
		fail vfvm-restore-same-boot "boot id '$boot' before, '$boot2' after"
	fi
	if grep -q 'L2-DISK ok' "$w/l2.log"; then
		pass vfvm-restore-disk
	else
		fail vfvm-restore-disk "$(grep L2-DISK "$w/l2.log")"
	fi
	if grep -q 'L2-PING2 3/3' "$w/l2.log"; then
		pass vfvm-restore-net
	else
		fail vfvm-restore-net "$(grep L2-PING2 "$w/l2.log")"
	fi
else
	fail vfvm-restore-same-boot "L2 did not answer after restore: $(grep L2- "$w/l2.log" | tail -n 3)"
fi
exec 7>&-
wait "$vpid"
st=$?
grep -E 'L2-(BOOT|WROTE|PING|DISK|ALIVE)' "$w/l2-before.log" "$w/l2.log"
tail -n 5 "$w/vfvm.err"
if [ "$st" = 0 ]; then
	pass vfvm-restore-guest-ran-on
else
	fail vfvm-restore-guest-ran-on "restored vfvm exit $st"
fi
say ip link del sn1
rm -rf "$w"
exit 0
