#!/usr/bin/env bash
# Fuzz tier: builds the libFuzzer targets (tests/fuzz/fuzz.mk: clang, ASan,
# UBSan, into build-fuzz/) and runs each one for FUZZ_SECONDS (default 60),
# starting from its committed seeds (tests/fuzz/corpus/<target>/) plus what
# earlier runs found (build-fuzz/tests/fuzz/corpus/<target>/).  One test per
# target: passed when it ran its time, executed inputs and found no crash
# (sanitizer report, broken invariant, leak, timeout or out-of-memory).  A
# crash leaves its input in build-fuzz/tests/fuzz/crashes/<target>/; rerun it
# with: build-fuzz/tests/fuzz/fuzz_<target> FILE.
#   bash tests/fuzz/run.sh                     every target, FUZZ_SECONDS each
#   FUZZ_TARGETS="msix ledger" bash tests/fuzz/run.sh
# Prints per target executions, coverage (libFuzzer's cov: edges) and
# crashes, a table of them, and "fuzz: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
pass=0 fail=0

if ! bash tests/fuzz/toolchain.sh; then
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "fuzz: building the targets into $BUILD/ (clang, ASan, UBSan, libFuzzer)"
if ! ${MAKE:-make} -j"$(nproc)" fuzz-build FUZZ_BUILD="$BUILD" > "$log" 2>&1; then
	tail -n 40 "$log"
	echo "fuzz: the build failed"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi

targets=${FUZZ_TARGETS:-$(for f in tests/fuzz/fuzz_*.c; do
	f=${f#tests/fuzz/fuzz_}
	echo "${f%.c}"
done)}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rows=()
for t in $targets; do
	bin=$BUILD/tests/fuzz/fuzz_$t
	work=$BUILD/tests/fuzz/corpus/$t
	art=$BUILD/tests/fuzz/crashes/$t
	mkdir -p "$work" "$art"
	args=(-max_total_time="$SECS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
		-artifact_prefix="$art/")
	[ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
	seeds=()
	[ -d "tests/fuzz/corpus/$t" ] && seeds=("tests/fuzz/corpus/$t")
	if [ ! -x "$bin" ]; then
		echo "fuzz: $t: no program $bin"
		fail=$((fail + 1))
		rows+=("$(printf '%-14s %12s %8s %8s' "$t" - - "missing")")
		continue
	fi
	stamp=$(mktemp)
	"$bin" "${args[@]}" "$work" "${seeds[@]}" > "$log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -oE ' cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
	crashes=$(find "$art" -type f -newer "$stamp" | wc -l)
	rm -f "$stamp"
	execs=${execs:-0} cov=${cov:-0}
	echo "fuzz: $t: $execs executions, cov $cov, $crashes crashes (exit $st)"
	if [ "$st" -ne 0 ] || [ "$crashes" -ne 0 ] || [ "$execs" -eq 0 ]; then
		# the sanitizer report or broken invariant, and where the input went
		grep -E -A 30 '^==[0-9]+==ERROR|invariant broken|runtime error|^SUMMARY|deadly signal' "$log" |
			head -n 30 | sed "s|^|fuzz: $t: |"
		grep -E 'Test unit written to|^Base64' "$log" | sed "s|^|fuzz: $t: |"
		[ "$execs" -eq 0 ] && tail -n 20 "$log" | sed "s|^|fuzz: $t: |"
		echo "not ok $t"
		fail=$((fail + 1))
	else
		echo "ok $t"
		pass=$((pass + 1))
	fi
	rows+=("$(printf '%-14s %12s %8s %8s' "$t" "$execs" "$cov" "$crashes")")
done
echo
echo "fuzz: $SECS s per target"
printf '  %-14s %12s %8s %8s\n' target executions coverage crashes
printf '  %s\n' "${rows[@]}"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
