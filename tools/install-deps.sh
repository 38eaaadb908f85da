#!/usr/bin/env bash
# Installs every Debian package the project needs (build, tests, lab, bench).
# Idempotent: does nothing when everything is present. Run as root.
set -euo pipefail

BUILD_PKGS="build-essential pkg-config libpci-dev pci.ids libnl-3-dev libnl-route-3-dev
	libcmocka-dev libfuse3-dev fuse3 libjson-c-dev zlib1g-dev libseccomp-dev libcap-ng-dev
	linux-libc-dev clang-format shellcheck file jq iproute2 pciutils procps acpica-tools
	clang libclang-rt-14-dev"
LAB_PKGS="qemu-system-x86 qemu-utils busybox-static cpio kmod xz-utils zstd hyperfine
	time"
# The lab-iommufd tier builds its L1 kernel from linux-source-6.12 (fetched,
# not installed): the kernel's own build tools.
KBUILD_PKGS="bc bison flex libelf-dev libssl-dev"

# The lab wants QEMU >= 8 (igb) and a 6.12 kernel (iommufd) from bookworm-backports.
# The source is derived from the machine's existing Debian source, never written by name.
add_backports() {
	local list=/etc/apt/sources.list.d/vfctl-backports.sources uri
	[ -f "$list" ] && return 0
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
	uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
	fi
	if [ -z "$uri" ]; then
		echo "install-deps: no bookworm apt source found; lab runs with bookworm's QEMU/kernel" >&2
		return 0
	fi
	cat > "$list" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	NEED_UPDATE=1
}

missing() {
	local p out=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			out="$out $p"
	done
	echo "$out"
}

NEED_UPDATE=0
add_backports
# shellcheck disable=SC2086
need=$(missing $BUILD_PKGS $LAB_PKGS $KBUILD_PKGS)
bp_qemu=""
if ! dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null | grep -q '^1:[89]\|^1:1[0-9]'; then
	bp_qemu=1
fi
if [ -n "$need" ] || [ -n "$bp_qemu" ] || [ "$NEED_UPDATE" = 1 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	[ -n "$need" ] && apt-get install -y -q --no-install-recommends $need
	if [ -n "$bp_qemu" ] && apt-cache policy qemu-system-x86 | grep bookworm-backports >/dev/null; then
		apt-get install -y -q --no-install-recommends -t bookworm-backports \
			qemu-system-x86 qemu-utils || echo "install-deps: backports QEMU unavailable" >&2
	fi
fi
exit 0
