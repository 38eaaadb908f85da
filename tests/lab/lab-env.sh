# shellcheck shell=bash
# Host-side settings shared by build.sh, boot.sh, run.sh and demo.sh.
# Sourced, never run.  Everything the lab downloads or builds (kernel
# packages, the L1 initramfs base, the iommufd kernel) lives in a
# machine-wide cache outside the clone, keyed by its inputs, so that a
# fresh clone (CI) reuses what an earlier run on this machine built.
# `make clean-cache` drops it; LAB_CACHE=DIR moves it.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TOP=$(cd "$LAB_DIR/../.." && pwd)
if [ -z "${LAB_CACHE:-}" ]; then
	if [ "$(id -u)" = 0 ]; then
		LAB_CACHE=/var/cache/vfctl-lab
	else
		LAB_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vfctl-lab
	fi
fi
BUILD=${BUILD:-build}
# shellcheck disable=SC2034 # LAB_BUILD is for the scripts that source this
case $BUILD in
/*) LAB_BUILD=$BUILD ;;
*) LAB_BUILD=$LAB_TOP/$BUILD ;;
esac
# Host-side limit for one whole L1 boot (boot, every case, poweroff).
LAB_TIMEOUT=${LAB_TIMEOUT:-1500}
LAB_QEMU=${LAB_QEMU:-qemu-system-x86_64}

lab_say() { echo "lab: $*" >&2; }

# True when the QEMU in use has the named device model (e.g. igb).
lab_qemu_has() {
	"$LAB_QEMU" -device help 2>/dev/null | grep -q "name \"$1\""
}

# lab_boot_retry LOG SCRIPT...: one L1 boot running the scripts (boot.sh),
# the console on stdout and in LOG; boots again (at most 3 attempts, saying
# so) when L1 hung in early boot (boot.sh's watchdog, exit 125), QEMU's
# TCG aborted on an internal assertion or L1's kernel panicked before any
# script ran - the emulator's faults, not a test's.  When L1 stopped in the
# middle of a case (exit 126, "LAB-WEDGED CASE"), once per run a fresh L1
# runs that case again and the ones after it: LOG keeps the cases that ended
# and a LAB-RETRY line that drops the stopped case's lines (run.sh).
# Returns the last boot's status.
lab_boot_retry() {
	local log=$1 attempt=1 wedges=0 st name i
	shift
	local scripts=("$@")
	: > "$log"
	while :; do
		bash "$LAB_DIR/boot.sh" "${scripts[@]}" 2>&1 | tr -d '\r' | tee "$log.boot"
		st=${PIPESTATUS[0]}
		if [ "$st" -eq 126 ] && [ "$wedges" -lt 1 ] &&
			name=$(sed -n 's/^LAB-WEDGED //p' "$log.boot" | tail -n 1) && [ -n "$name" ]; then
			for i in "${!scripts[@]}"; do
				[ "$(basename "${scripts[$i]}" .sh)" = "$name" ] && break
			done
			cat "$log.boot" >> "$log"
			echo "LAB-RETRY $name: L1 stopped in it (no end past its time limit); a fresh L1 runs it and the rest" |
				tee -a "$log"
			scripts=("${scripts[@]:$i}")
			wedges=$((wedges + 1))
			continue
		fi
		if [ "$attempt" -lt 3 ] && [ "$st" -ne 0 ] && ! grep -q '^LAB-BEGIN' "$log.boot" &&
			grep -q 'Assertion' "$log.boot"; then
			lab_say "QEMU aborted before any script ran (exit $st); booting the lab again"
		elif [ "$attempt" -lt 3 ] && ! grep -q '^LAB-BEGIN' "$log.boot" &&
			grep -q 'Kernel panic' "$log.boot"; then
			lab_say "L1's kernel panicked before any script ran; booting the lab again"
		elif [ "$attempt" -lt 3 ] && [ "$st" -eq 125 ]; then
			lab_say "L1 hung in early boot (attempt $attempt); booting the lab again"
		else
			cat "$log.boot" >> "$log"
			rm -f "$log.boot"
			return "$st"
		fi
		attempt=$((attempt + 1))
	done
}

# lab_missing: the host tools the lab needs that are not installed ("" when
# none), each with the package that brings it.
lab_missing() {
	local t missing=""
	command -v "$LAB_QEMU" > /dev/null || missing="$missing $LAB_QEMU(qemu-system-x86)"
	for t in busybox:busybox-static cpio:cpio gzip:gzip xz:xz-utils depmod:kmod \
		apt-get:apt dpkg:dpkg bash:bash; do
		command -v "${t%%:*}" > /dev/null || missing="$missing ${t%%:*}(${t#*:})"
	done
	echo "$missing"
}
