# shellcheck shell=sh
# vfvm --device with bad input or a busy device: refused before any VM
# exists (vfvm claims devices before it opens /dev/kvm), with the exact
# exit status and a message naming the device, and the device left exactly
# as it was.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	fail vfio-bad-input "vfvm is not in the lab (not built?)"
	exit 1
fi
e=$(lab_e1000e) || { fail vfio-bad-input "no e1000e in L1"; exit 1; }
n=$(lab_netdev "$e")
orig=$(lab_driver "$e")
vmm() { # expect-failure run; output in $OUT, status in $RC
	run vfvm run --kernel /lab/l2/bzImage --initrd /lab/l2/initrd --cmdline "console=ttyS0" \
		--mem 128M --cpus 1 "$@"
}
# refused NAME STATUS PATTERN: the last vmm exited STATUS, said PATTERN
# (grep -E), started no guest and left the e1000e on its driver.
refused() {
	if [ "$RC" != "$2" ]; then
		fail "$1" "exit $RC, expected $2"
	elif ! printf '%s\n' "$OUT" | grep -Eq -- "$3"; then
		fail "$1" "output lacks /$3/"
	elif printf '%s' "$OUT" | grep -q 'LAB-L2'; then
		fail "$1" "the guest started"
	elif [ "$(lab_driver "$e")" != "$orig" ]; then
		fail "$1" "driver now '$(lab_driver "$e")', was '$orig'"
	else
		pass "$1"
	fi
}

vmm --device 0000:7f:1f.7
refused vfio-bad-unknown-bdf 1 '^vfvm: --device 0000:7f:1f.7: 0000:7f:1f.7: no such PCI device'

vmm --device "$e,vf-token=not-a-uuid"
refused vfio-bad-vf-token-syntax 2 "^vfvm: --device $e,vf-token=not-a-uuid: .*not a UUID"

# not bound to vfio-pci and not managed: refused, nothing changed
vmm --device "$e"
refused vfio-bad-not-on-vfio 1 "^vfvm: --device $e: $e is bound to $orig, not vfio-pci"

# in use by the host (interface up with an address): managed refuses to take it
say ip link set "$n" up
say ip addr add 192.0.2.7/24 dev "$n"
vmm --device "$e,managed"
refused vfio-bad-device-in-use 1 "^vfvm: --device $e,managed: .*$e is in use by the host: interface $n is up with address 192.0.2.7"
[ -n "$(lab_netdev "$e")" ] || fail vfio-bad-device-in-use-netdev "the e1000e lost its netdev"
say ip addr flush dev "$n"
say ip link set "$n" down
[ -z "$LAB_FAILED" ]
