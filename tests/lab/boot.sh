#!/usr/bin/env bash
# Boots the emulated lab once and runs the given scripts inside L1, in order:
#   tests/lab/boot.sh CASE.sh...      (paths on the host)
# The serial console (every case's output and the markers of l1-init) goes to
# stdout.  Builds the cached parts first (build.sh); packs a per-run cpio with
# the project's binaries from $BUILD, tests/lab/cases/lib.sh and the scripts,
# and appends it to the cached initramfs.  Exits with QEMU's status (124 when
# the host-side timeout LAB_TIMEOUT killed it, 125 when L1 hung in early boot,
# 126 after "LAB-WEDGED CASE" when L1 stopped in the middle of CASE).
# LAB_SHELL=1 leaves an interactive shell on the console after the scripts.
# LAB_L1_KERNEL=FILE boots L1 on another kernel image (the lab-iommufd tier's
# self-built one, drivers built in); L2 keeps Debian's kernel either way.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lab-env.sh
. "$(dirname "$0")/lab-env.sh"

bash "$LAB_DIR/build.sh"

run=$(mktemp -d "${TMPDIR:-/tmp}/vflab.XXXXXX")
trap 'rm -rf "$run"' EXIT
root=$run/root
mkdir -p "$root/usr/local/bin" "$root/lab/cases"

