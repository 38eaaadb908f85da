# shellcheck shell=bash
# Shared by the KVM tier scripts (sourced): counters and the case runner.
# The sourcing script sets $out (a temp file that holds the last output).
# shellcheck disable=SC2154 # $out is set by the sourcing script
pass=0 fail=0

ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() {
	echo "not ok - $1: $2"
	sed 's/^/#   /' "$out" | head -n 30
	fail=$((fail + 1))
}

# case_run NAME EXPECTED_STATUS GREP_PATTERN... -- CMD...; returns 0 on pass
case_run() {
	local name=$1 want=$2 st pat
	shift 2
	local pats=()
	while [ "$1" != "--" ]; do pats+=("$1"); shift; done
	shift
	timeout 60 "$@" >"$out" 2>&1 </dev/null
	st=$?
	if [ "$st" -ne "$want" ]; then
		bad "$name" "exit status $st, expected $want"
		return 1
	fi
	for pat in "${pats[@]}"; do
		if ! grep -qE -- "$pat" "$out"; then
			bad "$name" "output lacks /$pat/"
			return 1
		fi
	done
	ok "$name"
}

# need_kvm / need_files FILE...: the part cannot run without them: say what
# is missing and how to get it, print the closing line as one failure, exit.
cannot_run() {
	echo "# $TIER: $1"
	echo "$TIER: 0 passed, 1 failed"
	exit 1
}
need_kvm() {
	[ -c /dev/kvm ] ||
		cannot_run "/dev/kvm is missing here: run the tier with tests/kvm/run.sh, which uses the lab's L1 (it has KVM) on a machine without one"
}
need_files() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || cannot_run "missing $f: run make BUILD=$BUILD first"
	done
}

# tap_netns NS: a network namespace with tap vt0 at 10.0.2.1/24, up (the
# guest programs ping 10.0.2.1); errors in $out.
tap_netns() {
	ip netns add "$1" 2> "$out" && ip -n "$1" link set lo up &&
		ip -n "$1" tuntap add dev vt0 mode tap && ip -n "$1" addr add 10.0.2.1/24 dev vt0 &&
		ip -n "$1" link set vt0 up
}

# wait_for PATTERN FILE: up to 90 s for a line (the lab's L1 may be slow)
wait_for() {
	local i
	for ((i = 0; i < 900; i++)); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_socket SOCKET PID: up to 30 s for vfvm PID's control socket; false
# once that vfvm has exited
wait_socket() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# count_in SNAPDIR: the counting guest's count (at 0x200000) in a snapshot's memory file
count_in() { od -An -t u8 -j $((0x200000)) -N 8 "$1/memory" | tr -d ' '; }

# status_has SOCKET PATTERN...: up to 60 s for `migrate-status` to show every
# pattern at once (polled every 0.1 s); the last answer goes to $out if not
# shellcheck disable=SC2154 # $VFVM and $out are set by the sourcing script
status_has() {
	local s=$1 i p st
	shift
	for ((i = 0; i < 600; i++)); do
		st=$("$VFVM" ctl "$s" migrate-status 2>&1)
		for p in "$@"; do
			grep -qE -- "$p" <<<"$st" || { sleep 0.1 && continue 2; }
		done
		return 0
	done
	echo "$st" >"$out"
	return 1
}

# ctl_case NAME WANT_STATUS PATTERN... -- ARGS...: `$VFVM ctl ARGS` through case_run
# shellcheck disable=SC2154 # $VFVM is set by the sourcing script
ctl_case() {
	local name=$1 want=$2
	shift 2
	local pats=()
	while [ "$1" != "--" ]; do pats+=("$1"); shift; done
	shift
	case_run "$name" "$want" "${pats[@]}" -- "$VFVM" ctl "$@"
}
