# shellcheck shell=sh
# make demo, last part: everything given back to the host as it was.
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh
nvme=$(lab_nvme_pf)
igb=$(lab_igb_pf)
vf=$(lab_vf "$nvme" 0)

echo "=== Give everything back ==="
[ "$(lab_driver "$vf")" = vfio-pci ] && say vfctl restore "$vf"
if [ -n "$igb" ]; then
	say vfctl vfs "$igb" 0
	say ip link set "$(lab_netdev "$igb")" down
fi
say vfctl vfs "$nvme" 0
say ls /dev/vfio
say vfctl list
echo "PASS demo-giveback"