copy_elf() { # src dst
	local src=$1 dst=$2 lib
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
	for lib in $(ldd "$src" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# The project's programs and the lab's own helpers, as far as they are built.
for p in vfctl vfvm; do
	[ -x "$LAB_BUILD/$p" ] && copy_elf "$LAB_BUILD/$p" "/usr/local/bin/$p"
done
for p in "$LAB_BUILD"/tests/lab/*; do
	[ -f "$p" ] && [ -x "$p" ] && copy_elf "$p" "/usr/local/bin/$(basename "$p")"
done
# The KVM tier's test programs (tests/kvm/kvm.mk) too.
for p in "$LAB_BUILD"/tests/kvm/*; do
	[ -f "$p" ] && [ -x "$p" ] && copy_elf "$p" "/usr/local/bin/$(basename "$p")"
done
# The guest programs (tests/guests, flat images) for the KVM tier in L1.
mkdir -p "$root/lab/guests"
for p in "$LAB_BUILD"/guests/*.bin; do
	[ -f "$p" ] && cp "$p" "$root/lab/guests/"
done
cp "$LAB_DIR/cases/lib.sh" "$root/lab/cases/lib.sh"
# The KVM tier's scripts (bash) run here on L1's KVM when the host has none
# (tests/kvm/run.sh): bash and the tier's files.
copy_elf "$(command -v bash)" /usr/local/bin/bash
mkdir -p "$root/lab/kvm-tier/tests"
cp -r "$LAB_TOP/tests/kvm" "$root/lab/kvm-tier/tests/kvm"
install -m 0755 "$LAB_DIR/mkrom.sh" "$root/usr/local/bin/lab-mkrom"
: > "$root/lab/plan"
for c in "$@"; do
	cp "$c" "$root/lab/cases/$(basename "$c")"
	echo "/lab/cases/$(basename "$c")" >> "$root/lab/plan"
done
# Host facts the cases need to word their verdicts (e.g. QEMU without igb).
{
	echo "LAB_QEMU_VERSION='$("$LAB_QEMU" --version | head -n 1)'"
	lab_qemu_has igb && echo "LAB_HAS_IGB=1" || echo "LAB_HAS_IGB=0"
	[ "${CI:-}" = true ] && echo "LAB_CI=1" || echo "LAB_CI="
	echo "LAB_WANT_IOMMUFD=${LAB_WANT_IOMMUFD:-}"
	# the KVM tier's case files to run alone (tests/kvm/run.sh), words only
	echo "KVM_CASES='$(printf '%s' "${KVM_CASES:-}" | tr -cd 'a-z0-9_ -')'"
} > "$root/lab/host.env"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$run/run.cpio.gz"
# LAB_EXTRA_CPIO=FILE: one more archive for L1 (e.g. a bench's peer VMM).
cat "$LAB_CACHE/base.cpio.gz" "$run/run.cpio.gz" ${LAB_EXTRA_CPIO:+"$LAB_EXTRA_CPIO"} > "$run/initrd"

# A scratch namespace for the NVMe subsystem; fresh every run.
truncate -s 64M "$run/nvme0.raw"
# An option ROM for the virtio-net device, so that vfvm's rom=on has a real
# device ROM to pass on (the NICs get none: romfile=).
sh "$LAB_DIR/mkrom.sh" "$run/virtio-net.rom" 1af4 1041

dev=(
	-device "intel-iommu,intremap=on"
	-device "pcie-root-port,id=rp1,chassis=1,slot=1"
	-device "pcie-root-port,id=rp2,chassis=2,slot=2"
	-device "pcie-root-port,id=rp3,chassis=3,slot=3"
	-device "pcie-root-port,id=rp4,chassis=4,slot=4"
	-device "nvme-subsys,id=s0,nqn=vflab0"
	-device "nvme,id=nvme0,bus=rp1,serial=vflab0,subsys=s0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4"
	-drive "file=$run/nvme0.raw,if=none,id=nvd0,format=raw"
	-device "nvme-ns,drive=nvd0,bus=nvme0,nsid=1,shared=on"
	-netdev "user,id=n1" -device "e1000e,bus=rp2,netdev=n1,romfile="
)
if lab_qemu_has igb; then
	dev+=(-netdev "user,id=n2" -device "igb,bus=rp3,netdev=n2,romfile=")
else
	lab_say "QEMU $("$LAB_QEMU" --version | head -n 1) has no igb device: igb cases will report it"
fi
dev+=(-netdev "user,id=n3" -device "virtio-net-pci,bus=rp4,netdev=n3,disable-legacy=on,iommu_platform=on,romfile=$run/virtio-net.rom")
# LAB_BIG_BAR=1 (opt-in, issue 13; run.sh sets it for tests/lab/bigbar/): an
# ivshmem-plain whose 64-bit prefetchable BAR2 is a sparse file of
# LAB_BIG_BAR_SIZE (256G, an H200's BAR2), behind its own root port after
# the others so the BDFs above do not move, and a second one of
# LAB_BIG_BAR2_SIZE (64G; 0 leaves it out) behind a root port after that
# (two big BARs for peer-to-peer).  L1 gets the physical address bits, the q35 64-bit
# hole and the vIOMMU width (aw-bits, 48 is QEMU 10's default) to hold them,
# and LAB_BIG_BAR_MEM (3072 MiB) of RAM: with RAM above 4 GiB SeaBIOS sizes
# its 64-bit window to an eighth of the address space (512 GiB) below the
# top; with all RAM below 4 GiB it takes the BARs' sum rounded to 1 GiB,
# aligns the base up to the 256 GiB BAR and the 64 GiB one lands past the
# address bits (seen: 06:00.0 left unassigned).
cpu=max
# LAB_L1_MEM: L1's RAM in MiB (the DMA-map bench wants a free 1 GiB above 4 GiB)
mem=${LAB_L1_MEM:-2048}
machine_extra=()
if [ "${LAB_BIG_BAR:-0}" = 1 ]; then
	mem=${LAB_BIG_BAR_MEM:-3072}
	truncate -s "${LAB_BIG_BAR_SIZE:-256G}" "$run/bigbar.raw"
	cpu=max,phys-bits=${LAB_BIG_BAR_PHYS_BITS:-42}
	machine_extra=(-global "q35-pcihost.pci-hole64-size=${LAB_BIG_BAR_HOLE64:-512G}")
	dev+=(-device "pcie-root-port,id=rp5,chassis=5,slot=5"
		-object "memory-backend-file,id=bigbar,mem-path=$run/bigbar.raw,size=${LAB_BIG_BAR_SIZE:-256G},share=on"
		-device "ivshmem-plain,bus=rp5,memdev=bigbar")
	if [ "${LAB_BIG_BAR2_SIZE:-64G}" != 0 ]; then
		truncate -s "${LAB_BIG_BAR2_SIZE:-64G}" "$run/bigbar2.raw"
		dev+=(-device "pcie-root-port,id=rp6,chassis=6,slot=6"
			-object "memory-backend-file,id=bigbar2,mem-path=$run/bigbar2.raw,size=${LAB_BIG_BAR2_SIZE:-64G},share=on"
			-device "ivshmem-plain,bus=rp6,memdev=bigbar2")
	fi
	dev[1]="intel-iommu,intremap=on,aw-bits=48"
fi

# LAB_NUMA=1 (opt-in; run.sh sets it for tests/lab/numa/): L1 with two NUMA
# nodes - CPU 0 and 1 GiB on node 0, CPU 1 and 1 GiB on node 1, distance
# 21 - and a second e1000e behind a pxb-pcie host bridge on node 1 (bus
# 0x80, after the others, so their BDFs do not move), for vfvm --numa.
numa_opts=()
if [ "${LAB_NUMA:-0}" = 1 ]; then
	numa_opts=(-object "memory-backend-ram,id=m0,size=1024M"
		-object "memory-backend-ram,id=m1,size=1024M"
		-numa "node,nodeid=0,cpus=0,memdev=m0" -numa "node,nodeid=1,cpus=1,memdev=m1"
		-numa "dist,src=0,dst=1,val=21")
	dev+=(-device "pxb-pcie,id=pxb1,bus_nr=128,numa_node=1"
		-device "pcie-root-port,id=rp6,bus=pxb1,chassis=6,slot=0"
		-netdev "user,id=n6" -device "e1000e,bus=rp6,netdev=n6,romfile=")
fi

# no_timer_check: on a loaded host TCG can miss the IO-APIC timer check's
# window, and the kernel panics ("timer doesn't work through
# Interrupt-remapped IO-APIC") before any case runs
append="console=ttyS0 intel_iommu=on no_timer_check panic=-1 loglevel=4 lab.case_timeout=${LAB_CASE_TIMEOUT:-300}"
[ "${LAB_SHELL:-0}" = 1 ] && append="$append lab.shell=1"
# LAB_L1_APPEND: more of L1's kernel command line (the DMA-map bench reserves
# a 1 GiB page at boot, which needs no run-time contiguous allocation)
[ -n "${LAB_L1_APPEND:-}" ] && append="$append $LAB_L1_APPEND"
stdin=/dev/null
[ "${LAB_SHELL:-0}" = 1 ] && stdin=/dev/stdin

# QEMU's monitor on two FIFOs (pipe:), held open here so that neither side
# blocks: the watchdog below asks it for L1's registers when L1 hangs.
monitor=none
if [ "${LAB_SHELL:-0}" != 1 ]; then
	mkfifo "$run/mon.in" "$run/mon.out"
	exec 7<> "$run/mon.in" 8<> "$run/mon.out"
	monitor=pipe:$run/mon
fi

# Each case's own time limit inside L1 (l1-init reads the same header), so
# that the host can tell a case that runs long from an L1 that stopped.
declare -A case_limit
for c in "$@"; do
	t=$(sed -n 's/^# lab-case-timeout: *\([0-9]*\).*/\1/p' "$c" | head -n 1)
	if [ -z "$t" ] || [ "$t" -lt "${LAB_CASE_TIMEOUT:-300}" ]; then
		t=${LAB_CASE_TIMEOUT:-300}
	fi
	case_limit[$(basename "$c" .sh)]=$t
done

# l1_registers: what L1's vCPUs were doing (their instruction pointers), asked
# of QEMU's monitor; printed when L1 stopped answering.
l1_registers() {
	local line
	printf 'info registers -a\n' >&7
	while IFS= read -r -t 5 line <&8; do
		line=${line//$'\r'/}
		case $line in
		CPU*) lab_say "L1 vCPU ${line#CPU}" ;;
		RIP=*) lab_say "  $line" ;;
		esac
	done
}

qemu=(timeout --foreground -k 10 "$LAB_TIMEOUT" "$LAB_QEMU"
	-nodefaults -machine "q35,accel=tcg,kernel-irqchip=split" "${machine_extra[@]}" -cpu "$cpu" -smp 2 -m "$mem"
	"${numa_opts[@]}"
	-display none -monitor "$monitor" -serial stdio -no-reboot
	-kernel "${LAB_L1_KERNEL:-$LAB_CACHE/kernel/vmlinuz}" -initrd "$run/initrd" -append "$append"
	"${dev[@]}")
set +e
if [ "${LAB_SHELL:-0}" = 1 ]; then
	"${qemu[@]}" < "$stdin"
	st=$?
else
	# L1's kernel has been seen to hang in early boot under TCG (RCU stalls,
	# "timer doesn't work through Interrupt-remapped IO-APIC"): that is the
	# emulator's timing, not a test's.  A watchdog stops a boot that has not
	# loaded its modules within LAB_BOOT_TIMEOUT and exits 125 so that
	# run.sh boots again, saying so.
	console=$run/console
	: > "$console"
	"${qemu[@]}" < /dev/null > "$console" 2>&1 &
	qpid=$!
	tail -n +1 -f --pid="$qpid" "$console" &
	tpid=$!
	# The same watchdog stops an L1 that has gone quiet in the middle of a
	# case: l1-init ends every case within its time limit (busybox timeout),
	# so a case with no LAB-END LAB_WEDGE_MARGIN seconds past its limit means
	# L1 itself no longer runs (seen once under TCG: an L1 that printed
	# nothing for 20 minutes).  Exit 126 and a LAB-WEDGED line tell
	# lab_boot_retry which case to start a fresh L1 at.
	waited=0 up=0 hung=0 wedged="" begin_at=0 begin_line=""
	while kill -0 "$qpid" 2>/dev/null; do
		if [ "$up" = 0 ]; then
			if grep -q '^LAB-L1: modules loaded' "$console"; then
				up=1
			elif [ "$waited" -ge "${LAB_BOOT_TIMEOUT:-240}" ]; then
				hung=1
				kill "$qpid"
				break
			fi
		else
			last=$(grep -nE '^LAB-(BEGIN|END|DONE)' "$console" | tail -n 1)
			case $last in
			*:LAB-BEGIN\ *)
				if [ "$last" != "$begin_line" ]; then
					begin_line=$last begin_at=$waited
				fi
				name=${last#*:LAB-BEGIN }
				name=${name%$'\r'} # the serial console's line ends
				limit=$((${case_limit[$name]:-${LAB_CASE_TIMEOUT:-300}} + ${LAB_WEDGE_MARGIN:-180}))
				if [ $((waited - begin_at)) -gt "$limit" ]; then
					wedged=$name
					break
				fi
				;;
			*) begin_line="" ;;
			esac
		fi
		sleep 1
		waited=$((waited + 1))
	done
	if [ -n "$wedged" ]; then
		lab_say "L1 printed no end of case $wedged $limit s after it began (its limit + LAB_WEDGE_MARGIN): L1 is stuck; its vCPUs:"
		l1_registers
		kill "$qpid"
	fi
	wait "$qpid"
	st=$?
	wait "$tpid"
	# QEMU gone while a case ran (no LAB-END, no LAB-DONE): with -no-reboot
	# a reset of L1 itself ends QEMU without a word (seen once in the KVM
	# tier, under TCG's nested SVM); treated as a stop in that case, so that
	# lab_boot_retry gives it and the rest a fresh L1.
	last=$(grep -nE '^LAB-(BEGIN|END|DONE)' "$console" | tail -n 1)
	if [ "$hung" = 0 ] && [ -z "$wedged" ] && [ "$st" -ne 124 ] && [[ $last == *:LAB-BEGIN\ * ]]; then
		wedged=${last#*:LAB-BEGIN }
		wedged=${wedged%$'\r'}
		lab_say "L1 ended (QEMU exit $st) in the middle of case $wedged, without its end: an L1 reset ends QEMU silently (-no-reboot)"
	fi
	if [ "$hung" = 1 ]; then
		lab_say "L1 did not load its modules within ${LAB_BOOT_TIMEOUT:-240}s (early-boot hang under TCG): stopped (LAB_BOOT_TIMEOUT)"
		st=125
	elif [ -n "$wedged" ]; then
		echo "LAB-WEDGED $wedged"
		st=126
	fi
fi
set -e
[ "$st" -eq 124 ] && lab_say "L1 killed after ${LAB_TIMEOUT}s (LAB_TIMEOUT)"
exit "$st"
