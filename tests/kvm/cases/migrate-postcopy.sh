#!/usr/bin/env bash
# KVM tier, post-copy live migration through the front end with the
# dirtying guest (tests/guests/dirtier.c: rewrites 4 MiB round after round,
# each page checked to hold the last round's number, else it exits with
# status 67): vfvm ctl PATH migrate unix:... --postcopy with a 1 ms downtime
# budget and a 4 MB/s cap, so the 4 MiB it keeps dirtying never fit and the
# migration must switch; the switch is reported, the destination runs the
# guest at once, whose touches of missing pages go through KVM to
# userfaultfd and become requests (the background copy of 1024 pages at
# 4 MB/s takes a second: the guest touches them first); every page arrives
# right (the guest's check), the count of rounds goes on there without a
# restart (read from a snapshot's memory at 0x200000, as migrate.sh does),
# and the source exits 0.  Then a post-copy whose destination is killed
# once it runs the VM: the source cannot take the VM back, it stays paused
# ("lost", resume refused) and ends on quit.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-migrate-postcopy}
G=${KVM_GUESTS:-$BUILD/guests}
VFVM=${KVM_VFVM:-$BUILD/vfvm}
dir=$(mktemp -d /tmp/vfvm-pc.XXXXXX)
out=$dir/out
src_pid='' dst_pid=''
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -n "$src_pid" ] && kill "$src_pid" 2>/dev/null
	[ -n "$dst_pid" ] && kill "$dst_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

. tests/kvm/lib.sh

need_kvm
need_files "$VFVM" "$G/dirtier.bin"

SA=$dir/a.sock SB=$dir/b.sock M=unix:$dir/mig.sock
finish() {
	echo "$TIER: $pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}

case_run "ctl: --postcopy goes with migrate, not upgrade" 2 "\-\-downtime, --bandwidth and --postcopy go with migrate, not upgrade" -- \
	"$VFVM" ctl "$SA" upgrade "unix:$dir/up.sock" --postcopy

timeout 300 "$VFVM" run --mem 16M --firmware "$G/dirtier.bin" --debug-exit --api-socket "$SA" \
	>"$dir/a.log" 2>&1 </dev/null &
src_pid=$!
if ! wait_for '^dirtier: start' "$dir/a.log" || ! wait_socket "$SA" "$src_pid"; then
	cp "$dir/a.log" "$out"
	bad "postcopy: the dirtying guest runs under vfvm" "it never started"
	finish
fi
ok "postcopy: the dirtying guest runs under vfvm"
ctl_case "postcopy: the count before" 0 "saved to $dir/s1 .*VM running" -- \
	"$SA" snapshot "$dir/s1" --resume
c1=$(count_in "$dir/s1")

timeout 300 "$VFVM" run --incoming "$M" --api-socket "$SB" >"$dir/b.log" 2>&1 </dev/null &
dst_pid=$!
if ! wait_for 'waiting for a migration on' "$dir/b.log"; then
	cp "$dir/b.log" "$out"
	bad "postcopy: the destination waits" "no 'waiting for a migration' line"
	finish
fi
# 4 MiB dirty again after every pass never fit 1 ms at 4 MB/s: after
# pass 2 the migration switches; the guest runs at the destination before
# the background copy could have sent its pages, so it asks for them
ctl_case "postcopy: switched, pages requested, completed" 0 \
	"^postcopy: to $M: after 2 passes, [1-9][0-9]{2,} pages follow on demand" \
	"^completed: to $M: .* post-copy of [1-9][0-9]* pages \([1-9][0-9]* requests served\)" -- \
	"$SA" migrate "$M" --postcopy --downtime 1 --bandwidth 4
cp "$out" "$dir/ctl.out"
wait "$src_pid"
st=$?
src_pid=''
if [ "$st" = 0 ] && grep -q "migrated to $M: .*post-copy of" "$dir/a.log"; then
	ok "postcopy: the source exits 0"
else
	cp "$dir/a.log" "$out"
	bad "postcopy: the source exits 0" "exit $st"
fi
if ! wait_socket "$SB" "$dst_pid"; then
	cp "$dir/b.log" "$out"
	bad "postcopy: the destination runs" "no API socket (exit: $(kill -0 "$dst_pid" 2>/dev/null || echo gone))"
	finish
fi
if grep -q 'switched to post-copy, [1-9][0-9]* pages to come; running' "$dir/b.log" &&
	wait_for 'post-copy done: [1-9][0-9]* pages after the switch, [1-9][0-9]* requested' "$dir/b.log"; then
	ok "postcopy: the destination ran the VM before its last pages came, then had them all"
else
	cp "$dir/b.log" "$out"
	bad "postcopy: the destination ran the VM before its last pages came" "no switch or no end in its log"
fi
ctl_case "postcopy: the destination runs" 0 '^state: running' -- "$SB" info
ctl_case "postcopy: the count after" 0 "saved to $dir/s2 " -- "$SB" snapshot "$dir/s2" --resume
c2=$(count_in "$dir/s2")
if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ] && ! grep -q 'dirtier: start' "$dir/b.log" &&
	! grep -q 'fault' "$dir/b.log"; then
	ok "postcopy: the rounds go on ($c1 before, $c2 after, no restart)"
