#!/usr/bin/env bash
# KVM tier, vfvm's keeper and --user/--chroot: acpi_button.bin runs in a
# VMM confined to uid/gid 65534 and an empty chroot (checked in /proc of
# the VMM process, the keeper's child), answers the control API and powers
# off (0), the keeper removing the socket the VMM could not; a SIGKILLed
# VMM makes the keeper exit 137 saying so; bad --user/--chroot values are
# usage errors naming the value.
# Honours BUILD; prints "ok"/"not ok" lines and "<TIER>: N passed, N failed".
set -u
cd "$(dirname "$0")/../../.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-kvm-confine}
VFVM=${KVM_VFVM:-$BUILD/vfvm}
G=${KVM_GUESTS:-$BUILD/guests}
dir=$(mktemp -d /tmp/vfvm-confine.XXXXXX)
out=$dir/out
log=$dir/vm.log
S=$dir/api.sock
vm_pid=''
cleanup() {
	[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

. tests/kvm/lib.sh

need_kvm
need_files "$VFVM" "$G/acpi_button.bin"
mkdir -m 0755 "$dir/root"

# the VMM: the keeper's only child
vmm_of() { awk '{print $1}' "/proc/$1/task/$1/children" 2>/dev/null; }

start_vm() {
	: >"$log"
	timeout 120 "$VFVM" run --mem 16M --firmware "$G/acpi_button.bin" --api-socket "$S" \
		"$@" >"$log" 2>&1 </dev/null &
	vm_pid=$!
	wait_for 'waiting for the power button' "$log" && [ -S "$S" ]
}

# --- run 1: confined VMM, powered off through the API
if ! start_vm --user 65534:65534 --chroot "$dir/root"; then
	cp "$log" "$out"
	bad "confine: vfvm up with --user and --chroot" "the guest never waited"
else
	ok "confine: vfvm up with --user and --chroot"
	child=$(vmm_of "$vm_pid")
	{ grep -E '^(Uid|Gid|Groups|CapPrm|CapEff):' "/proc/$child/status"; readlink "/proc/$child/root"; } >"$out" 2>&1
	t=$(printf '\t')
	if grep -qx "Uid:${t}65534${t}65534${t}65534${t}65534" "$out" &&
		grep -qx "Gid:${t}65534${t}65534${t}65534${t}65534" "$out" &&
		grep -qE '^Groups:[[:space:]]*$' "$out" && grep -qx "CapPrm:${t}0000000000000000" "$out" &&
		grep -qx "CapEff:${t}0000000000000000" "$out" && grep -qx "$dir/root" "$out"; then
		ok "confine: VMM (pid $child) is uid/gid 65534, no groups, no capabilities, in the chroot"
	else
		bad "confine: VMM (pid '$child') is uid/gid 65534, no groups, no capabilities, in the chroot" "status says otherwise"
	fi
	if grep -q '^Uid:	0	' "/proc/$vm_pid/status"; then
		ok "confine: the keeper (pid $vm_pid) stays root"
	else
		grep Uid "/proc/$vm_pid/status" >"$out" 2>&1
		bad "confine: the keeper (pid $vm_pid) stays root" "it is not"
	fi
	ctl_case "confine: info through the confined VMM" 0 '^state: running' -- "$S" info
	ctl_case "confine: powerdown" 0 '' -- "$S" powerdown
	wait "$vm_pid"
	st=$?
	vm_pid=''
	cp "$log" "$out"
	if [ "$st" = 0 ] && [ ! -e "$S" ]; then
		ok "confine: guest powered off, exit 0, socket removed by the keeper"
	else
		bad "confine: guest powered off, exit 0, socket removed by the keeper" "exit $st, socket $([ -e "$S" ] && echo left || echo gone)"
	fi
fi

# --- run 2: the VMM SIGKILLed: the keeper says so and exits 128+9
if ! start_vm; then
	cp "$log" "$out"
	bad "keeper: vfvm up" "the guest never waited"
else
	child=$(vmm_of "$vm_pid")
	kill -9 "$child"
	wait "$vm_pid"
	st=$?
	vm_pid=''
	cp "$log" "$out"
	if [ "$st" = 137 ] && grep -q "^vfvm: the VMM process (pid $child) was killed by signal 9 (SIGKILL)" "$log"; then
		ok "keeper: VMM killed by SIGKILL -> exit 137, said"
	else
		bad "keeper: VMM killed by SIGKILL -> exit 137, said" "exit $st"
	fi
	rm -f "$S"
fi

# --- bad values: usage errors naming the value, nothing started
chmod 0777 "$dir/root"
for args in "--user 0:0" "--user nosuchuser-xyz" "--user 65534" "--chroot $dir/none" \
	"--chroot $G/acpi_button.bin" "--chroot $dir/root"; do
	# shellcheck disable=SC2086 # the words of $args are separate arguments
	timeout 30 "$VFVM" run --mem 16M --firmware "$G/acpi_button.bin" $args >"$out" 2>&1 </dev/null
	st=$?
	val=${args#* }
	if [ "$st" = 2 ] && grep -qF -- "${args%% *} '$val'" "$out"; then
		ok "confine: $args refused (2), naming the value"
	else
		bad "confine: $args refused (2), naming the value" "exit $st"
	fi
done

echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
