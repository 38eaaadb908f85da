# shellcheck shell=sh
# vfctl bind/check/restore on the real kernel: an NVMe VF and the e1000e go
# to vfio-pci (/dev/vfio/N appears) and back (/dev/vfio/N goes); check says
# yes for a device ready for a VM and no for one the host is using.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
pf=$(lab_nvme_pf) || { fail vfctl-bind "no NVMe PF"; exit 1; }
e=$(lab_e1000e) || { fail vfctl-bind "no e1000e"; exit 1; }

run vfctl vfs "$pf" 1
vf=$(lab_vf "$pf" 0)
if [ -z "$vf" ]; then
	fail vfctl-bind-nvme-vf "no VF after vfctl vfs $pf 1"
else
	lab_wait "[ -e /sys/bus/pci/devices/$vf/iommu_group ]" 10
	g=$(lab_group "$vf")
	orig=$(lab_driver "$vf")
	run vfctl bind "$vf" vfio-pci
	if [ "$RC" = 0 ] && [ "$(lab_driver "$vf")" = vfio-pci ] && [ -c "/dev/vfio/$g" ]; then
		pass vfctl-bind-nvme-vf-vfio
	else
		fail vfctl-bind-nvme-vf-vfio "driver '$(lab_driver "$vf")', /dev/vfio/$g $( [ -c "/dev/vfio/$g" ] && echo present || echo missing) (exit $RC)"
	fi
	run vfctl check "$vf"
	if [ "$RC" = 0 ]; then
		pass vfctl-check-vf-ready
	else
		fail vfctl-check-vf-ready "check said not ready (exit $RC) for a VF on vfio-pci in its own group"
	fi
	run vfctl restore "$vf"
	if [ "$RC" = 0 ] && [ "$(lab_driver "$vf")" = "$orig" ] && [ ! -e "/dev/vfio/$g" ]; then
		pass vfctl-restore-nvme-vf
	else
		fail vfctl-restore-nvme-vf "driver '$(lab_driver "$vf")' (was '$orig'), /dev/vfio/$g $( [ -e "/dev/vfio/$g" ] && echo still there || echo gone) (exit $RC)"
	fi
fi
run vfctl vfs "$pf" 0

n=$(lab_netdev "$e")
g=$(lab_group "$e")
say ip link set "$n" up
say ip addr add 192.0.2.1/24 dev "$n"
run vfctl check "$e"
if [ "$RC" = 3 ] && echo "$OUT" | grep -Eq "^  fail +host-use +interface $n is up"; then
	pass vfctl-check-e1000e-in-use
else
	fail vfctl-check-e1000e-in-use "check of $e ($n up with an address) gave exit $RC, want 3 and 'fail host-use interface $n is up'"
fi
run vfctl bind "$e" vfio-pci
if [ "$RC" != 0 ] && [ "$(lab_driver "$e")" = e1000e ] && [ -n "$(lab_netdev "$e")" ]; then
	pass vfctl-bind-refuses-in-use
else
	fail vfctl-bind-refuses-in-use "bind of an in-use e1000e not refused (exit $RC, driver '$(lab_driver "$e")')"
fi
say ip addr flush dev "$n"
say ip link set "$n" down
run vfctl bind "$e" vfio-pci
if [ "$RC" = 0 ] && [ "$(lab_driver "$e")" = vfio-pci ] && [ -c "/dev/vfio/$g" ] &&
	[ -z "$(lab_netdev "$e")" ]; then
	pass vfctl-bind-e1000e-vfio
else
	fail vfctl-bind-e1000e-vfio "driver '$(lab_driver "$e")', /dev/vfio/$g $( [ -c "/dev/vfio/$g" ] && echo present || echo missing) (exit $RC)"
fi
run vfctl check "$e"
if [ "$RC" = 0 ]; then
	pass vfctl-check-e1000e-ready
else
	fail vfctl-check-e1000e-ready "check of $e on vfio-pci gave exit $RC, want 0"
fi
run vfctl restore "$e"
lab_wait "[ -n \"\$(lab_netdev $e)\" ]" 10
if [ "$RC" = 0 ] && [ "$(lab_driver "$e")" = e1000e ] && [ ! -e "/dev/vfio/$g" ] &&
	[ -n "$(lab_netdev "$e")" ]; then
	pass vfctl-restore-e1000e
else
	fail vfctl-restore-e1000e "driver '$(lab_driver "$e")', /dev/vfio/$g $( [ -e "/dev/vfio/$g" ] && echo still there || echo gone), netdev '$(lab_netdev "$e")' (exit $RC)"
fi
[ -z "$LAB_FAILED" ]
