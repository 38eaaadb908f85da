# shellcheck shell=bash
# vfvm --device BDF,managed against the simulated host: the device is taken
# from its driver through the sriov library, and every way out of vfvm puts
# it back.  Here the VM cannot start (this machine has no VFIO), so what runs
# is the take, the failed open and the give-back; and when the give-back
# itself fails, vfvm says which device, why, and what to do.
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
	[ -c /dev/kvm ] || { bad "/dev/kvm missing: vfvm cannot create a VM here"; return 1; }
}

t_vfvm_managed_failed_start_gives_back() {
	vfvm_ready || return
	: >"$MNT/.sim/log"
	vfvm_managed "$T/out"
	eq "$VM_RC" 1 "vfvm exit status"
	grep -q "^vfvm: .*$E1000E" "$T/out" || bad "error does not name $E1000E: $(head -n 3 "$T/out")"
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
