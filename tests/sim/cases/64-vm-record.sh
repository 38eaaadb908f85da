# shellcheck shell=bash
# Devices always given back: vfvm writes down what a VM takes (STATE_DIR/
# vms/NAME) before it takes it, so after a SIGKILL `vfctl restore --vm NAME`
# or `--dead-vms` puts every device (and every IOMMU-group member moved with
# it) back on the driver it was on.  vfvm is stopped mid-setup, holding
# devices, the honest way: its second --device has rom=FIFO, and opening a
# FIFO nobody writes blocks, after the first device's group was taken.
# Also: `vfctl restore BDF` of a group moved as one, and the state dir's
# refusals (unsafe permissions, a planted symlink, bad ledger and records).
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
E1000E=0000:03:00.0
E1=0000:05:01.0
E2=0000:05:02.0
D=sys/bus/pci/devices
VFVM=$ROOT_DIR/$BUILD/vfvm

# vfvm_stuck [vfvm options...]: vfvm holding the e1000 group (managed),
# stuck on the next --device's ROM FIFO; $VM_PID is its pid.  Waits until
# the group is on vfio-pci (the condition, not a time).
vfvm_stuck() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return 1; }
	printf '\364' >"$T/hlt.bin"
	rm -f "$T/rom.fifo"
	mkfifo "$T/rom.fifo"
	VFCTL_SYSFS_ROOT=$MNT VFCTL_STATE_DIR=$T/state "$VFVM" run --firmware "$T/hlt.bin" \
		--mem 16M "$@" --device "$E1,managed" --device "$E1000E,managed,rom=$T/rom.fifo" \
		>"$T/vfvm.out" 2>&1 &
	VM_PID=$!
	for _ in $(seq 1 400); do
		[ "$(drv $E2)" = vfio-pci ] && return 0
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.05
	done
	bad "vfvm never took the e1000 group: $(cat "$T/vfvm.out")"
	kill -9 "$VM_PID" 2>/dev/null
	wait "$VM_PID" 2>/dev/null
	return 1
}

vfvm_kill() {
	kill -9 "$VM_PID"
	wait "$VM_PID" 2>/dev/null
}

t_restore_bdf_gives_back_whole_group() {
	vf bind $E1 vfio-pci --group >"$T/out" 2>&1 || bad "bind --group failed: $(cat "$T/out")"
	eq "$(drv $E1)/$(drv $E2)" "vfio-pci/vfio-pci" "group moved"
	# naming either member brings the group back as one
	golden restore-group.txt --rc 0 restore $E2
	eq "$(drv $E1)/$(drv $E2)" "e1000/e1000" "group given back"
	absent dev/vfio/5
	left=$(find "$T/state" -type f)
	[ -z "$left" ] || bad "remembered state left behind: $left"
}

t_vfvm_killed_restore_vm() {
	vfvm_stuck --name web1 || return
	rec=$T/state/vms/web1
	[ -f "$rec" ] || bad "no record $rec while vfvm holds devices"
	grep -qx "name=web1" "$rec" || bad "record does not name web1: $(cat "$rec")"
	grep -qx "pid=$VM_PID" "$rec" || bad "record does not hold pid $VM_PID: $(cat "$rec")"
	grep -qx "device=$E1 driver=e1000 override= with=$E1" "$rec" ||
		bad "record does not list $E1: $(cat "$rec")"
	grep -qx "device=$E2 driver=e1000 override= with=$E1" "$rec" ||
		bad "record does not list $E2 (moved with $E1): $(cat "$rec")"
	grep -q "$E1000E" "$rec" && bad "record lists $E1000E, not taken yet: $(cat "$rec")"
	# while it runs, its devices are not taken from under it
	vf restore --vm web1 >"$T/out" 2>&1
	eq "$?" 1 "restore --vm of a running VM exit status"
	grep -qx "vfctl: VM web1 is running (vfvm pid $VM_PID)" "$T/out" ||
		bad "restore --vm of a running VM not refused: $(cat "$T/out")"
	vf restore $E2 >"$T/out" 2>&1 && bad "restore $E2 of a running VM worked: $(cat "$T/out")"
	grep -q "held by VM web1" "$T/out" || bad "refusal does not name VM web1: $(cat "$T/out")"
	eq "$(drv $E2)" vfio-pci "driver while the VM runs"
	vfvm_kill
	eq "$(drv $E1)/$(drv $E2)" "vfio-pci/vfio-pci" "left on vfio-pci by the SIGKILL"
	golden restore-vm.txt --rc 0 restore --vm web1
	eq "$(drv $E1)/$(drv $E2)" "e1000/e1000" "given back to e1000"
	eq "$(drv $E1000E)" e1000e "never taken"
	absent dev/vfio/5
	left=$(find "$T/state" -type f)
	[ -z "$left" ] || bad "state left behind: $left"
	golden restore-vm-none.txt --rc 1 restore --vm web1
}

