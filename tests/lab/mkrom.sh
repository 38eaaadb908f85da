#!/bin/sh
# Writes a small, valid PCI option ROM image: 0x55AA header, a PCI data
# structure ("PCIR") with the given vendor/device, one 4 KiB image marked
# last, the rest random.  Linux reads back exactly the image length, so the
# lab can compare what a guest reads through the ROM BAR with the file.
#   mkrom.sh OUT VENDOR DEVICE      (hex ids without 0x, e.g. 1af4 1041)
# POSIX sh + dd (runs on the host and in L1's busybox).
set -eu
out=$1 ven=$2 dev=$3
# a byte, as the octal escape \0NNN that printf's %b expands
b() { printf '%b' "\\0$(printf '%03o' "$1")"; }
le16() { b $(($1 & 0xff)); b $((($1 >> 8) & 0xff)); }
{
	b 0x55; b 0xaa; b 8            # signature, size in 512-byte units
	dd if=/dev/zero bs=1 count=21 2> /dev/null   # 0x03-0x17
	le16 0x1c; le16 0               # 0x18: offset of the PCI data structure
	printf 'PCIR'                   # 0x1c
	le16 "0x$ven"; le16 "0x$dev"
	le16 0; le16 0x18               # device list pointer, structure length
	b 3; b 0; b 0; b 2              # revision, class code (network)
	le16 8                          # image length, 512-byte units
	le16 1                          # revision of code
	b 0; b 0x80                     # code type x86, last image
	le16 0                          # max runtime image length
	dd if=/dev/urandom bs=1 count=$((4096 - 0x34)) 2> /dev/null
} > "$out"
