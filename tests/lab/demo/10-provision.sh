# shellcheck shell=sh
# make demo, part 1: what a sysadmin does with vfctl on a host with SR-IOV
# devices (here: the lab's QEMU NVMe and igb PFs, on Debian's kernel).
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh
nvme=$(lab_nvme_pf)
igb=$(lab_igb_pf)
e1000e=$(lab_e1000e)

echo "=== The SR-IOV physical functions on this machine ==="
say vfctl list
echo
echo "=== NVMe: 2 VFs, each given queue and interrupt resources and brought online ==="
say vfctl vfs "$nvme" 2
vf=$(lab_vf "$nvme" 0)
# the host nvme driver brings each VF's controller up on its own time
lab_wait "lab_nvme_live $vf && lab_nvme_live $(lab_vf "$nvme" 1)" 20
say vfctl list "$nvme"
echo "# the host's nvme driver runs each VF's controller:"
for c in /sys/bus/pci/devices/"$nvme"/virtfn*/nvme/nvme*; do
	echo "$(basename "$(readlink -f "$c/device")") $(basename "$c"): $(cat "$c/state"), model $(tr -s ' ' < "$c/model")"
done
if [ -n "$igb" ]; then
	n=$(lab_netdev "$igb")
	echo
	echo "=== igb NIC: PF interface up, 2 VFs, VF 0 configured ==="
	say ip link set "$n" up
	lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
	say vfctl vfs "$igb" 2
	# enabling SR-IOV resets the PF; igb takes a VF rate only with the link up
	lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
	say vfctl set "$igb" 0 mac 52:54:00:ab:cd:01 vlan 100 spoofchk on trust on max_tx_rate 100
	echo "# read back by iproute2, independently of vfctl:"
	say ip link show "$n"
fi
echo
echo "=== Is the NVMe VF ready for a VM? ==="
say vfctl check "$vf"
echo
echo "=== Hand it to vfio-pci ==="
say vfctl bind "$vf" vfio-pci
say ls -l /dev/vfio
say vfctl check "$vf"
echo
echo "=== A device the host is using is refused ==="
en=$(lab_netdev "$e1000e")
say ip link set "$en" up
say ip addr add 192.0.2.1/24 dev "$en"
say vfctl check "$e1000e"
say vfctl bind "$e1000e" vfio-pci
ip addr flush dev "$en"
ip link set "$en" down
echo "PASS demo-provision"
