#!/usr/bin/env bash
# Puts QEMU (and what microvm loads) into ROOT at the paths it has on this
# host, with its shared libraries, so that L1 can run it as a peer on its
# own KVM; more ELF files may follow (each with its libraries).
#   bash tests/bench/lab/pack-qemu.sh ROOT QEMU [ELF...]
set -eu
root=$1 qemu=$2
shift 2
copy() { # FILE: at the same path under ROOT, symlinks followed
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
}
copy_elf() {
	local lib
	copy "$1"
	for lib in $(ldd "$1" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
		[ -e "$root$lib" ] || copy "$lib"
	done
}
copy_elf "$qemu"
[ "$qemu" = /usr/bin/qemu-system-x86_64 ] ||
	{ mkdir -p "$root/usr/bin" && cp -L "$qemu" "$root/usr/bin/qemu-system-x86_64"; }
# What microvm loads: its SeaBIOS/qboot and the Linux/PVH boot option ROMs;
# bios-256k.bin is SeaBIOS for -M q35/pc (bench_lab_hotplug.sh).
for d in $("$qemu" -L help); do
	for f in bios-microvm.bin bios-256k.bin qboot.rom linuxboot_dma.bin linuxboot.bin pvh.bin kvmvapic.bin \
		multiboot_dma.bin; do
		[ -e "$d/$f" ] && copy "$d/$f"
	done
done
for f in "$@"; do
	copy_elf "$f"
done
