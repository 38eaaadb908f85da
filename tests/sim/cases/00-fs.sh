# shellcheck shell=bash
# Kernel behaviour of simsysfs itself (no vfctl): what the tool relies on.
IGB=0000:01:00.0
NVME=0000:02:00.0
E1000E=0000:03:00.0
D=sys/bus/pci/devices

t_fs_layout() {
	eq "$(readlink "$MNT/$D/$IGB")" "../../../devices/pci0000:00/0000:00:03.0/0000:01:00.0" "PF link"
	eq "$(rd $D/$IGB/vendor)" "0x8086" "vendor"
	eq "$(rd $D/$IGB/device)" "0x10c9" "device"
	eq "$(rd $D/$IGB/class)" "0x020000" "class"
	eq "$(rd $D/$IGB/sriov_totalvfs)" "7" "totalvfs"
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "numvfs"
	eq "$(rd $D/$IGB/sriov_offset)/$(rd $D/$IGB/sriov_stride)" "128/2" "offset/stride"
	eq "$(rd $D/$IGB/sriov_vf_device)" "10ca" "vf device"
	eq "$(rd $D/$IGB/sriov_drivers_autoprobe)" "1" "autoprobe"
	eq "$(rd $D/$IGB/driver_override)" "(null)" "override unset"
	eq "$(rd $D/$IGB/reset_method)" "flr bus" "reset_method"
	eq "$(drv $IGB)" "igb" "PF driver"
	eq "$(grp $IGB)" "6" "PF group"
	exists sys/kernel/iommu_groups/6/devices/$IGB
	eq "$(basename "$(readlink -f "$MNT/sys/class/net/enp1s0/device")")" "$IGB" "netdev -> device"
	eq "$(rd sys/class/net/enp1s0/operstate)" "up" "PF netdev up"
	eq "$(rd sys/class/net/enp3s0/operstate)" "down" "e1000e netdev down"
	eq "$(stat -c %s "$MNT/$D/$IGB/config")" "4096" "PCIe config size"
	eq "$(stat -c %s "$MNT/$D/0000:05:01.0/config")" "256" "PCI config size"
	eq "$(od -An -tx2 -N4 "$MNT/$D/$IGB/config" | tr -d ' ')" "808610c9" "config ids"
	absent $D/$E1000E/sriov_numvfs
	exists sys/class/iommu/dmar0
	exists dev/vfio/vfio
	exists sys/module/vfio_pci/parameters/enable_sriov
	# The shared group: root port without ACS, PCIe-to-PCI bridge, two NICs.
	eq "$(find "$MNT/sys/kernel/iommu_groups/5/devices" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" \
		"0000:00:06.0 0000:04:00.0 0000:05:01.0 0000:05:02.0 " "shared group"
}

t_fs_lspci_reads_tree() {
	# libpci as an independent reader of the tree and its config space.
	local out
	out=$(lspci -A linux-sysfs -O sysfs.path="$MNT/sys/bus/pci" -vv -s 01:00.0 2>/dev/null)
	grep -q "Total VFs: 7, Number of VFs: 0" <<<"$out" || bad "lspci: SR-IOV cap (TotalVFs 7, NumVFs 0)"
	grep -q "MSI-X: Enable- Count=10" <<<"$out" || bad "lspci: MSI-X size"
	grep -q "FLReset+" <<<"$out" || bad "lspci: FLR"
	out=$(lspci -A linux-sysfs -O sysfs.path="$MNT/sys/bus/pci" -vv -s 00:03.0 2>/dev/null)
	grep -q "Access Control Services" <<<"$out" || bad "lspci: ACS on root port"
	out=$(lspci -A linux-sysfs -O sysfs.path="$MNT/sys/bus/pci" -vv -s 00:06.0 2>/dev/null)
	grep -q "Access Control Services" <<<"$out" && bad "lspci: ACS on the non-ACS root port"
}

t_fs_numvfs_create() {
	local i bdf g seen=""
	wok $D/$IGB/sriov_numvfs 3
	eq "$(rd $D/$IGB/sriov_numvfs)" "3" "numvfs"
	i=0
	for bdf in 0000:01:10.0 0000:01:10.2 0000:01:10.4; do
		eq "$(lnk $D/$IGB/virtfn$i)" "$bdf" "virtfn$i"
		eq "$(lnk $D/$bdf/physfn)" "$IGB" "$bdf physfn"
		eq "$(rd $D/$bdf/device)" "0x10ca" "$bdf device id"
		eq "$(drv $bdf)" "igbvf" "$bdf autoprobed"
		exists sys/class/net/enp1s0v$i
		g=$(grp $bdf)
		if [ -z "$g" ] || [ "$g" = 6 ]; then bad "$bdf group '$g'"; fi
		case " $seen " in *" $g "*) bad "$bdf shares group $g" ;; esac
		seen="$seen $g"
		i=$((i + 1))
	done
	absent $D/$IGB/virtfn3
	# vfctl's netlink fake sees the PF's new VF table (IFLA_NUM_VF).
	grep -qx "pf enp1s0 numvfs 3" "$VFCTL_FAKE_NETLINK" || bad "netlink fake not in step"
	grep -qx "pf enp0s2 nosriov" "$VFCTL_FAKE_NETLINK" || bad "other netdevs dropped"
	# Config space follows: VF Enable and NumVFs in the SR-IOV capability.
	eq "$(od -An -tx2 -j $((0x108)) -N2 "$MNT/$D/$IGB/config" | tr -d ' ')" "0019" "IOVCtl"
	eq "$(od -An -tu2 -j $((0x110)) -N2 "$MNT/$D/$IGB/config" | tr -d ' ')" "3" "NumVFs reg"
}

