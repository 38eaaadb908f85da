#!/usr/bin/env bash
# Lab measurements for `make bench` (tests/bench calls this): boots the lab
# once and runs tests/lab/bench/*.sh in it; prints their "BENCH ..." lines.
# Measured, never asserted.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source-path=SCRIPTDIR source=lab-env.sh
. tests/lab/lab-env.sh
if ! command -v "$LAB_QEMU" > /dev/null; then
	echo "lab bench: $LAB_QEMU missing: run tools/install-deps.sh"
	exit 1
fi
set -o pipefail
bash tests/lab/boot.sh tests/lab/bench/[0-9]*.sh 2>&1 | tr -d '\r' | grep -E '^(BENCH|FAIL|  )'
