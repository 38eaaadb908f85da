#!/usr/bin/env bash
# KVM tier, VM snapshot/restore with the libraries (src/vmm/vm_snapshot.h):
# vfvm-snaptest (tests/kvm/snaptest.c) runs counter.bin, pauses, saves,
# resumes, then restores into a fresh VM and checks the guest counts on
# with consistent registers, memory and completed port I/O.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-snapshot}
G=${KVM_GUESTS:-$BUILD/guests}
# built here, or packed into the lab's L1 under /usr/local/bin
ST=${KVM_SNAPTEST:-$BUILD/tests/kvm/vfvm-snaptest}
[ -x "$ST" ] || ST=$(command -v vfvm-snaptest || echo "$BUILD/tests/kvm/vfvm-snaptest")
VFVM=${KVM_VFVM:-$BUILD/vfvm}
dir=$(mktemp -d /tmp/vfvm-snap.XXXXXX)
out=$dir/out
vm_pid=''
cleanup() {
	[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

. tests/kvm/lib.sh

need_kvm
need_files "$ST" "$VFVM" "$G/counter.bin"

# each "ok"/"not ok" line of the program is one case
timeout 300 "$ST" "$G/counter.bin" >"$out" 2>&1
st=$?
cat "$out"
pass=$((pass + $(grep -c '^ok - ' "$out")))
fail=$((fail + $(grep -c '^not ok - ' "$out")))
if [ "$st" -ne 0 ] && ! grep -q '^not ok - ' "$out"; then
	echo "not ok - vfvm-snaptest exited $st without a failed check"
	fail=$((fail + 1))
fi
if ! grep -q '^snaptest: ' "$out"; then
	echo "not ok - vfvm-snaptest did not finish (exit $st)"
	fail=$((fail + 1))
fi

# --- the same through the front end: vfvm ctl PATH snapshot, vfvm run --restore.
# The guest's count is read from the snapshots' memory files (struct
# counter_page at 0x200000 in tests/guests/counter.c): nested KVM in the
# lab's L1 runs it too slowly to wait for its console.
S=$dir/api.sock
log=$dir/vm.log
# start_restored DIR: vfvm run --restore DIR in the background, API at $S
start_restored() {
	: >"$log"
	timeout 300 "$VFVM" run --restore "$1" --api-socket "$S" >"$log" 2>&1 </dev/null &
	vm_pid=$!
	wait_for_socket
}
wait_for_socket() { wait_socket "$S" "$vm_pid"; }
stop_vm() {
	"$VFVM" ctl "$S" quit >/dev/null 2>&1
	wait "$vm_pid" 2>/dev/null
	vm_pid=''
}
timeout 300 "$VFVM" run --mem 16M --firmware "$G/counter.bin" --debug-exit --api-socket "$S" \
	>"$log" 2>&1 </dev/null &
vm_pid=$!
if ! wait_for '^counter: start' "$log" || ! wait_for_socket; then
	cp "$log" "$out"
	kill -0 "$vm_pid" 2>/dev/null || { wait "$vm_pid"; echo "vfvm exited $?" >>"$out"; }
	bad "snapshot: counter runs under vfvm" "it never started"
else
	ok "snapshot: counter runs under vfvm"
	ctl_case "snapshot: --resume keeps it running" 0 "saved to $dir/s1 .*VM running" -- \
		"$S" snapshot "$dir/s1" --resume
	ctl_case "snapshot: info says running" 0 '^state: running' -- "$S" info
	ctl_case "snapshot: a relative DIR is made absolute by the client" 0 \
		"saved to $dir/s2 .*VM paused" -- "$S" snapshot "$(realpath --relative-to=. "$dir")/s2"
	ctl_case "snapshot: the VM stays paused" 0 '^state: paused' -- "$S" info
	ctl_case "snapshot: a DIR it cannot make is refused" 1 "creating directory $dir/no/such" -- \
		"$S" snapshot "$dir/no/such"
	ctl_case "snapshot: still paused after the refusal" 0 '^state: paused' -- "$S" info
	c1=$(count_in "$dir/s1") c2=$(count_in "$dir/s2")
	if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ]; then
		ok "snapshot: the guest counted between the snapshots ($c1, $c2)"
	else
		bad "snapshot: the guest counted between the snapshots" "counts '$c1', '$c2'"
	fi
	stop_vm
	case_run "snapshot: state and a sparse memory file" 0 '^ok$' -- \
		sh -c "[ -s '$dir/s2/state' ] && [ \$(stat -c %s '$dir/s2/memory') = 16777216 ] &&
			[ \$((\$(stat -c %b '$dir/s2/memory') * 512)) -lt 16777216 ] && echo ok"
	# restored: counts on from the saved point without starting again
	if start_restored "$dir/s2"; then
		ctl_case "restore: the restored VM runs" 0 '^state: running' -- "$S" info
		ctl_case "restore: a restored VM snapshots again" 0 "saved to $dir/s3 " -- \
			"$S" snapshot "$dir/s3"
		stop_vm
		c3=$(count_in "$dir/s3")
		if [ -n "$c3" ] && [ "$c3" -gt "$c2" ] && ! grep -q 'counter: start' "$log" &&
			! grep -q 'fault' "$log"; then
			ok "restore: the counter goes on ($c2 saved, $c3 later, no restart)"
		else
			cp "$log" "$out"
			bad "restore: the counter goes on" "saved '$c2', later '$c3'"
		fi
	else
		cp "$log" "$out"
		bad "restore: the restored VM runs" "no API socket after --restore"
	fi
	# a chain: the snapshot of the restored VM restores too
	if start_restored "$dir/s3"; then
		ctl_case "restore: a snapshot of a restored VM restores" 0 "saved to $dir/s4 " -- \
			"$S" snapshot "$dir/s4"
		stop_vm
		c4=$(count_in "$dir/s4")
		if [ -n "$c4" ] && [ "$c4" -gt "$c3" ]; then
			ok "restore: the chain counts on ($c3, $c4)"
		else
			cp "$log" "$out"
			bad "restore: the chain counts on" "'$c3' then '$c4'"
		fi
	else
		cp "$log" "$out"
		bad "restore: a snapshot of a restored VM restores" "no API socket"
	fi
	# hostile or wrong snapshots: exit 1 naming the file or section, nothing runs
	mkdir -p "$dir/bad"
	ln "$dir/s2/memory" "$dir/bad/memory"
	head -c 200 "$dir/s2/state" >"$dir/bad/state"
	case_run "restore: a truncated state is refused" 1 "$dir/bad/state: " -- \
		"$VFVM" run --restore "$dir/bad"
	cp "$dir/s2/state" "$dir/bad/state"
	printf '\377\377' | dd of="$dir/bad/state" bs=1 seek=300 conv=notrunc 2>/dev/null
	case_run "restore: a corrupted section is refused" 1 "section '.*': checksum mismatch" -- \
		"$VFVM" run --restore "$dir/bad"
	case_run "restore: a missing directory is refused" 1 "opening $dir/none/state" -- \
		"$VFVM" run --restore "$dir/none"
	case_run "restore: --mem does not go with --restore" 2 "\-\-mem does not go with --restore" -- \
		"$VFVM" run --restore "$dir/s2" --mem 16M
	case_run "restore: an override must name a saved device" 1 "names no device of the snapshot" -- \
		"$VFVM" run --restore "$dir/s2" --disk id=d9,path=/dev/null
fi
echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
