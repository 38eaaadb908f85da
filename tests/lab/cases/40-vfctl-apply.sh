# shellcheck shell=sh
# vfctl apply on the real kernel: the declared NVMe PF (matched by its NVMe
# serial) gets its VFs with resources; a second apply changes nothing; a PF
# driver unbind/rebind (which takes the secondary controllers offline) is
# repaired by the next apply; removing the file undoes what apply did.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
pf=$(lab_nvme_pf) || { fail vfctl-apply "no NVMe PF"; exit 1; }
P=/sys/bus/pci/devices/$pf
serial=$(tr -d ' ' < "/sys/class/nvme/$(lab_nvme_ctrl "$pf")/serial")
mkdir -p /etc/vfctl.d
cat > /etc/vfctl.d/nvme-lab.conf <<CONF
# the lab's NVMe PF, matched by its serial number
[pf]
match = serial $serial
numvfs = 2
CONF
say cat /etc/vfctl.d/nvme-lab.conf

online2() { [ "$(lab-nvme-virt show "$pf" | grep -c 'online nvq 2 nvi 1')" = 2 ]; }

run vfctl apply
if [ "$RC" = 0 ] && [ "$(cat "$P/sriov_numvfs")" = 2 ] && online2; then
	pass vfctl-apply-nvme
else
	fail vfctl-apply-nvme "after apply: $(cat "$P/sriov_numvfs") VFs, secondaries: $(lab-nvme-virt show "$pf" | grep -c online) online (exit $RC)"
fi
run vfctl status

vf0=$(lab_vf "$pf" 0)
r0=$(dmesg | grep -c 'default/read/poll queues')
run vfctl apply --json
if [ "$RC" = 0 ] && [ "$(lab_vf "$pf" 0)" = "$vf0" ] && online2 &&
	[ "$(dmesg | grep -c 'default/read/poll queues')" = "$r0" ] &&
	! printf '%s\n' "$OUT" | grep -qiE '"(changed|changes)": *(true|[1-9])'; then
	pass vfctl-apply-twice-no-change
else
	fail vfctl-apply-twice-no-change "second apply changed something (exit $RC)"
fi

# The PF's driver goes away and comes back: its controller resets and QEMU
# (like the spec) takes every secondary controller offline.
say sh -c "echo $pf > /sys/bus/pci/drivers/nvme/unbind"
say sh -c "echo $pf > /sys/bus/pci/drivers/nvme/bind"
lab_wait "lab_nvme_live $pf" 30
say lab-nvme-virt show "$pf"
echo "after the rebind: $(cat "$P/sriov_numvfs") VFs, $(lab-nvme-virt show "$pf" | grep -c ' online ') secondaries online"
run vfctl apply
if [ "$RC" = 0 ] && [ "$(cat "$P/sriov_numvfs")" = 2 ] && online2; then
	pass vfctl-apply-after-pf-rebind
else
	fail vfctl-apply-after-pf-rebind "re-apply did not restore: $(cat "$P/sriov_numvfs") VFs, $(lab-nvme-virt show "$pf" | grep -c ' online ') online (exit $RC)"
fi

rm /etc/vfctl.d/nvme-lab.conf
run vfctl apply
if [ "$RC" = 0 ] && [ "$(cat "$P/sriov_numvfs")" = 0 ]; then
	pass vfctl-apply-undo
else
	fail vfctl-apply-undo "VFs left after the declaration was removed: $(cat "$P/sriov_numvfs") (exit $RC)"
fi
[ "$(cat "$P/sriov_numvfs")" = 0 ] || echo 0 > "$P/sriov_numvfs"
[ -z "$LAB_FAILED" ]
