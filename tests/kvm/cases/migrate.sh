#!/usr/bin/env bash
# KVM tier, live migration through the front end with the counting guest
# (tests/guests/counter.c): vfvm ctl PATH migrate unix:... to a vfvm run
# --incoming on the same machine; the count goes on in the destination
# without a restart (read from snapshots' memory files at 0x200000, as
# cases/snapshot.sh does: nested KVM in the lab's L1 runs it too slowly to
# wait for its console), the source exits 0; a destination nobody listens
# on, bad URIs and options are refused and the source runs on (post-copy:
# cases/migrate-postcopy.sh).  Then the
# dirtying guest (tests/guests/ring_dirtier.c) migrated once per dirty tracker
# (--dirty-track ring, then bitmap): migrate-status and the migration's
# events name the tracker, and the guest, which checks every page it
# wrote, goes on at the destination without finding a lost page.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-migrate}
G=${KVM_GUESTS:-$BUILD/guests}
VFVM=${KVM_VFVM:-$BUILD/vfvm}
dir=$(mktemp -d /tmp/vfvm-mig.XXXXXX)
out=$dir/out
src_pid='' dst_pid=''
cleanup() {
	[ -n "$src_pid" ] && kill "$src_pid" 2>/dev/null
	[ -n "$dst_pid" ] && kill "$dst_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

. tests/kvm/lib.sh

need_kvm
need_files "$VFVM" "$G/counter.bin" "$G/ring_dirtier.bin"

SA=$dir/a.sock SB=$dir/b.sock M=unix:$dir/mig.sock

# upgrade: the VM on $SB handed to a new vfvm on the same machine, which
# takes guest RAM's memfd (nothing copied); the count goes on there.
upgrade_case() {
	local SC=$dir/c.sock U=unix:$dir/up.sock up_pid st c3
	ctl_case "upgrade: a tcp: URI is refused" 1 'upgrade: "uri" must be unix:PATH' -- \
		"$SB" upgrade tcp:127.0.0.1:1
	timeout 300 "$VFVM" run --incoming "$U" --api-socket "$SC" >"$dir/c.log" 2>&1 </dev/null &
	up_pid=$!
	if ! wait_for 'waiting for a migration on' "$dir/c.log"; then
		cp "$dir/c.log" "$out"
		bad "upgrade: the new vfvm waits" "no 'waiting for a migration' line"
		kill "$up_pid" 2>/dev/null
		"$VFVM" ctl "$SB" quit >/dev/null 2>&1
		return
	fi
	ctl_case "upgrade: completed, RAM handed over" 0 "^completed: to $U: .* 0 MiB sent \(guest RAM handed over, not copied\)" -- \
		"$SB" upgrade "$U"
	wait "$dst_pid"
	st=$?
	dst_pid=$up_pid
	if [ "$st" = 0 ]; then
		ok "upgrade: the old vfvm exits 0"
	else
		cp "$dir/b.log" "$out"
		bad "upgrade: the old vfvm exits 0" "exit $st"
	fi
	if wait_socket "$SC" "$up_pid"; then
		ctl_case "upgrade: the count after" 0 "saved to $dir/s3 " -- "$SC" snapshot "$dir/s3"
		c3=$(count_in "$dir/s3")
		if [ -n "$c3" ] && [ "$c3" -gt "$c2" ] && ! grep -q 'counter: start' "$dir/c.log"; then
			ok "upgrade: the counter goes on ($c2 before, $c3 after, no restart)"
		else
			cp "$dir/c.log" "$out"
			bad "upgrade: the counter goes on" "before '$c2', after '$c3'"
		fi
		"$VFVM" ctl "$SC" quit >/dev/null 2>&1
	else
		cp "$dir/c.log" "$out"
		bad "upgrade: the new vfvm runs" "no API socket"
	fi
}

# wait_lines N PATTERN FILE PID: up to 90 s for N lines matching PATTERN
# in FILE; false at once when vfvm PID has exited
wait_lines() {
	local i
	for ((i = 0; i < 900; i++)); do
		[ "$(grep -c -- "$2" "$3" 2>/dev/null)" -ge "$1" ] && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# dirty_case TRACKER: the dirtier migrated with --dirty-track TRACKER
dirty_case() {
	local t=$1 S1=$dir/d$1-a.sock S2=$dir/d$1-b.sock U=unix:$dir/d$1.sock
	local a=$dir/d$1-a.log b=$dir/d$1-b.log st
	timeout 300 "$VFVM" run --mem 32M --firmware "$G/ring_dirtier.bin" --debug-exit \
		--dirty-track "$t" --api-socket "$S1" >"$a" 2>&1 </dev/null &
	src_pid=$!
	if ! wait_lines 1 '^dirtier: round [0-9]* ok' "$a" "$src_pid" || ! wait_socket "$S1" "$src_pid"; then
		cp "$a" "$out"
		bad "dirty-track $t: the dirtier runs" "no round checked"
		kill "$src_pid" 2>/dev/null
		wait "$src_pid" 2>/dev/null
		src_pid=''
		return
	fi
	ok "dirty-track $t: the dirtier runs"
	ctl_case "dirty-track $t: migrate-status names the tracker" 0 "^dirty_tracker: $t\$" '^state: none' -- \
		"$S1" migrate-status
	# the destination may track otherwise: a local choice, fixed when its VM is made
	timeout 300 "$VFVM" run --incoming "$U" --dirty-track "$t" --api-socket "$S2" >"$b" 2>&1 </dev/null &
	dst_pid=$!
	if ! wait_for 'waiting for a migration on' "$b"; then
		cp "$b" "$out"
		bad "dirty-track $t: the destination waits" "no 'waiting for a migration' line"
		kill "$src_pid" "$dst_pid" 2>/dev/null
		wait "$src_pid" "$dst_pid" 2>/dev/null
		src_pid='' dst_pid=''
		return
	fi
	# every progress event and the completion say which tracker ran; the
	# dirtier writes more pages than a ring holds: the ring fills
	local done="^completed: to $U: .*, dirty tracker bitmap\$"
	[ "$t" = ring ] && done="^completed: to $U: .*, dirty tracker ring \([1-9][0-9]* ring-full exits\)\$"
	ctl_case "dirty-track $t: migrated, the events name the tracker" 0 \
		"^progress: pass [0-9]+: .*, dirty tracker $t" "$done" -- \
		"$S1" migrate "$U" --downtime 3000
	grep -E '^(progress|completed): ' "$out" | sed 's/^/# /'
	wait "$src_pid"
	st=$?
	src_pid=''
	if [ "$st" = 0 ] && grep -q "migrated to $U" "$a"; then
		ok "dirty-track $t: the source exits 0"
	else
		cp "$a" "$out"
		bad "dirty-track $t: the source exits 0" "exit $st"
	fi
	# two rounds at the destination: the second began by checking every
	# page there (a lost page: debug-exit 3, vfvm gone with status 67)
	if wait_lines 2 '^dirtier: round [0-9]* ok' "$b" "$dst_pid" && ! grep -q 'dirtier: start' "$b"; then
		ok "dirty-track $t: the guest finds every page it wrote at the destination"
	else
		st=running
		kill -0 "$dst_pid" 2>/dev/null || { wait "$dst_pid"; st="exit $?"; }
		cp "$b" "$out"
		bad "dirty-track $t: the guest finds every page it wrote at the destination" "destination vfvm: $st"
	fi
	"$VFVM" ctl "$S2" quit >/dev/null 2>&1
	wait "$dst_pid" 2>/dev/null
	dst_pid=''
}

# options that cannot work are usage errors, before anything starts
case_run "run: --dirty-track takes auto, ring or bitmap" 2 "\-\-dirty-track 'rings': expected auto, ring or bitmap" -- \
	"$VFVM" run --dirty-track rings --firmware "$G/counter.bin"
case_run "incoming: an unknown URI scheme is a usage error" 2 "'ftp:x' is not tcp:HOST:PORT or unix:PATH" -- \
	"$VFVM" run --incoming ftp:x
case_run "incoming: --mem comes from the source" 2 "\-\-mem does not go with --incoming: the source sends it" -- \
	"$VFVM" run --incoming "$M" --mem 16M
case_run "incoming: --device only for a failover pair" 2 "only the VF of a failover pair" -- \
	"$VFVM" run --incoming "$M" --device 0000:01:00.1
case_run "ctl: migrate needs its URI" 2 "migrate: expected its argument" -- \
	"$VFVM" ctl "$SA" migrate
case_run "ctl: --downtime goes with migrate" 2 "\-\-downtime, --bandwidth and --postcopy go with migrate" -- \
	"$VFVM" ctl "$SA" info --downtime 5

timeout 300 "$VFVM" run --mem 16M --firmware "$G/counter.bin" --debug-exit --api-socket "$SA" \
	>"$dir/a.log" 2>&1 </dev/null &
src_pid=$!
if ! wait_for '^counter: start' "$dir/a.log" || ! wait_socket "$SA" "$src_pid"; then
	cp "$dir/a.log" "$out"
	bad "migrate: counter runs under vfvm" "it never started"
	echo "$TIER: $pass passed, $fail failed"
	exit 1
fi
ok "migrate: counter runs under vfvm"
ctl_case "migrate-status: none before any migration" 0 '^state: none' -- "$SA" migrate-status
ctl_case "migrate --postcopy: nobody listening: failed, named" 1 "^failed: migrate: connecting to $M" -- \
	"$SA" migrate "$M" --postcopy
ctl_case "migrate: nobody listening: failed, named" 1 "^failed: migrate: connecting to $M" -- \
	"$SA" migrate "$M"
ctl_case "migrate-status: failed, with the error" 0 '^state: failed' "^error: migrate: connecting to $M" -- \
	"$SA" migrate-status
ctl_case "migrate: the source runs on after the failure" 0 '^state: running' -- "$SA" info
ctl_case "migrate-cancel: nothing to cancel" 1 "no migration is under way" -- "$SA" migrate-cancel
ctl_case "migrate: the count before" 0 "saved to $dir/s1 .*VM running" -- \
	"$SA" snapshot "$dir/s1" --resume
c1=$(count_in "$dir/s1")

timeout 300 "$VFVM" run --incoming "$M" --api-socket "$SB" >"$dir/b.log" 2>&1 </dev/null &
dst_pid=$!
if ! wait_for 'waiting for a migration on' "$dir/b.log"; then
	cp "$dir/b.log" "$out"
	bad "incoming: the destination waits" "no 'waiting for a migration' line"
else
	ok "incoming: the destination waits"
	ctl_case "migrate: completed" 0 "^completed: to $M: .* ms paused" -- "$SA" migrate "$M" --downtime 100
	wait "$src_pid"
	st=$?
	src_pid=''
	if [ "$st" = 0 ] && grep -q "migrated to $M" "$dir/a.log"; then
		ok "migrate: the source exits 0"
	else
		cp "$dir/a.log" "$out"
		bad "migrate: the source exits 0" "exit $st"
	fi
	if wait_socket "$SB" "$dst_pid"; then
		ctl_case "incoming: the destination runs" 0 '^state: running' -- "$SB" info
		ctl_case "incoming: the count after" 0 "saved to $dir/s2 " -- "$SB" snapshot "$dir/s2" --resume
		c2=$(count_in "$dir/s2")
		if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ] && ! grep -q 'counter: start' "$dir/b.log" &&
			! grep -q 'fault' "$dir/b.log"; then
			ok "incoming: the counter goes on ($c1 before, $c2 after, no restart)"
		else
			cp "$dir/b.log" "$out"
			bad "incoming: the counter goes on" "before '$c1', after '$c2'"
		fi
		upgrade_case
	else
		cp "$dir/b.log" "$out"
		bad "incoming: the destination runs" "no API socket (exit: $(kill -0 "$dst_pid" 2>/dev/null || echo gone))"
	fi
	wait "$dst_pid"
	dst_pid=''
fi
dirty_case ring
dirty_case bitmap
echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
