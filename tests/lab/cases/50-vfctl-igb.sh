# shellcheck shell=sh
# igb (82576) in the lab's QEMU: VFs created by vfctl after the PF interface
# is up, then MAC/VLAN/spoofchk/trust/max_tx_rate set with vfctl set and read
# back independently with iproute2 (`ip -j link show`).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
if [ "$LAB_HAS_IGB" != 1 ]; then
	skip vfctl-igb "QEMU without the igb device ($LAB_QEMU_VERSION): install QEMU >= 8 (bookworm-backports)"
	exit 0
fi
pf=$(lab_igb_pf) || { fail vfctl-igb "no igb PF"; exit 1; }
n=$(lab_netdev "$pf")
# igbvf reports "PF still in reset state" unless the PF is up first.
say ip link set "$n" up
lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
run vfctl vfs "$pf" 2
lab_wait "[ -e /sys/bus/pci/devices/$pf/virtfn1 ]" 10
# Enabling SR-IOV resets the PF: its link drops and comes back; igb refuses a
# VF rate while the PF has no link.
lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
if [ "$RC" = 0 ] && [ "$(cat "/sys/bus/pci/devices/$pf/sriov_numvfs")" = 2 ]; then
	pass vfctl-vfs-igb
else
	fail vfctl-vfs-igb "2 igb VFs not created (exit $RC)"
fi

mac=52:54:00:ab:cd:01
run vfctl set "$pf" 0 mac $mac vlan 100 spoofchk on trust on max_tx_rate 100
if [ "$RC" = 0 ]; then
	pass vfctl-set-igb
else
	fail vfctl-set-igb "vfctl set failed (exit $RC)"
fi

say ip -d link show "$n"
vf0=$(ip -j link show "$n" | sed 's/{"vf":/\n&/g' | grep '^{"vf":0,')
echo "ip -j link show $n, VF 0: $vf0"
check_key() { # name pattern
	if printf '%s' "$vf0" | grep -q "$2"; then
		pass "$1"
	else
		fail "$1" "ip -j link show $n does not show $2 for VF 0"
	fi
}
check_key igb-vf-mac-iproute2 "\"address\":\"$mac\""
check_key igb-vf-vlan-iproute2 '"vlan":100'
check_key igb-vf-spoofchk-iproute2 '"spoofchk":true'
check_key igb-vf-trust-iproute2 '"trust":true'
check_key igb-vf-max-tx-rate-iproute2 '"max_tx":100'

run vfctl set "$pf" 0 vlan 0 spoofchk off trust off max_tx_rate 0
vf0=$(ip -j link show "$n" | sed 's/{"vf":/\n&/g' | grep '^{"vf":0,')
if [ "$RC" = 0 ] && printf '%s' "$vf0" | grep -q '"spoofchk":false' &&
	printf '%s' "$vf0" | grep -q '"trust":false' && ! printf '%s' "$vf0" | grep -q '"vlan":100'; then
	pass vfctl-set-igb-back
else
	fail vfctl-set-igb-back "settings not reverted per ip -j link show (exit $RC): $vf0"
fi

run vfctl set "$pf" 0 vlan 5000
if [ "$RC" = 2 ] || [ "$RC" = 1 ]; then
	pass vfctl-set-igb-bad-vlan
else
	fail vfctl-set-igb-bad-vlan "vlan 5000 not refused (exit $RC)"
fi

run vfctl vfs "$pf" 0
say ip link set "$n" down
if [ "$RC" = 0 ] && [ "$(cat "/sys/bus/pci/devices/$pf/sriov_numvfs")" = 0 ]; then
	pass vfctl-vfs-igb-remove
else
	fail vfctl-vfs-igb-remove "igb VFs left (exit $RC)"
fi
[ -z "$LAB_FAILED" ]
