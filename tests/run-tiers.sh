#!/usr/bin/env bash
# Runs the named test tiers in order; each prints its own closing line
# "<tier>: N passed, N failed".  The ASan+UBSan build runs the unit and
# simulated tiers again, the TSan build the unit tier.  Each tier's wall
# time is printed after it, and a table of them at the end, followed by the
# total "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
total_pass=0 total_fail=0 rc=0
times=()
run_tier() { # name script [env...]
	local name=$1 script=$2 out line p f t0 secs
	shift 2
	out=$(mktemp)
	t0=$(date +%s)
	env "$@" bash "$script" 2>&1 | tee "$out"
	local st=${PIPESTATUS[0]}
	secs=$(($(date +%s) - t0))
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$out" | tail -n 1)
	rm -f "$out"
	echo "run-tiers: tier $name took $((secs / 60)) min $((secs % 60)) s"
	times+=("$(printf '%-12s %4d s  %s' "$name" "$secs" "${line#"$name": }")")
	if [ -z "$line" ]; then
		echo "run-tiers: tier $name printed no closing line (exit $st): counted as failed"
		total_fail=$((total_fail + 1))
		rc=1
		return
	fi
	if [ "$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")" -eq 0 ]; then
		echo "run-tiers: tier $name passed no test: counted as failed"
		total_fail=$((total_fail + 1))
		rc=1
	fi
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$st" -ne 0 ] || [ "$f" -ne 0 ] && rc=1
}
for t in "$@"; do
	case $t in
	unit)
		run_tier unit tests/run-unit.sh BUILD=build
		run_tier unit-asan tests/run-unit.sh BUILD=build-asan TIER=unit-asan
		run_tier unit-tsan tests/run-unit.sh BUILD=build-tsan TIER=unit-tsan ;;
	sim)
		run_tier sim tests/sim/run.sh BUILD=build
		run_tier sim-asan tests/sim/run.sh BUILD=build-asan TIER=sim-asan ;;
	# every libFuzzer target for a few seconds (make fuzz runs them longer)
	fuzz) run_tier fuzz tests/fuzz/run.sh FUZZ_SECONDS="${FUZZ_TIER_SECONDS:-5}" ;;
	kvm) run_tier kvm tests/kvm/run.sh BUILD=build ;;
	lab) run_tier lab tests/lab/run.sh BUILD=build ;;
	lab-iommufd) run_tier lab-iommufd tests/lab/run-iommufd.sh BUILD=build ;;
	*) echo "run-tiers: unknown tier '$t'"; rc=1 ;;
	esac
done
echo
echo "run-tiers: wall time per tier"
printf '  %s\n' "${times[@]}"
echo
echo "$total_pass passed, $total_fail failed"
exit $rc