t_vfvm_killed_restore_dead_vms() {
	vfvm_stuck || return
	# the default name is vfvm-PID
	[ -f "$T/state/vms/vfvm-$VM_PID" ] || bad "no record vms/vfvm-$VM_PID"
	vf restore --dead-vms >"$T/out" 2>&1 || bad "restore --dead-vms failed: $(cat "$T/out")"
	grep -qx "VM vfvm-$VM_PID is running (vfvm pid $VM_PID): left alone" "$T/out" ||
		bad "a running VM was not left alone: $(cat "$T/out")"
	eq "$(drv $E1)" vfio-pci "driver while the VM runs"
	pid=$VM_PID
	vfvm_kill
	vf restore --dead-vms --json >"$T/json" 2>"$T/err" || bad "restore --dead-vms failed: $(cat "$T/err")"
	eq "$(jq -r '[.[] | "\(.bdf) \(.driver) \(.restored) \(.vm)"] | join(",")' "$T/json")" \
		"$E1 e1000 true vfvm-$pid,$E2 e1000 true vfvm-$pid" "restore --dead-vms --json"
	eq "$(jq -r '.[1].with' "$T/json")" "$E1" "the member says which device it moved with"
	eq "$(drv $E1)/$(drv $E2)" "e1000/e1000" "given back to e1000"
	[ -e "$T/state/vms/vfvm-$pid" ] && bad "record of vfvm-$pid left behind"
	golden restore-dead-none.txt --rc 0 restore --dead-vms
}

t_vfvm_name_taken_refused() {
	vfvm_stuck --name web1 || return
	printf '\364' >"$T/hlt2.bin"
	VFCTL_SYSFS_ROOT=$MNT VFCTL_STATE_DIR=$T/state "$VFVM" run --firmware "$T/hlt2.bin" \
		--mem 16M --name web1 --device "$E1000E,managed" >"$T/out2" 2>&1
	eq "$?" 1 "second vfvm --name web1 exit status"
	grep -q "^vfvm: a VM named web1 is running (vfvm pid $VM_PID)" "$T/out2" ||
		bad "second web1 not refused: $(cat "$T/out2")"
	eq "$(drv $E1000E)" e1000e "the second VM took nothing"
	vfvm_kill
	# a dead VM's leftovers must be given back before the name is used again
	VFCTL_SYSFS_ROOT=$MNT VFCTL_STATE_DIR=$T/state "$VFVM" run --firmware "$T/hlt2.bin" \
		--mem 16M --name web1 --device "$E1000E,managed" >"$T/out3" 2>&1
	eq "$?" 1 "vfvm --name web1 after a crash exit status"
	grep -q "hint: give them back first: vfctl restore --vm web1" "$T/out3" ||
		bad "no hint to restore web1 first: $(cat "$T/out3")"
	vf restore --vm web1 >/dev/null 2>&1 || bad "restore --vm web1 failed"
	eq "$(drv $E1)/$(drv $E2)/$(drv $E1000E)" "e1000/e1000/e1000e" "all back"
}

