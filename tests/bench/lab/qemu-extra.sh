#!/usr/bin/env bash
# Stand-in for QEMU that tests/bench/bench_lab_vmm.sh hands tests/lab/boot.sh
# as LAB_QEMU: runs the real QEMU (BENCHLAB_REAL_QEMU) with the same
# arguments, except that the -initrd it is given gets the archive
# BENCHLAB_EXTRA_CPIO appended (initramfs archives may be concatenated; the
# kernel unpacks each in turn).  That is how the bench puts QEMU itself into
# L1 without touching the lab's own image: boot.sh has no hook for extra files.
set -u
real=${BENCHLAB_REAL_QEMU:-qemu-system-x86_64}
extra=${BENCHLAB_EXTRA_CPIO:-}
args=()
while [ $# -gt 0 ]; do
	if [ "$1" = -initrd ] && [ $# -ge 2 ] && [ -n "$extra" ]; then
		# Next to boot.sh's per-run initrd, so its cleanup removes it too.
		if ! cat "$2" "$extra" > "$2.bench"; then
			echo "qemu-extra: cannot write $2.bench" >&2
			exit 1
		fi
		args+=(-initrd "$2.bench")
		shift 2
		continue
	fi
	args+=("$1")
	shift
done
exec "$real" "${args[@]}"
