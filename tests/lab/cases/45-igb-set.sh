# shellcheck shell=sh
# vfctl set on real igb VFs (QEMU igb, 82576), cross-checked with iproute2's
# `ip -j link show` as an independent reader of the same rtnetlink state.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if [ "$LAB_HAS_IGB" != 1 ]; then
	skip igb-set "QEMU without igb ($LAB_QEMU_VERSION)"
	exit 0
fi
pf=$(lab_igb_pf)
nd=$(lab_netdev "$pf")
if [ -z "$pf" ] || [ -z "$nd" ]; then
	fail igb-set "igb PF or its netdev not found (pf=$pf netdev=$nd)"
	exit 0
fi
# igb: PF up before VFs exist (igbvf: "PF still in reset"), link up for rates.
say ip link set "$nd" up
echo 0 > "/sys/bus/pci/devices/$pf/sriov_numvfs"
echo 2 > "/sys/bus/pci/devices/$pf/sriov_numvfs"
lab_wait "[ -e /sys/bus/pci/devices/$pf/virtfn1 ]" 20
# igb takes a rate only with the PF link up (EINVAL before): wait for carrier.
lab_wait "[ \"\$(cat /sys/class/net/$nd/carrier 2>/dev/null)\" = 1 ]" 20

# The VF 0 object of ip's vfinfo_list, as one line.
ip_vf0() {
	/usr/bin/ip -j link show dev "$nd" | sed 's/.*"vfinfo_list":\[//; s/},{"vf":1,.*//'
}
has() { # what substring
	case "$(ip_vf0)" in
	*"$2"*) pass "$1" ;;
	*) fail "$1" "ip -j link shows no $2 for VF 0: $(ip_vf0)" ;;
	esac
}

say vfctl set "$pf" 0 mac 02:00:00:00:00:10 vlan 100 qos 3 spoofchk off trust on max_tx_rate 100
rc=$?
if [ "$rc" = 0 ]; then
	pass igb-set-all-applied
else
	fail igb-set-all-applied "exit $rc, want 0"
fi
has igb-set-mac '"address":"02:00:00:00:00:10"'
has igb-set-vlan '"vlan":100'
has igb-set-qos '"qos":3'
has igb-set-spoofchk '"spoofchk":false'
has igb-set-trust '"trust":true'
has igb-set-rate '"max_tx":100'

# Same again: nothing to change, still exit 0.
out=$(vfctl set "$pf" 0 mac 02:00:00:00:00:10 vlan 100 qos 3 spoofchk off trust on max_tx_rate 100)
rc=$?
echo "$out"
if [ "$rc" = 0 ] && [ "$(echo "$out" | grep -c ': unchanged$')" = 5 ]; then
	pass igb-set-idempotent
else
	fail igb-set-idempotent "exit $rc, want 0 with 5 unchanged"
fi

# igb has no per-VF link state and only 802.1Q: reported, others still applied.
out=$(vfctl set "$nd" 1 state enable trust on)
rc=$?
echo "$out"
if [ "$rc" = 4 ] && echo "$out" | grep -q 'state enable: unsupported' &&
	echo "$out" | grep -q 'trust on: applied'; then
	pass igb-set-unsupported-partial
else
	fail igb-set-unsupported-partial "exit $rc, want 4 with state unsupported and trust applied"
fi
out=$(vfctl set "$nd" 1 vlan 5 proto 802.1ad)
rc=$?
echo "$out"
if [ "$rc" = 1 ] && echo "$out" | grep -q 'unsupported'; then
	pass igb-set-qinq-unsupported
else
	fail igb-set-qinq-unsupported "exit $rc, want 1 (802.1ad unsupported)"
fi

# min_tx_rate is refused by igb (EINVAL): failed, with the reason.
out=$(vfctl set "$nd" 1 min_tx_rate 10 2>&1)
rc=$?
echo "$out"
if [ "$rc" = 1 ] && echo "$out" | grep -q 'failed'; then
	pass igb-set-min-rate-refused
else
	fail igb-set-min-rate-refused "exit $rc, want 1"
fi

# JSON read back uses ip's key names and agrees with ip.
out=$(vfctl --json set "$pf" 0 vlan 0 mac clear max_tx_rate 0)
rc=$?
echo "$out"
if [ "$rc" = 0 ] && echo "$out" | grep -q '"address": "00:00:00:00:00:00"'; then
	pass igb-set-clear-json
else
	fail igb-set-clear-json "exit $rc, want 0 with the MAC cleared"
fi
has igb-set-cleared-mac '"address":"00:00:00:00:00:00"'
case "$(ip_vf0)" in
*'"vlan":100'*) fail igb-set-cleared-vlan "VLAN 100 still set: $(ip_vf0)" ;;
*) pass igb-set-cleared-vlan ;;
esac

# Bad input changes nothing.
vfctl set "$pf" 7 trust on
rc=$?
if [ "$rc" = 2 ]; then
	pass igb-set-vf-range
else
	fail igb-set-vf-range "exit $rc, want 2"
fi
vfctl set "$pf" 0 mac 01:00:5e:00:00:01
rc=$?
if [ "$rc" = 2 ]; then
	pass igb-set-bad-mac
else
	fail igb-set-bad-mac "exit $rc, want 2"
fi
e1=$(lab_e1000e)
vfctl set "$(lab_netdev "$e1")" 0 trust on
rc=$?
if [ "$rc" = 2 ]; then
	pass igb-set-not-sriov
else
	fail igb-set-not-sriov "exit $rc, want 2 for a NIC without VFs"
fi

say /usr/bin/ip link show dev "$nd"
echo 0 > "/sys/bus/pci/devices/$pf/sriov_numvfs"
exit 0
