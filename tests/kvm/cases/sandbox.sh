#!/usr/bin/env bash
# KVM tier, the sandbox (src/vmm/sandbox.c): every other case runs with it on
# (the default); here the test trigger (--test-bad-syscall ROLE) makes one
# thread of each role call ptrace once it is sandboxed, and vfvm must stop
# with status 6 and a message naming the role and the call: the main, I/O,
# vCPU and virtio-blk worker threads in a guest waiting for the power
# button, the migration thread of a source migrating to a waiting
# destination, and the post-copy fault thread of a destination.  Then
# --sandbox off: said on stderr, the guest runs as with it on.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-sandbox}
VFVM=${KVM_VFVM:-$BUILD/vfvm}
G=${KVM_GUESTS:-$BUILD/guests}
dir=$(mktemp -d /tmp/vfvm-sandbox.XXXXXX)
out=$dir/out
img=$dir/disk.img
src_pid='' dst_pid=''
dst_opts=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -n "$src_pid" ] && kill "$src_pid" 2>/dev/null
	[ -n "$dst_pid" ] && kill "$dst_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

. tests/kvm/lib.sh

need_kvm
need_files "$VFVM" "$G/acpi_button.bin" "$G/dirtier.bin" "$G/virtio_blk.bin"

finish() {
	echo "$TIER: $pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}

# the message for ROLE's name in it and the call
msg() { echo "vfvm: sandbox: the $1 thread made a system call its filter does not allow: ptrace \(101\); vfvm stops"; }

truncate -s 1M "$img"
# --- one VM per role: the trigger fires as that thread enters its role
for r in "main:main" "io:I/O" "vcpu:vCPU" "blk:virtio-blk worker"; do
	case_run "sandbox: --test-bad-syscall ${r%%:*} stops vfvm with 6, naming the ${r#*:} thread" \
		6 "$(msg "${r#*:}")" -- \
		"$VFVM" run --mem 16M --firmware "$G/acpi_button.bin" --disk "$img" \
		--test-bad-syscall "${r%%:*}"
done

# --- the migration thread: started by `ctl migrate` on the I/O thread
SA=$dir/a.sock SB=$dir/b.sock M=unix:$dir/mig.sock
start_pair() { # SRC_OPTS... : source and destination up, or a failed case
	timeout 300 "$VFVM" run --mem 16M --firmware "$G/dirtier.bin" --debug-exit \
		--api-socket "$SA" "$@" >"$dir/a.log" 2>&1 </dev/null &
	src_pid=$!
	timeout 300 "$VFVM" run --incoming "$M" --api-socket "$SB" "${dst_opts[@]}" \
		>"$dir/b.log" 2>&1 </dev/null &
	dst_pid=$!
	wait_for '^dirtier: start' "$dir/a.log" && wait_socket "$SA" "$src_pid" &&
		wait_for 'waiting for a migration on' "$dir/b.log"
}
# end_of PID LOG NAME WANT PATTERN: PID's exit status is WANT and LOG has PATTERN
end_of() {
	local st
	wait "$1"
	st=$?
	cp "$2" "$out"
	if [ "$st" -ne "$4" ]; then
		bad "$3" "exit status $st, expected $4"
	elif ! grep -qE -- "$5" "$2"; then
		bad "$3" "output lacks /$5/"
	else
		ok "$3"
	fi
}

if ! start_pair --test-bad-syscall migration; then
	cat "$dir/a.log" "$dir/b.log" >"$out"
	bad "sandbox: migration pair up" "source or destination never ready"
	finish
fi
"$VFVM" ctl "$SA" migrate "$M" >"$dir/ctl.out" 2>&1 </dev/null
end_of "$src_pid" "$dir/a.log" \
	"sandbox: --test-bad-syscall migration stops the source with 6, naming the migration thread" \
	6 "$(msg migration)"
src_pid=''
kill "$dst_pid" 2>/dev/null
wait "$dst_pid" 2>/dev/null
dst_pid=''
rm -f "$SA" "$SB" "$dir/mig.sock"

# --- the post-copy fault thread: the destination's, once the switch comes
dst_opts=(--test-bad-syscall postcopy-fault)
if ! start_pair; then
	cat "$dir/a.log" "$dir/b.log" >"$out"
	bad "sandbox: post-copy pair up" "source or destination never ready"
	finish
fi
"$VFVM" ctl "$SA" migrate "$M" --postcopy --downtime 1 --bandwidth 4 >"$dir/ctl.out" 2>&1 \
	</dev/null
end_of "$dst_pid" "$dir/b.log" \
	"sandbox: --test-bad-syscall postcopy-fault stops the destination with 6, naming its thread" \
	6 "$(msg "post-copy fault")"
dst_pid=''
kill "$src_pid" 2>/dev/null
wait "$src_pid" 2>/dev/null
src_pid=''

# --- --sandbox off: said, and the virtio-blk guest runs as it does with it on
printf 'vfvm-host-sector-0 marker' | dd of="$img" conv=notrunc 2>/dev/null
case_run "sandbox: --sandbox off says so; the virtio-blk guest runs (reset: 3)" 3 \
	'vfvm: sandbox off \(--sandbox off\)' 'virtio-blk ok' -- \
	"$VFVM" run --sandbox off --debug-exit --mem 16M --firmware "$G/virtio_blk.bin" \
	--disk "$img"
case_run "sandbox: on (the default), the same guest runs the same" 3 'virtio-blk ok' -- \
	"$VFVM" run --debug-exit --mem 16M --firmware "$G/virtio_blk.bin" --disk "$img"
if grep -q 'sandbox off' "$out"; then
	bad "sandbox: on by default says nothing of it" "'sandbox off' in the output"
else
	ok "sandbox: on by default says nothing of it"
fi
case_run "sandbox: --test-bad-syscall with --sandbox off is a usage error" 2 \
	'--test-bad-syscall needs --sandbox on' -- \
	"$VFVM" run --sandbox off --test-bad-syscall vcpu --mem 16M --firmware "$G/acpi_button.bin"
case_run "sandbox: --sandbox maybe is a usage error" 2 "--sandbox 'maybe': expected on or off" -- \
	"$VFVM" run --sandbox maybe --mem 16M --firmware "$G/acpi_button.bin"

finish
