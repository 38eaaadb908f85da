# shellcheck shell=bash
# vfctl apply / status: declared configuration reconciled against the
# simulated host, idempotence, ledger-driven undo, PF rebind recovery.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
IGB=0000:01:00.0
D=sys/bus/pci/devices

conf_igb() { # numvfs
	cat >"$T/conf/igb.conf" <<EOF
# the 82576 in slot 1
[pf]
match = bdf $IGB
numvfs = $1
autoprobe = off

[vf 0]
mac = 02:00:00:00:01:00
vlan = 10
driver = vfio-pci

[vf 1]
mac = 02:00:00:00:01:01
trust = on
max_tx_rate = 1000
EOF
}

t_apply_twice() {
	conf_igb 3
	golden apply-dry-run.txt --rc 0 apply --dry-run
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "dry run changed nothing"
	golden apply.txt --rc 0 apply
	eq "$(rd $D/$IGB/sriov_numvfs)" "3" "numvfs"
	eq "$(rd $D/$IGB/sriov_drivers_autoprobe)" "0" "autoprobe"
	eq "$(drv 0000:01:10.0)" "vfio-pci" "VF 0 on vfio-pci"
	eq "$(drv 0000:01:10.2)" "" "VF 1 without host driver"
	golden apply-again.txt --rc 0 apply
	golden status.txt --rc 0 status
	golden status.json --rc 0 status --json
	golden apply-list.json --rc 0 list $IGB --json
}

t_apply_json() {
	conf_igb 2
	golden apply.json --rc 0 apply --json
}

t_apply_undo_removed_config() {
	conf_igb 2
	vf apply >/dev/null 2>&1 || bad "first apply failed"
	rm "$T/conf/igb.conf"
	golden apply-undo.txt apply
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "VFs vfctl created are gone"
	eq "$(rd $D/$IGB/sriov_drivers_autoprobe)" "1" "autoprobe given back"
}

t_apply_after_pf_rebind() {
	conf_igb 2
	vf apply >/dev/null 2>&1 || bad "first apply failed"
	# Someone reloads the PF driver: the VFs vanish (as with rmmod igb).
	wok sys/bus/pci/drivers/igb/unbind $IGB
	wok sys/bus/pci/drivers_probe $IGB
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "VFs gone with the rebind"
	golden apply-after-rebind.txt --rc 0 apply
	eq "$(rd $D/$IGB/sriov_numvfs)" "2" "VFs back"
	eq "$(drv 0000:01:10.0)" "vfio-pci" "VF 0 back on vfio-pci"
}

t_apply_match_by_mac() {
	cat >"$T/conf/igb.conf" <<EOF
[pf]
match = mac 52:54:00:01:00:00
numvfs = 1
EOF
	golden apply-by-mac.txt --rc 0 apply
	eq "$(rd $D/$IGB/sriov_numvfs)" "1" "numvfs"
}

t_apply_bad_config() {
	conf_igb 9
	golden apply-over-total.txt apply
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "nothing changed"
	conf_igb 2
	cp "$T/conf/igb.conf" "$T/conf/igb-copy.conf"
	golden apply-conflict.txt apply
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "nothing changed"
	rm "$T/conf/igb-copy.conf"
	printf '[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = two\n' >"$T/conf/igb.conf"
	golden apply-malformed.txt apply
}

t_apply_bind_fails_rolls_back() {
	conf_igb 2
	echo "sys/bus/pci/drivers_probe EIO always" >"$MNT/.sim/inject"
	golden apply-bind-fails.txt apply
	golden apply-bind-fails-status.txt status
	echo clear >"$MNT/.sim/inject"
}

t_apply_repairs_external_rebind() {
	conf_igb 2
	vf apply >/dev/null 2>&1 || bad "first apply failed"
	# Someone else gives the managed VF to the host driver (as driverctl
	# would: autoprobe is off, so only an override makes it probe).
	wok $D/0000:01:10.0/driver_override igbvf
	wok sys/bus/pci/drivers/vfio-pci/unbind 0000:01:10.0
	wok sys/bus/pci/drivers_probe 0000:01:10.0
	eq "$(drv 0000:01:10.0)" "igbvf" "VF 0 taken back by the host"
	golden apply-repair.txt --rc 0 apply
	eq "$(drv 0000:01:10.0)" "vfio-pci" "VF 0 on vfio-pci again"
	golden apply-repair-again.txt --rc 0 apply
}

# apply_killed_at STEP: vfctl apply killed at one write (KILL: before it
# lands, KILL-AFTER: just after), run again: it finishes the job, and the
# ledger still knows every original, so removing the config undoes it all.
apply_killed_at() {
	local rc
	conf_igb 2
	echo "$1" >"$MNT/.sim/inject"
	vf apply >"$T/killed.out" 2>&1
	rc=$?
	eq "$rc" "137" "apply killed at '$1' (exit status)"
	echo clear >"$MNT/.sim/inject"
	vf apply >"$T/again.out" 2>&1 || bad "apply after the kill at '$1' failed: $(cat "$T/again.out")"
	eq "$(rd $D/$IGB/sriov_numvfs)/$(rd $D/$IGB/sriov_drivers_autoprobe)/$(drv 0000:01:10.0)" \
		"2/0/vfio-pci" "after the kill at '$1' and a second apply: numvfs/autoprobe/VF 0 driver"
	vf apply >"$T/third.out" 2>&1 || bad "third apply after the kill at '$1' failed"
	grep -q "unchanged" "$T/third.out" || bad "third apply after the kill at '$1' changed something: $(cat "$T/third.out")"
	rm "$T/conf/igb.conf"
	vf apply >"$T/undo.out" 2>&1 || bad "undo after the kill at '$1' failed: $(cat "$T/undo.out")"
	eq "$(rd $D/$IGB/sriov_numvfs)/$(rd $D/$IGB/sriov_drivers_autoprobe)" "0/1" \
		"config removed after the kill at '$1': numvfs/autoprobe as before vfctl"
}

t_apply_killed_between_steps() {
	apply_killed_at "$D/$IGB/sriov_drivers_autoprobe KILL"
	apply_killed_at "$D/$IGB/sriov_drivers_autoprobe KILL-AFTER"
	apply_killed_at "$D/$IGB/sriov_numvfs KILL"
	apply_killed_at "$D/$IGB/sriov_numvfs KILL-AFTER"
	apply_killed_at "sys/bus/pci/drivers_probe KILL-AFTER"
	grep -q 'writer killed (injected)' "$MNT/.sim/log" || bad "simsysfs logged no kill"
}