t_fs_numvfs_errors() {
	werr $D/$IGB/sriov_numvfs 8 "Numerical result out of range"
	werr $D/$IGB/sriov_numvfs abc "Invalid argument"
	wok $D/$IGB/sriov_numvfs 2
	werr $D/$IGB/sriov_numvfs 4 "Device or resource busy"
	eq "$(rd $D/$IGB/sriov_numvfs)" "2" "numvfs after EBUSY"
	# Same value: a no-op that succeeds and keeps the same VFs and groups.
	local g1
	g1=$(grp 0000:01:10.2)
	wok $D/$IGB/sriov_numvfs 2
	eq "$(grp 0000:01:10.2)" "$g1" "group after no-op"
	# A PF without a driver cannot configure SR-IOV.
	wok sys/bus/pci/drivers/nvme/unbind $NVME
	werr $D/$NVME/sriov_numvfs 2 "No such file or directory"
	# Removal takes everything away.
	wok $D/$IGB/sriov_numvfs 0
	absent $D/0000:01:10.0
	absent $D/$IGB/virtfn0
	absent sys/class/net/enp1s0v0
	absent sys/kernel/iommu_groups/9
	eq "$(find "$MNT/sys/kernel/iommu_groups" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tr '\n' ' ')" "0 1 2 3 4 5 6 7 8 " "groups left"
}

t_fs_autoprobe_off() {
	wok $D/$IGB/sriov_drivers_autoprobe 0
	eq "$(rd $D/$IGB/sriov_drivers_autoprobe)" "0" "autoprobe"
	wok $D/$IGB/sriov_numvfs 2
	eq "$(drv 0000:01:10.0)" "" "VF left without driver"
	absent sys/class/net/enp1s0v0
	werr $D/$IGB/sriov_drivers_autoprobe x "Invalid argument"
	# Such a VF binds only through driver_override (pci_device_can_probe).
	wok sys/bus/pci/drivers_probe 0000:01:10.0
	eq "$(drv 0000:01:10.0)" "" "no probe without override"
	werr sys/bus/pci/drivers/igbvf/bind 0000:01:10.0 "No such device"
	wok $D/0000:01:10.0/driver_override igbvf
	wok sys/bus/pci/drivers_probe 0000:01:10.0
	eq "$(drv 0000:01:10.0)" "igbvf" "probed through the override"
}

t_fs_nvme_vfs() {
	exists $D/$NVME/nvme/nvme0
	exists dev/nvme0
	wok $D/$NVME/sriov_numvfs 4
	eq "$(lnk $D/$NVME/virtfn3)" "0000:02:00.4" "NVMe virtfn3 (offset 1 stride 1)"
	eq "$(drv 0000:02:00.1)" "nvme" "NVMe VF driver"
	exists $D/0000:02:00.1/nvme/nvme1
	werr $D/$NVME/sriov_numvfs 5 "Numerical result out of range"
}

t_fs_override_probe_vfio() {
	local g
	wok $D/$IGB/sriov_numvfs 2
	g=$(grp 0000:01:10.2)
	wok $D/0000:01:10.2/driver_override vfio-pci
	eq "$(rd $D/0000:01:10.2/driver_override)" "vfio-pci" "override"
	# Probe while bound changes nothing.
	wok sys/bus/pci/drivers_probe 0000:01:10.2
	eq "$(drv 0000:01:10.2)" "igbvf" "still igbvf"
	wok sys/bus/pci/drivers/igbvf/unbind 0000:01:10.2
	eq "$(drv 0000:01:10.2)" "" "unbound"
	absent sys/class/net/enp1s0v1
	absent sys/bus/pci/drivers/igbvf/0000:01:10.2
	wok sys/bus/pci/drivers_probe 0000:01:10.2
	eq "$(drv 0000:01:10.2)" "vfio-pci" "bound to vfio-pci"
	exists sys/bus/pci/drivers/vfio-pci/0000:01:10.2
	[ -c "$MNT/dev/vfio/$g" ] || bad "/dev/vfio/$g not a char device"
	# Back: unbind, clear the override, probe -> native driver again.
	wok sys/bus/pci/drivers/vfio-pci/unbind 0000:01:10.2
	absent "dev/vfio/$g"
	wok $D/0000:01:10.2/driver_override ""
	eq "$(rd $D/0000:01:10.2/driver_override)" "(null)" "override cleared"
	wok sys/bus/pci/drivers_probe 0000:01:10.2
	eq "$(drv 0000:01:10.2)" "igbvf" "back on igbvf"
	werr sys/bus/pci/drivers_probe 0000:09:00.0 "No such device"
}

