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
