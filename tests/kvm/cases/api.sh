#!/usr/bin/env bash
# KVM tier, control API cases (docs/api.md): acpi_button.bin runs in vfvm
# with --api-socket; `vfvm ctl` drives it: info, pause/resume, events,
# powerdown (guest powers off -> 0), quit (-> 5), and errors that name the
# thing.  Readiness is polled with bounded loops, never a fixed sleep.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-api}
VFVM=${KVM_VFVM:-$BUILD/vfvm}
G=${KVM_GUESTS:-$BUILD/guests}
dir=$(mktemp -d /tmp/vfvm-api.XXXXXX)
out=$dir/out
log=$dir/vm.log
evlog=$dir/events.log
S=$dir/api.sock
vm_pid='' ev_pid=''
cleanup() {
	[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null
	[ -n "$ev_pid" ] && kill "$ev_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

. tests/kvm/lib.sh

need_kvm
need_files "$VFVM" "$G/acpi_button.bin"

# start: vfvm in the background with the API at $S, ready when the guest waits
start_vm() {
	: >"$log"
	timeout 120 "$VFVM" run --mem 16M --firmware "$G/acpi_button.bin" --api-socket "$S" \
		>"$log" 2>&1 </dev/null &
	vm_pid=$!
	wait_for 'waiting for the power button' "$log" && [ -S "$S" ]
}

# --- run 1: info, pause/resume, events, powerdown -> the guest powers off (0)
if ! start_vm; then
	cp "$log" "$out"
	bad "api: vfvm up with --api-socket" "no socket or the guest never waited"
else
	ok "api: vfvm up with --api-socket"
	if [ "$(stat -c %a "$S")" = 600 ]; then
		ok "api: socket is mode 0600"
	else
		stat "$S" >"$out"
		bad "api: socket is mode 0600" "wrong mode"
	fi
	timeout 60 "$VFVM" ctl "$S" events >"$evlog" 2>&1 </dev/null &
	ev_pid=$!
	ctl_case "api: info shows running, 1 vCPU, 16 MiB" 0 '^state: running' '^vcpus: 1' \
		'^memory: 16 MiB' -- "$S" info
	ctl_case "api: info --json" 0 '"state":"running"' '"vcpus":1' '"devices":\[' -- \
		"$S" info --json
	ctl_case "api: pause" 0 '^paused' -- "$S" pause
	ctl_case "api: info shows paused" 0 '^state: paused' -- "$S" info
	ctl_case "api: resume" 0 '^running' -- "$S" resume
	ctl_case "api: info shows running again" 0 '^state: running' -- "$S" info
	ctl_case "api: unknown verb names it" 1 "unknown verb 'frobnicate'" -- "$S" frobnicate
	# the events client subscribed before the pause if it saw it
	if wait_for '^resumed' "$evlog" && grep -q '^paused' "$evlog"; then
		ok "api: events: paused, resumed"
	else
		cp "$evlog" "$out"
		bad "api: events: paused, resumed" "not seen"
	fi
	ctl_case "api: powerdown" 0 'power button pressed' -- "$S" powerdown
	wait "$vm_pid"
	st=$?
	vm_pid=''
	cp "$log" "$out"
	if [ "$st" -ne 0 ]; then
		bad "api: powerdown -> guest powers off, vfvm exits 0" "exit status $st"
	elif ! grep -q 'power button pressed, powering off' "$log"; then
		bad "api: powerdown -> guest powers off, vfvm exits 0" "guest did not see the button"
	else
		ok "api: powerdown -> guest powers off, vfvm exits 0"
	fi
	wait "$ev_pid"
	st=$?
	ev_pid=''
	cp "$evlog" "$out"
	if [ "$st" -eq 0 ] && grep -q '^powerdown' "$evlog" &&
		grep -q '^shutdown status=0' "$evlog"; then
		ok "api: events: powerdown, shutdown; ctl events ends with the VM"
	else
		bad "api: events: powerdown, shutdown; ctl events ends with the VM" "exit $st"
	fi
	if [ -e "$S" ]; then
		bad "api: socket removed at exit" "$S is still there"
	else
		ok "api: socket removed at exit"
	fi
fi

# --- run 2: quit -> the documented status for a stop (5)
if ! start_vm; then
	cp "$log" "$out"
	bad "api: second vfvm up" "no socket or the guest never waited"
else
	ctl_case "api: quit" 0 'VM stopping' -- "$S" quit
	wait "$vm_pid"
	st=$?
	vm_pid=''
	cp "$log" "$out"
	if [ "$st" -eq 5 ] && grep -q 'stopped by the control API' "$log"; then
		ok "api: quit -> vfvm exits 5"
	else
		bad "api: quit -> vfvm exits 5" "exit status $st"
	fi
	ctl_case "api: ctl after the VM is gone names the path" 1 "$S" -- "$S" info
fi

ctl_case "api: ctl on a missing socket names the path" 1 "$dir/none.sock: no such socket" -- \
	"$dir/none.sock" info
ctl_case "api: ctl usage error" 2 'expected PATH and VERB' -- "$S"

echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
