# shellcheck shell=sh
# lab-case-timeout: 900 (a Linux L2 and five destinations)
# Live migration of a running Linux L2 between two vfvm processes in L1
# (vfvm ctl PATH migrate URI, vfvm run --incoming URI):
#  - L2 counts on its console (with its own uptime, for the gap the guest
#    sees), streams numbered lines over TCP to L1, dirties memory all the
#    time and has written data to its virtio-blk disk;
#  - a passed-through NVMe VF without a failover pair blocks the
#    migration, named, and the VM runs on;
#  - a destination that does not know the device the source has
#    (--net id=nope) refuses it (exit 1, named): the source runs on;
#  - a cancel mid-way and a killed destination leave the source running;
#  - a garbage stream is refused by the destination, named;
#  - the migration over loopback TCP: the source exits 0, the destination
#    runs on, the counter goes on without restarting;
#  - then a post-copy migration of it to a third vfvm (--postcopy
#    --downtime 1: L2's 16 MiB of dirtying never fit 1 ms, so it switches):
#    the second exits 0, the third runs on with the same boot id, the
#    counter goes on, the TCP stream has every line in order across both
#    hand-overs, the data written before is there and data written after
#    reads back.
# Taps of both vfvm are on one bridge (L1 at 10.9.2.1), so L2 keeps its
# address.  Waits are on console lines, events and processes, bounded.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-migrate "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	skip vfvm-migrate "/dev/kvm or the L2 kernel/initrd"
	exit 0
fi
w=/tmp/vfvm-migrate
SA=$w/a.sock
SB=$w/b.sock
PORT=4444
rm -rf "$w"
mkdir -p "$w"
# "L2-TICK N MS" lines of a console log (CR LF line ends)
ticks() { tr -d '\r' < "$1" | sed -n 's/.*L2-TICK \([0-9]*\) [0-9]*$/\1/p'; }
alive() { kill -0 "$1" 2> /dev/null; }

