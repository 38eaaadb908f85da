# shellcheck shell=bash
# vfctl set: VF link settings through the recording netlink fake; the fake's
# request log shows what went to the kernel, and in which order.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
IGB=0000:01:00.0

nl_log() { sed 's/^/  /' "$VFCTL_FAKE_NETLINK.log" 2>/dev/null; }

t_set_settings() {
	wok sys/bus/pci/devices/$IGB/sriov_numvfs 2
	golden set.txt --rc 0 set $IGB 1 mac 02:00:00:00:00:11 vlan 100 spoofchk off trust on \
		max_tx_rate 500
	# Order that works across drivers: VLAN, MAC, rate, spoofchk, trust.
	eq "$(grep -o '^set enp1s0 vf 1 [a-z_]*' "$VFCTL_FAKE_NETLINK.log" | awk '{print $5}' |
		tr '\n' ' ')" "vlan mac rate spoofchk trust " "request order"
	golden set-by-netdev.json --rc 0 set enp1s0 1 mac 02:00:00:00:00:11 --json
	golden set-list.txt --rc 0 list $IGB
	golden set-list.json --rc 0 list $IGB --json
}

t_set_bad_input() {
	wok sys/bus/pci/devices/$IGB/sriov_numvfs 2
	: >"$VFCTL_FAKE_NETLINK.log"
	golden set-bad-mac.txt --rc 2 set $IGB 0 state enable mac zz
	golden set-bad-vlan.txt --rc 2 set $IGB 0 vlan 4096
	golden set-bad-rate.txt --rc 2 set $IGB 0 min_tx_rate 100 max_tx_rate 50
	golden set-bad-key.txt --rc 2 set $IGB 0 colour blue
	golden set-vf-range.txt set $IGB 5 mac 02:00:00:00:00:01
	golden set-not-pf.txt set 0000:03:00.0 0 mac 02:00:00:00:00:01
	eq "$(grep -c '^set ' "$VFCTL_FAKE_NETLINK.log")" "0" "no set request reached netlink"
}

t_set_unsupported_and_transient() {
	wok sys/bus/pci/devices/$IGB/sriov_numvfs 2
	# igb has no per-VF link state; the PF says EBUSY twice while a VF resets.
	echo "fail enp1s0 state EOPNOTSUPP always" >>"$VFCTL_FAKE_NETLINK"
	echo "fail enp1s0 mac EBUSY 2" >>"$VFCTL_FAKE_NETLINK"
	golden set-partial.txt set $IGB 0 state enable mac 02:00:00:00:00:21 trust on
	grep -q "^set enp1s0 vf 0 trust on -> ok" "$VFCTL_FAKE_NETLINK.log" ||
		bad "trust not applied after the unsupported state: $(nl_log)"
	eq "$(grep -c '^set enp1s0 vf 0 mac' "$VFCTL_FAKE_NETLINK.log")" "3" "mac retried twice"
}

t_set_vfs_recreated_reset() {
	# Recreating the VFs resets their settings (kernel behaviour the sim keeps).
	wok sys/bus/pci/devices/$IGB/sriov_numvfs 2
	vf set $IGB 0 mac 02:00:00:00:00:31 >/dev/null 2>&1 || bad "set failed"
	wok sys/bus/pci/devices/$IGB/sriov_numvfs 0
	wok sys/bus/pci/devices/$IGB/sriov_numvfs 2
	golden set-after-recreate.txt --rc 0 list $IGB
}
