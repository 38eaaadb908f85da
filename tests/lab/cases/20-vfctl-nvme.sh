# shellcheck shell=sh
# vfctl vfs on the NVMe PF: VFs created with queue/interrupt resources
# assigned and online, so the host nvme driver runs them and block I/O goes
# through them; the same count again changes nothing; 0 gives all back.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
pf=$(lab_nvme_pf) || { fail vfctl-nvme "no NVMe PF"; exit 1; }
P=/sys/bus/pci/devices/$pf

run vfctl list
if [ "$RC" = 0 ] && printf '%s\n' "$OUT" | grep -q "$pf"; then
	pass vfctl-list-nvme-pf
else
	fail vfctl-list-nvme-pf "vfctl list did not show $pf"
fi

run vfctl vfs "$pf" 2
lab_wait "lab_nvme_live $(lab_vf "$pf" 0) && lab_nvme_live $(lab_vf "$pf" 1)" 20
vf0=$(lab_vf "$pf" 0)
vf1=$(lab_vf "$pf" 1)
say lab-nvme-virt show "$pf"
if [ "$RC" = 0 ] && [ "$(cat "$P/sriov_numvfs")" = 2 ] &&
	[ "$(lab-nvme-virt show "$pf" | grep -c 'online nvq 2 nvi 1')" = 2 ]; then
	pass vfctl-vfs-nvme-resources
else
	fail vfctl-vfs-nvme-resources "expected 2 VFs with 2 VQ/1 VI each and online (exit $RC)"
fi
if lab_nvme_live "$vf0" && lab_nvme_live "$vf1"; then
	pass vfctl-vfs-nvme-host-driver
else
	fail vfctl-vfs-nvme-host-driver "VF drivers: $vf0 '$(lab_driver "$vf0")' $vf1 '$(lab_driver "$vf1")'; an NVMe VF is not live on the nvme driver"
fi
if lab_nvme_live "$vf0" && lab_nvme_vf_io "$vf0" "$vf1"; then
	pass vfctl-vfs-nvme-block-io
else
	fail vfctl-vfs-nvme-block-io "no block I/O through the VFs"
fi

r0=$(dmesg | grep -c 'default/read/poll queues')
run vfctl vfs "$pf" 2
if [ "$RC" = 0 ] && [ "$(dmesg | grep -c 'default/read/poll queues')" = "$r0" ] &&
	[ "$(lab_vf "$pf" 0)" = "$vf0" ]; then
	pass vfctl-vfs-nvme-again-no-change
else
	fail vfctl-vfs-nvme-again-no-change "second vfctl vfs $pf 2 changed something (exit $RC)"
fi

run vfctl vfs "$pf" 0
if [ "$RC" = 0 ] && [ ! -e "$P/virtfn0" ] && [ "$(cat "$P/sriov_numvfs")" = 0 ] &&
	lab_nvme_live "$pf"; then
	pass vfctl-vfs-nvme-remove
else
	fail vfctl-vfs-nvme-remove "VFs left or PF not live (exit $RC)"
fi
# Autoprobe off: the VF gets its resources and goes online but stays
# driverless, for the caller to bind (vfio-pci).
run vfctl vfs "$pf" 1 --no-autoprobe
vf0=$(lab_vf "$pf" 0)
# (with autoprobe on, the kernel binds a new VF while sriov_numvfs is
# written, so a driverless VF now stays driverless)
# shellcheck disable=SC2016 # lab_wait evals its single-quoted test on each try
if [ "$RC" = 0 ] && [ -n "$vf0" ] && [ -z "$(lab_driver "$vf0")" ] &&
	lab_wait '[ "$(lab-nvme-virt show "$pf" | grep -c "online nvq 2 nvi 1")" = 1 ]' 10; then
	pass vfctl-vfs-nvme-no-autoprobe
else
	fail vfctl-vfs-nvme-no-autoprobe "VF $vf0 driver '$(lab_driver "$vf0")', want none, and online (exit $RC)"
fi
run vfctl vfs "$pf" 0 --autoprobe
[ "$(cat "$P/sriov_drivers_autoprobe")" = 1 ] || echo 1 > "$P/sriov_drivers_autoprobe"

run vfctl vfs "$pf" 9
if [ "$RC" != 0 ] && [ "$(cat "$P/sriov_numvfs")" = 0 ]; then
	pass vfctl-vfs-nvme-over-total
else
	fail vfctl-vfs-nvme-over-total "9 VFs (totalvfs 4) not refused, or something changed"
fi
[ -z "$LAB_FAILED" ]
