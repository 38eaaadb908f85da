#!/usr/bin/env bash
# make bench: runs every tests/bench/bench_*.sh in turn.  Each measures the
# project side by side with a peer in the same run and prints ratios.
# Nothing here asserts a time; a bench that cannot run says why.
set -u
cd "$(dirname "$0")/../.." || exit 1
export BUILD=${BUILD:-build}
rc=0
for b in tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	echo "=== $(basename "$b" .sh) ==="
	bash "$b" || { echo "bench: $(basename "$b") failed (exit $?)"; rc=1; }
	echo
done
exit $rc
