#!/usr/bin/env bash
# Whether this machine can build libFuzzer targets: clang, and clang's
# runtime libraries (libFuzzer, ASan, UBSan).  Names what is missing and how
# to get it; exit 1 then.
set -u
say() { printf 'fuzz: %s\n' "$*" >&2; }
if ! command -v clang > /dev/null; then
	say "missing program clang (package clang)"
	say "install it with: make deps   (as root; or: apt-get install clang libclang-rt-14-dev)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	> "$tmp/t.c"
if ! clang -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" 2> "$tmp/err"; then
	sed 's/^/fuzz: clang: /' "$tmp/err" | head -n 5 >&2
	say "clang cannot link a libFuzzer program: its runtime libraries are missing" \
		"(package libclang-rt-14-dev)"
	say "install it with: make deps   (as root; or: apt-get install libclang-rt-14-dev)"
	exit 1
fi
exit 0
