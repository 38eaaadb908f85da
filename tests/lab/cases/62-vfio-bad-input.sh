# vfvm --device with bad input or a busy device: a clear error before the
# guest starts, and the device left exactly as it was.
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	fail vfio-bad-input "vfvm is not in the lab (not built?)"
	exit 0
fi
e=$(lab_e1000e) || { fail vfio-bad-input "no e1000e in L1"; exit 0; }
n=$(lab_netdev "$e")
orig=$(lab_driver "$e")
vmm() { # expect-failure run; output in $OUT, status in $RC
	run vfvm run --kernel /lab/l2/bzImage --initrd /lab/l2/initrd --cmdline "console=ttyS0" \
		--mem 128M --cpus 1 "$@"
}

vmm --device 0000:7f:1f.7
if [ "$RC" != 0 ] && printf '%s' "$OUT" | grep -q 'no such PCI device' &&
	! printf '%s' "$OUT" | grep -q 'LAB-L2'; then
	pass vfio-bad-unknown-bdf
else
	fail vfio-bad-unknown-bdf "exit $RC, no 'no such PCI device' before the guest started"
fi

vmm --device "$e,vf-token=not-a-uuid"
if [ "$RC" != 0 ] && printf '%s' "$OUT" | grep -q 'not a UUID' && [ "$(lab_driver "$e")" = "$orig" ]; then
	pass vfio-bad-vf-token-syntax
else
	fail vfio-bad-vf-token-syntax "exit $RC; driver now '$(lab_driver "$e")'"
fi

# not bound to vfio-pci and not managed: refused, nothing changed
vmm --device "$e"
if [ "$RC" != 0 ] && printf '%s' "$OUT" | grep -qi 'vfio' && [ "$(lab_driver "$e")" = "$orig" ] &&
	! printf '%s' "$OUT" | grep -q 'LAB-L2'; then
	pass vfio-bad-not-on-vfio
else
	fail vfio-bad-not-on-vfio "exit $RC; driver now '$(lab_driver "$e")', was '$orig'"
fi

# in use by the host (interface up with an address): managed refuses to take it
say ip link set "$n" up
say ip addr add 192.0.2.7/24 dev "$n"
vmm --device "$e,managed"
if [ "$RC" != 0 ] && [ "$(lab_driver "$e")" = "$orig" ] && [ -n "$(lab_netdev "$e")" ] &&
	! printf '%s' "$OUT" | grep -q 'LAB-L2'; then
	pass vfio-bad-device-in-use
else
	fail vfio-bad-device-in-use "exit $RC; driver now '$(lab_driver "$e")', netdev '$(lab_netdev "$e")'"
fi
say ip addr flush dev "$n"
say ip link set "$n" down
exit 0