t_restore_vm_bad_record_refused() {
	mkdir -p "$T/state/vms"
	chmod 0700 "$T/state" "$T/state/vms"
	printf 'version=1\nname=bad1\npid=1\ndevice=../../etc driver=e1000 override= with=0000:05:01.0\n' \
		>"$T/state/vms/bad1"
	golden restore-vm-bad-record.txt --rc 1 restore --vm bad1
	printf 'version=1\nname=bad2\npid=1\ndevice=0000:05:01.0 driver=../x override=\n' \
		>"$T/state/vms/bad2"
	golden restore-vm-bad-driver.txt --rc 1 restore --vm bad2
	golden restore-vm-bad-name.txt --rc 2 restore --vm ../x
	eq "$(drv $E1)" e1000 "nothing moved"
}

# ---- the state directory is trusted only when it is safe ----

t_state_dir_group_writable_refused() {
	chmod 0777 "$T/state"
	golden statedir-writable.txt --rc 1 bind $E1000E vfio-pci
	eq "$(drv $E1000E)" e1000e "nothing moved"
	chmod 0700 "$T/state"
}

t_state_dir_foreign_owner_refused() {
	chown 4242:4242 "$T/state"
	chmod 0700 "$T/state"
	golden statedir-foreign.txt --rc 1 bind $E1000E vfio-pci
	eq "$(drv $E1000E)" e1000e "nothing moved"
	# vfvm refuses to take a managed device without a record it can trust
	printf '\364' >"$T/hlt.bin"
	VFCTL_SYSFS_ROOT=$MNT VFCTL_STATE_DIR=$T/state "$VFVM" run --firmware "$T/hlt.bin" \
		--mem 16M --device "$E1000E,managed" >"$T/out" 2>&1
	eq "$?" 1 "vfvm exit status with a foreign state dir"
	grep -q "state directory $T/state is owned by uid 4242" "$T/out" ||
		bad "vfvm does not name the foreign state dir: $(cat "$T/out")"
	eq "$(drv $E1000E)" e1000e "vfvm took nothing"
	chown 0:0 "$T/state"
}

t_state_dir_created_0700() {
	rmdir "$T/state"
	vf bind $E1000E vfio-pci >/dev/null 2>&1 || bad "bind failed"
	eq "$(stat -c %a "$T/state")" 700 "state dir mode"
	eq "$(stat -c %a "$T/state/drivers")" 700 "drivers dir mode"
	vf restore $E1000E >/dev/null 2>&1 || bad "restore failed"
}

# The temp file of a record was once drivers/<BDF>.tmp: a symlink planted
# there (or at any name vfctl might use) must not be written through.
t_symlink_planted_not_followed() {
	mkdir -p "$T/state/drivers"
	chmod 0700 "$T/state" "$T/state/drivers"
	echo "precious" >"$T/victim"
	ln -s "$T/victim" "$T/state/drivers/$E1000E.tmp"
	for i in $(seq 1 64); do
		ln -s "$T/victim" "$T/state/drivers/$E1000E.tmp.$i"
	done
	vf bind $E1000E vfio-pci >"$T/out" 2>&1 || bad "bind failed: $(cat "$T/out")"
	eq "$(cat "$T/victim")" "precious" "file behind the planted symlink"
	[ -L "$T/state/drivers/$E1000E" ] && bad "the record is a symlink"
	grep -qx "driver=e1000e" "$T/state/drivers/$E1000E" || bad "record: $(cat "$T/state/drivers/$E1000E")"
	vf restore $E1000E >/dev/null 2>&1 || bad "restore failed"
	eq "$(drv $E1000E)" e1000e "given back"
	# a symlink as the record itself is refused, not read through
	vf bind $E1000E vfio-pci >/dev/null 2>&1
	rm "$T/state/drivers/$E1000E"
	ln -s "$T/victim" "$T/state/drivers/$E1000E"
	golden restore-symlink.txt --rc 1 restore $E1000E
	eq "$(cat "$T/victim")" "precious" "file behind the planted record symlink"
}

t_ledger_bad_bdf_refused() {
	chmod 0700 "$T/state"
	printf '{"version":1,"pfs":[\n{"bdf":"../../../tmp/x"}]}\n' >"$T/state/ledger.json"
	golden apply-bad-ledger.txt --rc 1 apply
}
