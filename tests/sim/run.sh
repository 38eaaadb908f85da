#!/usr/bin/env bash
# Simulated host tier: mounts simsysfs (a FUSE sysfs with kernel behaviour)
# for every test case, checks the filesystem's own kernel behaviour, then
# runs vfctl against it and compares human and --json output with golden
# files (tests/sim/golden; regenerate with UPDATE_GOLDEN=1).
#
#   BUILD=build TIER=sim bash tests/sim/run.sh [CASE-PATTERN]
#
# Last line: "<TIER>: N passed, N failed"; exit status non-zero on failure.
# shellcheck disable=SC2317 # the helpers are called by the case files (t_* found at run time) and traps
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT_DIR=$PWD
BUILD=${BUILD:-build}
TIER=${TIER:-sim}
PATTERN=${1:-}
SIM_DIR=$ROOT_DIR/tests/sim
SIMSYSFS=$ROOT_DIR/$BUILD/tests/simsysfs
# vfctl built with the netlink backend that can pick the recording fake
VFCTL=$ROOT_DIR/$BUILD/tests/vfctl-sim
GOLDEN_DIR=$SIM_DIR/golden
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Never touch the caller's state: every path below comes from this run.
unset VFCTL_SYSFS_ROOT VFCTL_STATE_DIR VFCTL_CONFIG_DIR VFCTL_FAKE_NETLINK
pass=0 fail=0
WORK=$(mktemp -d /tmp/vfctl-sim.XXXXXX)
MNT="" SIM_PID=""