t_fs_bind_unbind_rules() {
	# vfio-pci has no id table: bind without override is refused.
	wok sys/bus/pci/drivers/e1000e/unbind $E1000E
	werr sys/bus/pci/drivers/vfio-pci/bind $E1000E "No such device"
	# An override naming another driver blocks the native one too.
	wok $D/$E1000E/driver_override vfio-pci
	werr sys/bus/pci/drivers/e1000e/bind $E1000E "No such device"
	wok sys/bus/pci/drivers/vfio-pci/bind $E1000E
	eq "$(drv $E1000E)" "vfio-pci" "bound by bind"
	werr sys/bus/pci/drivers/vfio-pci/bind $E1000E "No such device"
	werr sys/bus/pci/drivers/e1000e/unbind $E1000E "No such device"
	# An override naming a driver that is not loaded leaves the device driverless.
	wok sys/bus/pci/drivers/vfio-pci/unbind $E1000E
	wok $D/$E1000E/driver_override no-such-driver
	wok sys/bus/pci/drivers_probe $E1000E
	eq "$(drv $E1000E)" "" "silent bind failure"
	# Read-only and write-only attributes refuse the other direction.
	werr $D/$E1000E/vendor 0x1234 "Permission denied"
	cat "$MNT/sys/bus/pci/drivers/e1000e/bind" 2>/dev/null && bad "read of bind succeeded"
	werr $D/$E1000E/no_such_attr 1 "Permission denied"
}

t_fs_shared_group_vfio() {
	local a=0000:05:01.0 b=0000:05:02.0
	wok $D/$a/driver_override vfio-pci
	wok sys/bus/pci/drivers/e1000/unbind $a
	wok sys/bus/pci/drivers_probe $a
	exists dev/vfio/5
	wok $D/$b/driver_override vfio-pci
	wok sys/bus/pci/drivers/e1000/unbind $b
	wok sys/bus/pci/drivers_probe $b
	wok sys/bus/pci/drivers/vfio-pci/unbind $a
	exists dev/vfio/5
	wok sys/bus/pci/drivers/vfio-pci/unbind $b
	absent dev/vfio/5
}

t_fs_pf_unbind_drops_vfs() {
	wok $D/$IGB/sriov_numvfs 3
	wok sys/bus/pci/drivers/igb/unbind $IGB
	eq "$(rd $D/$IGB/sriov_numvfs)" "0" "numvfs after PF unbind"
	absent $D/0000:01:10.0
	absent sys/class/net/enp1s0
	wok sys/bus/pci/drivers_probe $IGB
	eq "$(drv $IGB)" "igb" "PF rebound"
	exists sys/class/net/enp1s0
}

t_fs_inject() {
	echo "$D/$E1000E/driver_override EIO" >"$MNT/.sim/inject" || bad "arm inject"
	grep -q "/0000:03:00.0/driver_override EIO 1" "$MNT/.sim/inject" || bad "inject listing"
	werr $D/$E1000E/driver_override vfio-pci "Input/output error"
	eq "$(rd $D/$E1000E/driver_override)" "(null)" "nothing changed by the failed write"
	wok $D/$E1000E/driver_override vfio-pci
	# "always" keeps failing; "clear" disarms.
	echo "sys/bus/pci/drivers/vfio-pci/bind EBUSY always" >"$MNT/.sim/inject"
	wok sys/bus/pci/drivers/e1000e/unbind $E1000E
	werr sys/bus/pci/drivers/vfio-pci/bind $E1000E "Device or resource busy"
	werr sys/bus/pci/drivers/vfio-pci/bind $E1000E "Device or resource busy"
	echo clear >"$MNT/.sim/inject"
	wok sys/bus/pci/drivers/vfio-pci/bind $E1000E
	grep -q "vfio-pci/bind 0000:03:00.0\\\\n = EBUSY (injected)" "$MNT/.sim/log" || bad "log"
	# Bad injection requests are refused.
	(echo "no/such/file EIO" >"$MNT/.sim/inject") 2>/dev/null && bad "inject on missing path"
	(echo "$D/$E1000E/enable EWHAT" >"$MNT/.sim/inject") 2>/dev/null && bad "unknown errno"
	(echo "$D/$E1000E/enable EIO 0" >"$MNT/.sim/inject") 2>/dev/null && bad "count 0"
	true
}

t_fs_ctl_netdev() {
	echo "netdev enp3s0 up" >"$MNT/.sim/ctl" || bad "ctl"
	eq "$(rd sys/class/net/enp3s0/operstate)" "up" "operstate"
	eq "$(rd sys/class/net/enp3s0/flags)" "0x1003" "flags"
	(echo "netdev nosuch up" >"$MNT/.sim/ctl") 2>/dev/null && bad "ctl on missing netdev"
	true
}