cat > "$w/l2.sh" << 'EOF'
word() { read -r -t 900 w rest && [ "$w" = "$1" ]; }
ms() { awk '{printf "%d", $1 * 1000}' /proc/uptime; }
ip link set lo up
n=$(ls /sys/class/net | grep -v lo | head -n 1)
ip addr add 10.9.2.2/24 dev "$n"
ip link set "$n" up
echo "L2-BOOT $(cat /proc/sys/kernel/random/boot_id)"
head -c 1048576 /dev/urandom > /tmp/pat
dd if=/tmp/pat of=/dev/vda bs=4096 seek=256 count=256 oflag=direct 2> /dev/null
echo "L2-WROTE $(sha256sum < /tmp/pat | cut -c1-64)"
i=0
until ping -c 1 -W 1 10.9.2.1 > /dev/null 2>&1 || [ "$i" -ge 20 ]; do i=$((i + 1)); done
( i=0; while :; do i=$((i + 1)); echo "L2-TICK $i $(ms)"; sleep 0.2; done ) &
ticker=$!
( i=0; while :; do i=$((i + 1)); echo "S $i"; sleep 0.1; done ) | nc 10.9.2.1 5010 &
# 16 MiB of tmpfs rewritten over and over (L2 has no /dev/shm): pages dirty all the time
( while :; do dd if=/dev/zero of=/tmp/dirt bs=1M count=16 2> /dev/null; done ) &
dirtier=$!
word migrated || { echo "L2-NO-WORD migrated"; exit 1; }
echo "L2-BOOT2 $(cat /proc/sys/kernel/random/boot_id)"
kill "$dirtier" 2> /dev/null
dd if=/dev/vda of=/tmp/back bs=4096 skip=256 count=256 iflag=direct 2> /dev/null
if cmp -s /tmp/pat /tmp/back; then echo "L2-DISK-BEFORE ok"; else echo "L2-DISK-BEFORE mismatch"; fi
head -c 1048576 /dev/urandom > /tmp/pat2
dd if=/tmp/pat2 of=/dev/vda bs=4096 seek=1024 count=256 oflag=direct 2> /dev/null
dd if=/dev/vda of=/tmp/back2 bs=4096 skip=1024 count=256 iflag=direct 2> /dev/null
if cmp -s /tmp/pat2 /tmp/back2; then echo "L2-DISK-AFTER ok"; else echo "L2-DISK-AFTER mismatch"; fi
p=$(ping -c 3 -i 0.2 -W 2 10.9.2.1 2>&1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
echo "L2-PING $p/3"
kill "$ticker" 2> /dev/null
echo "L2-ALIVE"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"
truncate -s 64M "$w/disk.img"
say ip link add mgbr type bridge
say ip addr add 10.9.2.1/24 dev mgbr
say ip link set mgbr up
for t in mga mgb mgc; do
	say ip tuntap add dev "$t" mode tap
	say ip link set "$t" master mgbr
	say ip link set "$t" up
done
cleanup() {
	kill "$apid" "$bpid" "$cpid" "$ncpid" 2> /dev/null
	say ip link del mgbr
	say ip link del mga
	say ip link del mgb
	say ip link del mgc
}
# the TCP stream's receiving end in L1; its stdin never ends (a FIFO held
# open), or nc would close its side and L2's nc would stop
mkfifo "$w/hold"
exec 6<> "$w/hold"
timeout 800 nc -l -p 5010 < "$w/hold" > "$w/stream" 2> /dev/null &
ncpid=$!

# --- the source
mkfifo "$w/a.in"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 256M --disk $w/disk.img,id=d0 --net id=n0,tap=mga,mac=52:54:00:9a:00:01 --api-socket $SA"
timeout 850 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1" --mem 256M --cpus 1 \
	--disk "$w/disk.img,id=d0" --net id=n0,tap=mga,mac=52:54:00:9a:00:01 --api-socket "$SA" \
	< "$w/a.in" > "$w/a.log" 2> "$w/a.err" &
apid=$!
exec 7> "$w/a.in"
trap '' PIPE
if ! lab_wait "grep -q 'L2-TICK 10 ' $w/a.log || ! alive $apid" 300 || ! grep -q 'L2-TICK 10 ' "$w/a.log"; then
	fail vfvm-migrate-boot "L2 never got going (vfvm: $(tail -n 3 "$w/a.err"))"
	tail -n 20 "$w/a.log"
	cleanup
	exit 0
fi
boot=$(tr -d '\r' < "$w/a.log" | sed -n 's/^L2-BOOT \([0-9a-f-]*\).*/\1/p')
wrote=$(tr -d '\r' < "$w/a.log" | sed -n 's/^L2-WROTE \([0-9a-f]*\).*/\1/p')
still_runs() { # NAME: the source runs on, its counter moving
	before=$(ticks "$w/a.log" | tail -n 1)
	lab_wait "[ \"\$(ticks $w/a.log | tail -n 1)\" -gt ${before:-0} ]" 30
	now=$(ticks "$w/a.log" | tail -n 1)
	run vfvm ctl "$SA" info
	if alive "$apid" && [ "${now:-0}" -gt "${before:-0}" ] && echo "$OUT" | grep -q '^state: running'; then
		pass "$1"
	else
		fail "$1" "the source after it: alive=$(alive "$apid" && echo yes || echo no), ticks ${before:-?} -> ${now:-?}"
	fi
}
# dest NAME ARGS...: a destination in the background, waiting on tcp port $PORT
dest() {
	rm -f "$w/b.in"
	mkfifo "$w/b.in"
	echo "lab# vfvm run --incoming tcp:127.0.0.1:$PORT $*"
	timeout 850 vfvm run --incoming "tcp:127.0.0.1:$PORT" "$@" \
		< "$w/b.in" > "$w/b.log" 2> "$w/b.err" &
	bpid=$!
	exec 8> "$w/b.in"
	lab_wait "grep -q 'waiting for a migration' $w/b.err || ! alive $bpid" 30
}

# --- a passed-through device without a failover pair blocks the migration
if lab_nvme_one_vf vfvm-migrate-vf-refused; then
	run vfvm ctl "$SA" add-device "$vf,managed,id=vf0"
	run vfvm ctl "$SA" migrate "tcp:127.0.0.1:$PORT"
	if [ "$RC" = 1 ] && echo "$OUT" | grep -q "migrate: vf0 (vfio $vf) is passed through" &&
		echo "$OUT" | grep -q "failover"; then
		pass vfvm-migrate-vf-refused
	else
		fail vfvm-migrate-vf-refused "migrate with vf0 in the VM: exit $RC, want 1 naming vf0"
	fi
	still_runs vfvm-migrate-vf-refused-runs-on
	run vfvm ctl "$SA" remove-device vf0 --timeout 120
	run vfctl vfs "$pf" 0
fi

# --- a destination without the source's device n0
dest --net id=nope,tap=mgb
run vfvm ctl "$SA" migrate "tcp:127.0.0.1:$PORT"
wait "$bpid"
bst=$?
exec 8>&-
cat "$w/b.err"
if [ "$RC" = 1 ] && echo "$OUT" | grep -q 'failed' && [ "$bst" = 1 ] &&
	grep -q "'id=nope,tap=mgb' names no device of the migrating VM" "$w/b.err"; then
	pass vfvm-migrate-device-mismatch-refused
else
	fail vfvm-migrate-device-mismatch-refused "ctl exit $RC, destination exit $bst (want 1 and 1, named)"
fi
still_runs vfvm-migrate-mismatch-source-runs-on

# --- cancel mid-way (1 MB/s: the first pass lasts)
dest --net id=n0,tap=mgb
run vfvm ctl "$SA" migrate "tcp:127.0.0.1:$PORT" --bandwidth 1 --detach
lab_wait "vfvm ctl $SA migrate-status | grep -q 'bytes_sent: [1-9]'" 60
run vfvm ctl "$SA" migrate-cancel
lab_wait "vfvm ctl $SA migrate-status | grep -q 'state: cancelled'" 30
run vfvm ctl "$SA" migrate-status
wait "$bpid"
bst=$?
exec 8>&-
tail -n 3 "$w/b.err"
if echo "$OUT" | grep -q '^state: cancelled' && [ "$bst" = 1 ] &&
	grep -q 'migration\|stream' "$w/b.err"; then
	pass vfvm-migrate-cancel
else
	fail vfvm-migrate-cancel "status '$(echo "$OUT" | head -n 1)', destination exit $bst"
fi
still_runs vfvm-migrate-cancel-source-runs-on

# --- a destination killed mid-way
dest --net id=n0,tap=mgb
run vfvm ctl "$SA" migrate "tcp:127.0.0.1:$PORT" --bandwidth 1 --detach
lab_wait "vfvm ctl $SA migrate-status | grep -q 'bytes_sent: [1-9]'" 60
say kill -9 "$bpid"
wait "$bpid"
exec 8>&-
lab_wait "vfvm ctl $SA migrate-status | grep -q 'state: failed'" 60
run vfvm ctl "$SA" migrate-status
if echo "$OUT" | grep -q '^state: failed' && echo "$OUT" | grep -q '^error: '; then
	pass vfvm-migrate-killed-destination
else
	fail vfvm-migrate-killed-destination "status after kill -9 of the destination: $(echo "$OUT" | head -n 2 | tr '\n' ' ')"
fi
still_runs vfvm-migrate-killed-destination-source-runs-on

# --- garbage instead of a migration
dest --net id=n0,tap=mgb
echo "lab# echo garbage | nc 127.0.0.1 $PORT"
printf 'GARBAGE-GARBAGE-GARBAGE-GARBAGE-GARBAGE\n' | timeout 10 nc 127.0.0.1 "$PORT" > /dev/null 2>&1
wait "$bpid"
bst=$?
exec 8>&-
cat "$w/b.err"
if [ "$bst" = 1 ] && grep -q 'vfvm: --incoming tcp:127.0.0.1:[0-9]*: migration stream: record 1' "$w/b.err"; then
	pass vfvm-migrate-garbage-refused
else
	fail vfvm-migrate-garbage-refused "destination exit $bst, want 1 naming the record"
fi

# --- the migration
dest --net id=n0,tap=mgb --api-socket "$SB"
echo "lab# vfvm ctl $SA migrate tcp:127.0.0.1:$PORT"
vfvm ctl "$SA" migrate "tcp:127.0.0.1:$PORT" > "$w/ctl.out" 2>&1
RC=$?
cat "$w/ctl.out"
lab_wait "! alive $apid" 60
wait "$apid"
ast=$?
exec 7>&-
if [ "$RC" = 0 ] && grep -q '^completed: to tcp:127.0.0.1' "$w/ctl.out" && [ "$ast" = 0 ]; then
	pass vfvm-migrate-completed
else
	fail vfvm-migrate-completed "ctl exit $RC, source exit $ast (want 0 and 0); source: $(tail -n 3 "$w/a.err")"
fi
n_at=$(wc -l < "$w/stream")
grep -q '^progress: pass 2' "$w/ctl.out" && echo "(more than one pass: the guest dirtied memory during the copy)"
last=$(ticks "$w/a.log" | tail -n 1)
if lab_wait "[ -n \"\$(ticks $w/b.log | head -n 1)\" ] || ! alive $bpid" 60 && alive "$bpid"; then
	first=$(ticks "$w/b.log" | head -n 1)
	echo "last tick on the source: $last; first on the destination: $first"
	if [ -n "$first" ] && [ -n "$last" ] && [ "$first" -gt "$last" ] && [ "$first" -le $((last + 2)) ]; then
		pass vfvm-migrate-counter-goes-on
	else
		fail vfvm-migrate-counter-goes-on "last tick before $last, first after '$first'"
	fi
	# the guest's own clock across the hand-over (measured, never asserted)
	t_last=$(tr -d '\r' < "$w/a.log" | sed -n "s/.*L2-TICK $last \([0-9]*\)$/\1/p")
	t_first=$(tr -d '\r' < "$w/b.log" | sed -n "s/.*L2-TICK $first \([0-9]*\)$/\1/p")
	echo "guest clock between those ticks: $((t_first - t_last)) ms (ticks every 200 ms)"
else
	fail vfvm-migrate-counter-goes-on "no tick on the destination (vfvm: $(tail -n 3 "$w/b.err"))"
fi
run vfvm ctl "$SB" info

# --- post-copy: the VM goes on from the destination to a third vfvm
SC=$w/c.sock
rm -f "$w/c.in"
mkfifo "$w/c.in"
echo "lab# vfvm run --incoming tcp:127.0.0.1:4445 --net id=n0,tap=mgc --api-socket $SC"
timeout 850 vfvm run --incoming tcp:127.0.0.1:4445 --net id=n0,tap=mgc --api-socket "$SC" \
	< "$w/c.in" > "$w/c.log" 2> "$w/c.err" &
cpid=$!
exec 9> "$w/c.in"
lab_wait "grep -q 'waiting for a migration' $w/c.err || ! alive $cpid" 30
echo "lab# vfvm ctl $SB migrate tcp:127.0.0.1:4445 --postcopy --downtime 1"
vfvm ctl "$SB" migrate tcp:127.0.0.1:4445 --postcopy --downtime 1 > "$w/ctl2.out" 2>&1
RC=$?
cat "$w/ctl2.out"
lab_wait "! alive $bpid" 60
wait "$bpid"
bst=$?
exec 8>&-
grep 'post-copy' "$w/c.err"
if [ "$RC" = 0 ] && grep -q '^postcopy: to tcp:127.0.0.1:4445: after [0-9]* passes, [1-9][0-9]* pages follow' "$w/ctl2.out" &&
	grep -q '^completed: to tcp:127.0.0.1:4445: .* post-copy of [1-9][0-9]* pages' "$w/ctl2.out" &&
	[ "$bst" = 0 ] && grep -q 'post-copy done: [1-9][0-9]* pages after the switch' "$w/c.err"; then
	pass vfvm-migrate-postcopy-completed
else
	fail vfvm-migrate-postcopy-completed "ctl exit $RC, second vfvm exit $bst (want 0 and 0, switched); $(tail -n 3 "$w/c.err")"
fi
last=$(ticks "$w/b.log" | tail -n 1)
if lab_wait "[ -n \"\$(ticks $w/c.log | head -n 1)\" ] || ! alive $cpid" 60 && alive "$cpid"; then
	first=$(ticks "$w/c.log" | head -n 1)
	echo "last tick on the second: $last; first on the third: $first"
	if [ -n "$first" ] && [ -n "$last" ] && [ "$first" -gt "$last" ] && [ "$first" -le $((last + 2)) ]; then
		pass vfvm-migrate-postcopy-counter-goes-on
	else
		fail vfvm-migrate-postcopy-counter-goes-on "last tick before $last, first after '$first'"
	fi
else
	fail vfvm-migrate-postcopy-counter-goes-on "no tick on the third vfvm ($(tail -n 3 "$w/c.err"))"
fi
# from here on the VM is the third vfvm's
bpid=$cpid
exec 8>&9
exec 9>&-
echo migrated >&8
if lab_wait "grep -q L2-ALIVE $w/c.log || ! alive $bpid" 120 && grep -q L2-ALIVE "$w/c.log"; then
	boot2=$(tr -d '\r' < "$w/c.log" | sed -n 's/^L2-BOOT2 \([0-9a-f-]*\).*/\1/p')
	if [ -n "$boot" ] && [ "$boot" = "$boot2" ]; then
		pass vfvm-migrate-same-boot
	else
		fail vfvm-migrate-same-boot "boot id '$boot' before, '$boot2' after"
	fi
	if grep -q 'L2-DISK-BEFORE ok' "$w/c.log" && grep -q 'L2-DISK-AFTER ok' "$w/c.log"; then
		pass vfvm-migrate-disk
	else
		fail vfvm-migrate-disk "$(grep L2-DISK "$w/c.log" | tr '\r\n' '  ')"
	fi
	if grep -q 'L2-PING 3/3' "$w/c.log"; then
		pass vfvm-migrate-net
	else
		fail vfvm-migrate-net "$(grep L2-PING "$w/c.log")"
	fi
else
	fail vfvm-migrate-same-boot "L2 did not answer on the third vfvm: $(grep L2- "$w/c.log" | tail -n 3)"
fi
exec 8>&-
wait "$bpid"
bst=$?
if [ "$bst" = 0 ]; then
	pass vfvm-migrate-guest-ran-on
else
	fail vfvm-migrate-guest-ran-on "third vfvm exit $bst: $(tail -n 3 "$w/c.err")"
fi
# the TCP stream: every line once, in order, from before to after the hand-over
kill "$ncpid" 2> /dev/null
exec 6>&-
nl=$(wc -l < "$w/stream")
gaps=$(awk '$1 == "S" { if (NR > 1 && $2 != prev + 1) g++; prev = $2 } END { print g + 0 }' "$w/stream")
echo "TCP stream: $nl lines ($n_at when the migration ended), $gaps out of order or missing"
if [ "$nl" -gt "$((n_at + 5))" ] && [ "$n_at" -gt 5 ] && [ "$gaps" = 0 ]; then
	pass vfvm-migrate-tcp-stream
else
	fail vfvm-migrate-tcp-stream "$nl lines ($n_at at the first hand-over), $gaps gaps"
fi
if [ "$(dd if="$w/disk.img" bs=4096 skip=256 count=256 2> /dev/null | sha256sum | cut -c1-64)" = "$wrote" ]; then
	pass vfvm-migrate-disk-on-host
else
	fail vfvm-migrate-disk-on-host "the data L2 wrote is not in $w/disk.img"
fi
cleanup
rm -rf "$w"
exit 0
