# shellcheck shell=bash
# Host-side settings shared by build.sh, boot.sh, run.sh and demo.sh.
# Sourced, never run.  Everything the lab builds lives under $LAB_CACHE
# (git-ignored) so a fresh checkout rebuilds it and a second run reuses it.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TOP=$(cd "$LAB_DIR/../.." && pwd)
LAB_CACHE=${LAB_CACHE:-$LAB_DIR/cache}
BUILD=${BUILD:-build}
case $BUILD in
/*) LAB_BUILD=$BUILD ;;
*) LAB_BUILD=$LAB_TOP/$BUILD ;;
esac
# Host-side limit for one whole L1 boot (boot, every case, poweroff).
LAB_TIMEOUT=${LAB_TIMEOUT:-840}
LAB_QEMU=${LAB_QEMU:-qemu-system-x86_64}

lab_say() { echo "lab: $*" >&2; }

# True when the QEMU in use has the named device model (e.g. igb).
lab_qemu_has() {
	"$LAB_QEMU" -device help 2>/dev/null | grep -q "name \"$1\""
}