finish() {
	echo "$TIER: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

mounted() { [ -n "$MNT" ] && grep -qs " $MNT fuse" /proc/mounts; }

sim_stop() {
	# Also catches a dead daemon's mount ("Transport endpoint is not connected").
	if mounted; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
	fi
	if [ -n "$SIM_PID" ]; then
		wait "$SIM_PID" 2>/dev/null
		local st=$?
		SIM_PID=""
		# A sanitizer report or crash in the daemon fails the case.
		if [ "$st" -ne 0 ]; then
			echo "    simsysfs exited with status $st:"
			sed 's/^/      /' "$T/simsysfs.log" | tail -n 30
			return 1
		fi
	fi
	return 0
}

cleanup() {
	sim_stop >/dev/null 2>&1
	# Never recurse into a mount that could not be taken down.
	mounted || rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'echo "$TIER: interrupted"; exit 1' INT TERM

# sim_start SPEC: mounts a fresh simsysfs at $MNT; state and config under $T.
sim_start() {
	local spec=$1
	MNT=$T/root
	mkdir -p "$MNT" "$T/state" "$T/conf"
	"$SIMSYSFS" --spec "$spec" ${VFCTL_FAKE_NETLINK:+--netlink-state "$VFCTL_FAKE_NETLINK"} \
		"$MNT" >"$T/simsysfs.log" 2>&1 &
	SIM_PID=$!
	# Wait for the mount to come up (or the daemon to die), not a timing check.
	for _ in $(seq 1 200); do
		[ -e "$MNT/.sim/log" ] && return 0
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "    simsysfs did not mount $MNT:"
	sed 's/^/      /' "$T/simsysfs.log"
	# Our own daemon, by its pid: never leave it behind half-started.
	if kill -0 "$SIM_PID" 2>/dev/null; then
		kill "$SIM_PID" 2>/dev/null
	fi
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=""
	return 1
}

# ---- assertion helpers (each failure is reported and fails the case) ----
CASE_FAILS=0
bad() {
	echo "    FAIL: $*"
	CASE_FAILS=$((CASE_FAILS + 1))
}
eq() { # actual expected what
	[ "$1" == "$2" ] || bad "$3: got '$1', expected '$2'"
}
# sw PATH VALUE: write VALUE to the sysfs file PATH (relative to the mount)
# in one write(2), as echo does; prints the error text on failure.
sw() {
	local out
	out=$( (printf '%s\n' "$2" >"$MNT/$1") 2>&1)
	local st=$?
	[ "$st" -eq 0 ] || { echo "${out##*: }"; return 1; }
}
wok() { # PATH VALUE
	local e
	e=$(sw "$1" "$2") || bad "write '$2' > $1 failed: $e"
}
werr() { # PATH VALUE "strerror text"
	local e
	if e=$(sw "$1" "$2"); then
		bad "write '$2' > $1 succeeded, expected '$3'"
	elif [ "$e" != "$3" ]; then
		bad "write '$2' > $1 failed with '$e', expected '$3'"
	fi
}
rd() { cat "$MNT/$1" 2>/dev/null; }
lnk() { basename "$(readlink "$MNT/$1" 2>/dev/null)"; }
exists() { [ -e "$MNT/$1" ] || [ -L "$MNT/$1" ] || bad "$1 missing"; }
absent() {
	if [ -e "$MNT/$1" ] || [ -L "$MNT/$1" ]; then
		bad "$1 exists, expected it gone"
	fi
}
drv() { lnk "sys/bus/pci/devices/$1/driver"; }
grp() { lnk "sys/bus/pci/devices/$1/iommu_group"; }

# vf ARGS...: runs vfctl against the mounted tree.
vf() {
	"$VFCTL" --sysfs-root "$MNT" --state-dir "$T/state" --config-dir "$T/conf" "$@"
}

# vfvm_sim ARGS...: runs vfvm against the mounted tree (it reads no
# options for the root; the environment is how its front end takes it).
vfvm_sim() {
	VFCTL_SYSFS_ROOT=$MNT VFCTL_STATE_DIR=$T/state "$ROOT_DIR/$BUILD/vfvm" "$@"
}

# golden NAME [--rc N] ARGS...: runs vfctl ARGS, compares stdout, stderr and
# exit status (paths of this run replaced by @ROOT@/@TMP@) with golden/NAME.
# golden_vfvm NAME [--rc N] ARGS...: the same with vfvm (the host CPU's
# physical address bits, in mmio-window, replaced by @BITS@).
golden_vfvm() { GOLDEN_PROG=vfvm golden "$@"; }
golden() {
	local name=$1 want_rc="" out file prog=${GOLDEN_PROG:-vfctl}
	shift
	if [ "${1:-}" = "--rc" ]; then
		want_rc=$2
		shift 2
	fi
	file=$GOLDEN_DIR/$name
	out=$T/golden.$name
	{
		if [ "$prog" = vfvm ]; then
			vfvm_sim "$@" >"$T/stdout" 2>"$T/stderr"
		else
			vf "$@" >"$T/stdout" 2>"$T/stderr"
		fi
		local st=$?
		echo "\$ $prog $*"
		cat "$T/stdout"
		echo "--- stderr"
		cat "$T/stderr"
		echo "--- exit $st"
	} | sed -e "s|$MNT|@ROOT@|g" -e "s|$T|@TMP@|g" \
		-e 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] UTC/@TIME@/g' \
		-e 's/"time": [0-9]*/"time": @TIME@/' -e 's/below 2^[0-9]*/below 2^@BITS@/' >"$out"
	local got_rc
	got_rc=$(sed -n 's/^--- exit //p' "$out")
	if [ -n "$want_rc" ] && [ "$got_rc" != "$want_rc" ]; then
		bad "$prog $* exited $got_rc, expected $want_rc"
		sed 's/^/      | /' "$out"
	fi
	if grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$out"; then
		bad "$prog $*: sanitizer report"
		sed 's/^/      | /' "$out"
	fi
	# Sanitizer builds must match the same goldens; never rewrite from them.
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$GOLDEN_DIR"
		cp "$out" "$file"
	elif [ ! -f "$file" ]; then
		bad "golden/$name missing (run with UPDATE_GOLDEN=1 and review the diff)"
		sed 's/^/      | /' "$out"
	elif ! diff -u "$file" "$out" >"$T/diff"; then
		bad "$prog $* differs from golden/$name:"
		sed 's/^/      /' "$T/diff"
	fi
}

# ---- preconditions ----
if [ ! -x "$SIMSYSFS" ]; then
	echo "$TIER: $SIMSYSFS not built (run make BUILD=$BUILD)"
	fail=1
	finish
fi
if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "################################################################"
	echo "# $TIER: FUSE is not available (/dev/fuse or fusermount3 missing):"
	echo "# the simulated host tier CANNOT RUN on this machine."
	echo "# Fix: apt-get install fuse3 (make deps), and modprobe fuse."
	echo "################################################################"
	fail=1
	finish
fi
T=$WORK/probe
mkdir -p "$T"
if ! sim_start "$SIM_DIR/trees/lab.spec"; then
	sim_stop
	if ! grep -q '^fuse:' "$T/simsysfs.log"; then
		echo "$TIER: simsysfs failed to start (not a FUSE problem, see above)"
		fail=1
		finish
	fi
	echo "################################################################"
	echo "# $TIER: simsysfs cannot mount a FUSE filesystem here (root, or"
	echo "# a user allowed to use /dev/fuse and fusermount3, is needed):"
	echo "# the simulated host tier CANNOT RUN."
	echo "################################################################"
	fail=1
	finish
fi
sim_stop

# ---- the cases ----
# Each case file defines functions named t_<name>; each runs on a fresh mount
# of the spec named by its SPEC variable (default trees/lab.spec).
run_case() { # function
	local fn=$1 name=${1#t_} spec
	T=$WORK/$name
	mkdir -p "$T"
	CASE_FAILS=0
	spec=$SIM_DIR/trees/${SPEC:-lab.spec}
	# The recording netlink fake: simsysfs keeps the PF's VF table in step
	# with sriov_numvfs (--netlink-state); the other netdevs are plain.
	export VFCTL_FAKE_NETLINK=$T/netlink.state
	printf '%s\n' "pf enp1s0 numvfs 0" "pf enp0s2 nosriov" "pf enp3s0 nosriov" \
		"pf ens1 nosriov" "pf ens2 nosriov" >"$VFCTL_FAKE_NETLINK"
	if ! sim_start "$spec"; then
		bad "cannot mount $spec"
	else
		"$fn"
		sim_stop || bad "simsysfs daemon failed"
	fi
	if [ "$CASE_FAILS" -eq 0 ]; then
		echo "ok - $name"
		pass=$((pass + 1))
	else
		echo "not ok - $name"
		fail=$((fail + 1))
	fi
}

for f in "$SIM_DIR"/cases/*.sh; do
	SPEC=lab.spec
	NEEDS_VFCTL=0
	before=$(declare -F | awk '{print $3}' | grep '^t_' | sort)
	# shellcheck disable=SC1090
	if ! . "$f"; then
		echo "not ok - $(basename "$f"): does not load"
		fail=$((fail + 1))
		continue
	fi
	fns=$(declare -F | awk '{print $3}' | grep '^t_' | sort | comm -13 <(echo "$before") -)
	# Keep the order the case file defines them in.
	fns=$(grep -oE '^t_[a-z0-9_]+' "$f" | while read -r fn; do grep -qx "$fn" <<<"$fns" && echo "$fn"; done)
	if [ -z "$fns" ]; then
		echo "not ok - $(basename "$f"): defines no t_ cases"
		fail=$((fail + 1))
		continue
	fi
	if [ "$NEEDS_VFCTL" = 1 ] && [ ! -x "$VFCTL" ]; then
		echo "not ok - $(basename "$f"): $VFCTL not built"
		fail=$((fail + 1))
		continue
	fi
	for fn in $fns; do
		[ -n "$PATTERN" ] && [[ $fn != *$PATTERN* ]] && continue
		run_case "$fn"
	done
	for fn in $fns; do unset -f "$fn"; done
done
finish