else
	cp "$dir/b.log" "$out"
	bad "postcopy: the rounds go on" "before '$c1', after '$c2'"
fi
# figures for the log
sed 's/^/# /' "$dir/ctl.out"
grep -E 'post-copy' "$dir/b.log" | sed 's/^/# /'

# --- a post-copy whose destination dies once it runs the VM: B -> C, C killed
SC=$dir/c.sock M2=unix:$dir/mig2.sock
timeout 300 "$VFVM" run --incoming "$M2" --api-socket "$SC" >"$dir/c.log" 2>&1 </dev/null &
c_pid=$!
if wait_for 'waiting for a migration on' "$dir/c.log"; then
	# 1 MB/s: the 1024 pages take 4 s after the switch, time to see it and kill
	ctl_case "lost: post-copy started" 0 "migration to $M2 started" -- \
		"$SB" migrate "$M2" --postcopy --downtime 1 --bandwidth 1 --detach
	# C says it runs the VM the moment it does; its log is watched rather
	# than B's migrate-status, whose polls (a process each, under TCG in
	# L1) once missed the few seconds the post-copy lasts
	if wait_for 'switched to post-copy, .* to come; running' "$dir/c.log"; then
		kill -9 "$c_pid"
		{ wait "$c_pid"; } 2>/dev/null
		if status_has "$SB" '^state: failed' '^lost: true' '^error: '; then
			ok "lost: the destination killed after it ran the VM: failed, lost"
		else
			bad "lost: the destination killed after it ran the VM: failed, lost" "no such status"
		fi
		ctl_case "lost: the source stays paused" 0 '^state: paused' -- "$SB" info
		ctl_case "lost: resume refused" 1 'resume: .*cannot run here' -- "$SB" resume
		ctl_case "lost: a new migration refused" 1 'post-copy that failed' -- \
			"$SB" migrate "$M2" --detach
	else
		kill -9 "$c_pid"
		{ wait "$c_pid"; } 2>/dev/null
		cp "$dir/c.log" "$out"
		bad "lost: post-copy reached the running destination" "C never said it ran the VM"
	fi
else
	cp "$dir/c.log" "$out"
	bad "lost: the destination waits" "no 'waiting for a migration' line"
	kill "$c_pid"
fi
"$VFVM" ctl "$SB" quit >/dev/null 2>&1
wait "$dst_pid"
st=$?
dst_pid=''
# 5: stopped by quit; 67 would be a page that came wrong
if [ "$st" = 5 ] && grep -q 'post-copy to .* failed after the VM started there' "$dir/b.log"; then
	ok "postcopy: every page right (the guest checked each, ran until quit); lost VM ends on quit"
else
	cp "$dir/b.log" "$out"
	bad "postcopy: every page right; lost VM ends on quit" "B exited $st (67: a page held a wrong round)"
fi
finish
