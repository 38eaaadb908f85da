#!/usr/bin/env bash
# Unit tier: every cmocka program in $BUILD/tests/unit, TAP output summed up.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TIER=${TIER:-unit}
pass=0 fail=0
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# A TSan report must fail the test program: stop at the first one, exit 66
# (appended, so it holds whatever else TSAN_OPTIONS says).
if [ "$TIER" = unit-tsan ]; then
	export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS }halt_on_error=1 exitcode=66"
fi
shopt -s nullglob
bins=("$BUILD"/tests/unit/test_*)
bins=("${bins[@]/%.o/}")
for t in $(printf '%s\n' "${bins[@]}" | grep -v '\.[od]$' | sort -u); do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	st=$?
	printf '%s\n' "$out" | sed "s|^|$(basename "$t"): |"
	# a skipped test is not a pass: it counts as failed, named
	p=$(grep -E '^ok ' <<<"$out" | grep -cv '# SKIP')
	f=$(grep -cE '^not ok |^ok .*# SKIP' <<<"$out")
	grep -E '^ok .*# SKIP' <<<"$out" | sed "s|^|$(basename "$t"): skipped, counted as failed: |"
	if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$(basename "$t"): exited $st without a failed test (crash or sanitizer report)"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done
if [ $((pass + fail)) -eq 0 ]; then
	echo "$TIER: no unit test programs found in $BUILD/tests/unit"
	fail=1
fi
echo "$TIER: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
