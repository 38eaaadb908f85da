# shellcheck shell=sh
# Helpers for lab cases (sourced inside L1 by every case: `. /lab/cases/lib.sh`).
# boot.sh writes host.env into each run's initramfs:
# shellcheck source=/dev/null
. /lab/host.env

# Debian's busybox shell runs its own applets before anything on PATH; the
# cross-checks need iproute2's ip (JSON output, VF info), so name it.
ip() { /usr/bin/ip "$@"; }

# pass NAME / fail NAME WHY / skip NAME WHY: the lines run.sh counts.
pass() { echo "PASS $1"; }
# shellcheck disable=SC2034,SC3043 # the cases read LAB_FAILED; busybox sh has local
fail() {
	local name="$1"
	shift
	echo "FAIL $name: $*"
	LAB_FAILED=1
	# l1-init reads it: a case may exit 0 after a FAIL line
	echo "$name" >> /run/lab-case-failed
}
# lab_l2_stalled WHY: an L2 guest stopped making progress while vfvm still
# ran it - seen under L1's emulated SVM with several L2 vCPUs (tests/lab/
# README.md, "Known limits"), like its triple faults.  Noted in L1's syslog,
# where l1-init finds it: a case that failed with one runs once more.
lab_l2_stalled() { busybox logger -t lab "L2 stalled: $*"; }

