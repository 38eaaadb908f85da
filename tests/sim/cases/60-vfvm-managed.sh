# shellcheck shell=bash
# vfvm --device BDF,managed against the simulated host: the device is taken
# from its driver through the sriov library before any VM exists, and every
# way out of vfvm puts it back.  Here the VM cannot start: on a machine with
# /dev/kvm the VFIO open fails (the simulated tree has no VFIO), on one
# without, creating the VM fails; either way what runs is the take, the
# failure and the give-back; and when the give-back itself fails, vfvm says
# which device, why, and what to do.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
E1000E=0000:03:00.0
D=sys/bus/pci/devices
VFVM=$ROOT_DIR/$BUILD/vfvm

# vfvm_managed OUT: vfvm run with the e1000e managed; $VM_RC is its status.
vfvm_managed() {
	printf '\364\364\364\364' >"$T/hlt.bin"
	VFCTL_SYSFS_ROOT=$MNT VFCTL_STATE_DIR=$T/state "$VFVM" run --firmware "$T/hlt.bin" \
		--mem 16M --device "$E1000E,managed" >"$1" 2>&1
	VM_RC=$?
	grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$1" &&
		bad "vfvm: sanitizer report: $(head -n 5 "$1")"
}

vfvm_ready() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return 1; }
}

# The error that stopped the VM, which depends on this machine: with
# /dev/kvm, opening the device through VFIO (named); without, /dev/kvm.
start_error_said() { # OUT
	if [ -c /dev/kvm ]; then
		grep -q "^vfvm: .*$E1000E" "$1" || bad "error does not name $E1000E: $(head -n 3 "$1")"
	else
		grep -q '^vfvm: cannot open /dev/kvm' "$1" ||
			bad "error does not say /dev/kvm is missing: $(head -n 3 "$1")"
	fi
}

t_vfvm_managed_failed_start_gives_back() {
	vfvm_ready || return
	: >"$MNT/.sim/log"
	vfvm_managed "$T/out"
	eq "$VM_RC" 1 "vfvm exit status"
	start_error_said "$T/out"
	grep -q 'not given back' "$T/out" && bad "vfvm said a device was not given back: $(cat "$T/out")"
	# taken to vfio-pci first, then back
	grep -q "drivers_probe $E1000E = ok" "$MNT/.sim/log" || bad "vfvm never probed $E1000E to vfio-pci"
	eq "$(drv $E1000E)" e1000e "driver after vfvm"
	eq "$(rd $D/$E1000E/driver_override)" "(null)" "override cleared"
	left=$(find "$T/state" -type f 2>/dev/null)
	[ -z "$left" ] || bad "remembered state left behind: $left"
}

t_vfvm_give_back_failure_said() {
	vfvm_ready || return
	echo "sys/bus/pci/drivers/vfio-pci/unbind EBUSY always" >"$MNT/.sim/inject"
	vfvm_managed "$T/out"
	eq "$VM_RC" 1 "vfvm exit status"
	grep -q "$E1000E: giving it back to e1000e" "$T/out" ||
		bad "vfvm did not say the give-back failed: $(cat "$T/out")"
	grep -q "vfctl restore $E1000E" "$T/out" || bad "no 'vfctl restore $E1000E' hint: $(cat "$T/out")"
	eq "$(drv $E1000E)" vfio-pci "driver while unbind fails"
	# what the hint says works once the kernel lets go
	echo clear >"$MNT/.sim/inject"
	vf restore $E1000E >"$T/restore" 2>&1 || bad "vfctl restore failed: $(cat "$T/restore")"
	eq "$(drv $E1000E)" e1000e "driver after vfctl restore"
}

# Refusals happen before any VM exists (no /dev/kvm needed), with exit
# status 1, the device named, and nothing changed on the host.
vfvm_refused() { # OUT SPEC
	VFCTL_SYSFS_ROOT=$MNT VFCTL_STATE_DIR=$T/state "$VFVM" run --firmware "$T/hlt.bin" \
		--mem 16M --device "$2" >"$1" 2>&1
	VM_RC=$?
}

t_vfvm_refuses_unknown_bdf() {
	vfvm_ready || return
	printf '\364' >"$T/hlt.bin"
	vfvm_refused "$T/out" 0000:7f:1f.7
	eq "$VM_RC" 1 "vfvm exit status"
	grep -q '^vfvm: --device 0000:7f:1f.7: 0000:7f:1f.7: no such PCI device' "$T/out" ||
		bad "no 'no such PCI device' naming 0000:7f:1f.7: $(cat "$T/out")"
	grep -q 'cannot open /dev/kvm' "$T/out" && bad "vfvm reached KVM: $(cat "$T/out")"
}

t_vfvm_refuses_device_not_on_vfio() {
	vfvm_ready || return
	printf '\364' >"$T/hlt.bin"
	: >"$MNT/.sim/log"
	vfvm_refused "$T/out" "$E1000E"
	eq "$VM_RC" 1 "vfvm exit status"
	grep -q "^vfvm: --device $E1000E: $E1000E is bound to e1000e, not vfio-pci" "$T/out" ||
		bad "refusal does not name $E1000E and its driver: $(cat "$T/out")"
	grep -q "hint: bind it first (vfctl bind $E1000E vfio-pci), or pass --device $E1000E,managed" \
		"$T/out" || bad "no hint with both fixes: $(cat "$T/out")"
	eq "$(drv $E1000E)" e1000e "driver after the refusal"
	grep -q "$E1000E" "$MNT/.sim/log" && bad "vfvm wrote to $E1000E's sysfs: $(cat "$MNT/.sim/log")"
}

t_vfvm_refuses_device_in_use() {
	vfvm_ready || return
	printf '\364' >"$T/hlt.bin"
	# the management NIC: its interface is up with an address and the default route
	vfvm_refused "$T/out" 0000:00:02.0,managed
	eq "$VM_RC" 1 "vfvm exit status"
	grep -q '^vfvm: --device 0000:00:02.0,managed: .*0000:00:02.0 is in use by the host: interface enp0s2' "$T/out" ||
		bad "refusal does not say 0000:00:02.0 is in use: $(cat "$T/out")"
	grep -q 'force' "$T/out" && bad "vfvm suggests a --force it does not have: $(cat "$T/out")"
	eq "$(drv 0000:00:02.0)" virtio-pci "driver after the refusal"
	left=$(find "$T/state" -type f 2>/dev/null)
	[ -z "$left" ] || bad "remembered state left behind: $left"
}

t_vfvm_refuses_bad_spec_as_usage() {
	vfvm_ready || return
	printf '\364' >"$T/hlt.bin"
	vfvm_refused "$T/out" "$E1000E,vf-token=not-a-uuid"
	eq "$VM_RC" 2 "vfvm exit status (usage)"
	grep -q "^vfvm: --device $E1000E,vf-token=not-a-uuid: .*not a UUID" "$T/out" ||
		bad "usage error does not name the option: $(cat "$T/out")"
	eq "$(drv $E1000E)" e1000e "driver after the refusal"
}
