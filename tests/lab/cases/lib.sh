# shellcheck shell=sh
# Helpers for lab cases (sourced inside L1 by every case: `. /lab/cases/lib.sh`).
. /lab/host.env

# pass NAME / fail NAME WHY / skip NAME WHY: the lines run.sh counts.
pass() { echo "PASS $1"; }
fail() {
	n=$1
	shift
	echo "FAIL $n: $*"
	LAB_FAILED=1
}
# A missing lab prerequisite: a failure under CI=true, said loudly otherwise.
skip() {
	n=$1
	shift
	if [ -n "$LAB_CI" ]; then
		echo "FAIL $n: (CI) lab lacks: $*"
		LAB_FAILED=1
	else
		echo "SKIP $n: lab lacks: $*"
	fi
}
# Run a command, echoing it as a sysadmin would type it.
say() {
	echo "lab# $*"
	"$@"
}

# BDF of the first PCI device with this vendor:device (e.g. 1b36 0010), or "".
lab_find_dev() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "0x$1" ] && [ "$(cat "$d/device")" = "0x$2" ] &&
			[ ! -e "$d/physfn" ] && { basename "$d"; return 0; }
	done
	return 1
}
lab_nvme_pf() { lab_find_dev 1b36 0010; }
lab_e1000e() { lab_find_dev 8086 10d3; }
lab_igb_pf() { lab_find_dev 8086 10c9; }
lab_virtio_net() { lab_find_dev 1af4 1041; }

# Name of the driver bound to BDF, or "".
lab_driver() {
	[ -e "/sys/bus/pci/devices/$1/driver" ] || return 0
	basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
}
lab_group() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
# BDF of VF number N (0-based) of PF.
lab_vf() { basename "$(readlink "/sys/bus/pci/devices/$1/virtfn$2")"; }
# The netdev of a PCI device, or "".
lab_netdev() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | head -n 1; }

# Wait up to $2 seconds (default 30) for the shell condition $1.
lab_wait() {
	i=0
	while [ "$i" -lt "${2:-30}" ]; do
		eval "$1" && return 0
		sleep 1
		i=$((i + 1))
	done
	eval "$1"
}

# Bind BDF to DRIVER by hand (driver_override + drivers_probe), for cases that
# need a device in a state before testing vfctl on it.
lab_bind_raw() {
	[ -e "/sys/bus/pci/devices/$1/driver" ] &&
		echo "$1" > "/sys/bus/pci/devices/$1/driver/unbind"
	echo "$2" > "/sys/bus/pci/devices/$1/driver_override"
	echo "$1" > /sys/bus/pci/drivers_probe
	echo > "/sys/bus/pci/devices/$1/driver_override"
}

# True when vfctl is in the lab and knows VERB (its front end is growing).
lab_has_verb() {
	command -v vfctl > /dev/null || return 1
	vfctl "$1" --help > /dev/null 2>&1 || vfctl help "$1" > /dev/null 2>&1
}