# A missing lab prerequisite: a check that could not run is a failure (in
# and out of CI), said as what the lab lacks.
# shellcheck disable=SC2034,SC3043 # as in fail
skip() {
	local name="$1"
	shift
	echo "FAIL $name: lab lacks: $*"
	LAB_FAILED=1
	echo "$name" >> /run/lab-case-failed
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
# Globs without ls: `lab_paths GLOB` prints each path that exists, one a
# line (nothing when the glob matched nothing); `lab_names DIR/*` prints
# their last parts, as `ls DIR` prints DIR's entries.
lab_paths() (
	for p in "$@"; do
		if [ -e "$p" ] || [ -L "$p" ]; then printf '%s\n' "$p"; fi
	done
)
lab_names() { lab_paths "$@" | sed 's,.*/,,'; }
# The netdev of a PCI device, or "".
lab_netdev() { lab_names "/sys/bus/pci/devices/$1/net"/* | head -n 1; }

# The IOMMU backends this L1 kernel offers vfvm, in $LAB_BACKENDS: "type1"
# always, plus "iommufd" with /dev/iommu and the VFIO device cdev class;
# $LAB_AUTO_BACKEND is the one vfvm picks by itself, as its DMA line names
# it.  In the lab-iommufd tier (LAB_WANT_IOMMUFD=1, the self-built kernel) a
# missing iommufd is a failure, not a note.  Call it directly (not in $(...)).
# shellcheck disable=SC2034 # LAB_BACKENDS is for the cases
lab_backends() {
	if [ -c /dev/iommu ] && [ -d /sys/class/vfio-dev ]; then
		LAB_BACKENDS="type1 iommufd"
		LAB_AUTO_BACKEND=iommufd
		return 0
	fi
	LAB_BACKENDS=type1
	LAB_AUTO_BACKEND=type1v2
	if [ -n "$LAB_WANT_IOMMUFD" ]; then
		fail lab-iommufd-kernel "kernel $(uname -r) has no /dev/iommu or VFIO cdev class"
	else
		echo "lab: kernel $(uname -r) has no iommufd/VFIO cdev (CONFIG_IOMMUFD unset): only type1v2 runs here; the lab-iommufd tier runs both"
	fi
}
# check NAME LOG: vfvm's log says it DMA-mapped guest RAM with the backend it should pick.
lab_check_backend() {
	[ -n "$LAB_AUTO_BACKEND" ] || lab_backends
	want=$LAB_AUTO_BACKEND
	if grep -Eq "^vfvm: DMA-mapped [0-9.]+ GiB of guest RAM \($want\)" "$2"; then
		pass "$1-$want"
	else
		fail "$1-$want" "vfvm did not map guest RAM through $want: $(grep -m1 'DMA-mapped' "$2")"
	fi
}

# The pids whose parent is $1, from /proc/*/stat (the lab-iommufd kernel has
# no /proc/PID/task/TID/children); no fork, so a tight loop may call it.
lab_children() {
	_parent=$1
	for s in /proc/[0-9]*/stat; do
		read -r line < "$s" 2> /dev/null || continue
		# after the command name (which may hold spaces): state ppid ...
		# shellcheck disable=SC2086 # split into fields on purpose
		set -- ${line##*) }
		[ "$2" = "$_parent" ] || continue
		s=${s#/proc/}
		echo "${s%/stat}"
	done
}
# $1 and every process below it.
lab_descendants() {
	echo "$1"
	for c in $(lab_children "$1"); do
		lab_descendants "$c"
	done
}

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

# Run a vfctl (or any) command echoed like `say`, keep its output in $OUT
# and its exit status in $RC, and show both.
run() {
	echo "lab# $*"
	OUT=$("$@" 2>&1)
	RC=$?
	[ -n "$OUT" ] && printf '%s\n' "$OUT"
	[ "$RC" = 0 ] || echo "(exit $RC)"
	return 0
}

# NVMe: the controller (nvmeN) the host nvme driver runs for a PCI function, or "".
lab_nvme_ctrl() { lab_names "/sys/bus/pci/devices/$1/nvme"/* | head -n 1; }
lab_nvme_live() {
	c=$(lab_nvme_ctrl "$1")
	[ -n "$c" ] && [ "$(cat "/sys/class/nvme/$c/state")" = live ]
}
# Completed reads+writes on the multipath path of a VF's controller.
lab_nvme_path_ios() {
	p=$(lab_names "/sys/bus/pci/devices/$1/nvme"/nvme*/* | grep -E '^nvme[0-9]+c[0-9]+n1$' | head -n 1)
	[ -n "$p" ] && awk '{print $1 + $5}' "/sys/block/$p/stat"
}
# Write 128 KiB through the namespace (round-robin over every path, PF and
# VFs), read it back, and check that the data round-tripped and that each VF
# given moved I/O on its own path.  Prints what it saw.
lab_nvme_vf_io() {
	sub=$(lab_paths /sys/class/nvme-subsystem/nvme-subsys* | head -n 1)
	head=$(lab_names "$sub"/* | grep -E '^nvme[0-9]+n1$' | head -n 1)
	echo round-robin > "$sub/iopolicy"
	: > /tmp/nvme-before
	for vf in "$@"; do echo "$vf $(lab_nvme_path_ios "$vf")" >> /tmp/nvme-before; done
	head -c 131072 /dev/urandom > /tmp/nvme-pat
	echo "lab# dd if=/tmp/nvme-pat of=/dev/$head bs=4096 seek=128 count=32 oflag=direct"
	dd if=/tmp/nvme-pat of="/dev/$head" bs=4096 seek=128 count=32 oflag=direct 2>/dev/null
	echo "lab# dd if=/dev/$head of=/tmp/nvme-back bs=4096 skip=128 count=32 iflag=direct"
	dd if="/dev/$head" of=/tmp/nvme-back bs=4096 skip=128 count=32 iflag=direct 2>/dev/null
	echo numa > "$sub/iopolicy"
	cmp -s /tmp/nvme-pat /tmp/nvme-back || { echo "data did not round-trip"; return 1; }
	rc=0
	while read -r vf b; do
		a=$(lab_nvme_path_ios "$vf")
		echo "I/Os on the path of VF $vf: ${b:-none} -> ${a:-none}"
		[ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt "$b" ] || rc=1
	done < /tmp/nvme-before
	return $rc
}

# One live NVMe VF on the lab's PF, created with vfctl: sets $pf and $vf.
# On failure it says so as NAME's FAIL, removes the VFs and returns 1.
lab_nvme_one_vf() {
	pf=$(lab_nvme_pf) || { fail "$1" "no NVMe PF"; return 1; }
	run vfctl vfs "$pf" 1
	vf=$(lab_vf "$pf" 0)
	lab_wait "lab_nvme_live $vf" 20
	if [ -z "$vf" ] || ! lab_nvme_live "$vf"; then
		fail "$1" "no live NVMe VF after vfctl vfs $pf 1"
		run vfctl vfs "$pf" 0
		return 1
	fi
}


# L2 kit: /lab/l2/bzImage + an initramfs that runs SCRIPT as /l2.sh inside
# L2 (then powers off).  Usage: lab_l2_initrd my-l2.sh /tmp/l2-initrd
# shellcheck disable=SC3043 # busybox sh has local
lab_l2_initrd() {
	local d
	d=$(mktemp -d /tmp/vfvm-l2initrd.XXXXXX)
	cp "$1" "$d/l2.sh"
	(cd "$d" && echo l2.sh | cpio -o -H newc 2>/dev/null | gzip) > "$d/extra.gz"
	cat /lab/l2/initrd "$d/extra.gz" > "$2"
	rm -rf "$d"
}

# A VM in the background (its pid in $vpid, its console in $w/l2.log):
# vm_alive, l2_wait PATTERN (up to 300 s for the console to show it, or
# vfvm to end), and uptime_ms for latencies.
# shellcheck disable=SC2154 # $vpid and $w are set by the case
vm_alive() { kill -0 "$vpid" 2> /dev/null; }
# shellcheck disable=SC2154
l2_wait() { lab_wait "grep -q '$1' '$w/l2.log' || ! vm_alive" 300 && grep -q "$1" "$w/l2.log"; }
uptime_ms() { awk '{printf "%d", $1 * 1000}' /proc/uptime; }

# Shell functions for an L2 script (printed, to go before it in l2.sh):
# drv NETDEV, up NETDEV (its master), and find_pair, which sets $sb, $ma
# and $pri to a failover pair's standby, master and primary, or fails.  The
# standby is the virtio netdev enslaved to a master (the failover netdev, on
# the same virtio device but with no master of its own); the primary is the
# igbvf netdev enslaved to the same master.  No names assumed.
lab_l2_failover_funcs() {
	cat << 'EOF'
drv() { basename "$(readlink "/sys/class/net/$1/device/driver" 2> /dev/null)"; }
up() { basename "$(readlink "/sys/class/net/$1/master" 2> /dev/null)"; }
find_pair() {
	sb=""; pri=""; ma=""
	for d in /sys/class/net/*; do
		d=$(basename "$d")
		[ "$(drv "$d")" = virtio_net ] && [ -e "/sys/class/net/$d/master" ] && sb=$d && ma=$(up "$d")
	done
	[ -n "$sb" ] || return 1
	for d in /sys/class/net/*; do
		d=$(basename "$d")
		[ "$(drv "$d")" = igbvf ] && [ "$(up "$d")" = "$ma" ] && pri=$d
	done
	[ -n "$pri" ]
}
EOF
}

# Failover lab network: bridge fobr joins PF netdev $1 and tap fotap, so a
# guest reaches QEMU's user-mode network through a VF or through virtio.
lab_failover_net_up() {
	say ip link add fobr type bridge
	say ip tuntap add dev fotap mode tap
	say ip link set "$1" master fobr
	say ip link set fotap master fobr
	say ip link set fobr up
	say ip link set fotap up
}
lab_failover_net_down() {
	say ip link del fobr
	say ip link del fotap
}
