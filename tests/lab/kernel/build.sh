#!/usr/bin/env bash
# Builds the lab's second L1 kernel: Debian's 6.12 source (linux-source-6.12,
# fetched with apt-get download and unpacked with dpkg -x, never installed)
# configured with iommufd and the VFIO device cdev, which Debian's own 6.12
# images leave out.  x86_64_defconfig + iommufd.config, every driver the lab
# needs built in (no modules).  Output: $LAB_CACHE/kernel-iommufd/bzImage.
# Rebuilt only when the source package, the fragment, the compiler or the
# RECIPE below change (hash in kernel-iommufd/bzImage.hash); a rebuild takes
# 10-20 minutes on 2 cores.
#   LAB_KSRC_PKG=linux-source-6.12   the source package to build
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lab-env.sh
. "$(dirname "$0")/../lab-env.sh"

KDIR=$LAB_CACHE/kernel-iommufd
FRAGMENT=$LAB_DIR/kernel/iommufd.config
PKG=${LAB_KSRC_PKG:-linux-source-6.12}
mkdir -p "$KDIR"
exec 9> "$KDIR/.lock"
flock 9

ver=$(apt-cache policy "$PKG" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	lab_say "no $PKG in the apt sources (run tools/install-deps.sh, apt-get update)"
	exit 1
fi
# What decides the image: the source, the fragment, the compiler and the
# recipe below (bump RECIPE when a change to this script changes the
# kernel it builds; editing comments or style must not cost a rebuild).
RECIPE="x86_64_defconfig+fragment,olddefconfig,bzImage; recipe 1"
hash=$({
	echo "$PKG $ver"
	cat "$FRAGMENT"
	echo "$RECIPE"
	gcc --version | head -n 1
} | sha256sum | cut -d' ' -f1)
if [ -s "$KDIR/bzImage" ] && [ "$(cat "$KDIR/bzImage.hash" 2>/dev/null)" = "$hash" ]; then
	exit 0
fi

lab_say "building the iommufd L1 kernel from $PKG $ver (once; 10-20 min on 2 cores)"
start=$(date +%s)
rm -rf "$KDIR/src" "$KDIR/deb"
mkdir -p "$KDIR/deb"
if ! (cd "$KDIR/deb" && apt-get -qq download "$PKG=$ver" > "$KDIR/download.log" 2>&1); then
	grep -v '^W: Download is performed unsandboxed' "$KDIR/download.log" >&2
	lab_say "apt-get download $PKG=$ver failed"
	exit 1
fi
dpkg -x "$KDIR"/deb/*.deb "$KDIR/deb/x"
tarballs=("$KDIR"/deb/x/usr/src/linux-source-*.tar.xz)
tarball=${tarballs[0]}
mkdir -p "$KDIR/src"
tar -xaf "$tarball" -C "$KDIR/src" --strip-components=1
rm -rf "$KDIR/deb"

cd "$KDIR/src"
make -s x86_64_defconfig
scripts/kconfig/merge_config.sh -m .config "$FRAGMENT" > "$KDIR/merge.log" 2>&1
make -s olddefconfig
# The fragment must have taken: a silently dropped option would make a
# kernel that boots but tests nothing new.
missing=""
while read -r opt; do
	grep -qx "$opt=y" .config || missing="$missing $opt"
done < <(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' "$FRAGMENT")
if [ -n "$missing" ]; then
	lab_say "the kernel config lost:$missing (see $KDIR/merge.log)"
	exit 1
fi
if ! make -j"$(($(nproc) + 1))" bzImage > "$KDIR/build.log" 2>&1; then
	tail -n 30 "$KDIR/build.log" >&2
	lab_say "kernel build failed (log: $KDIR/build.log)"
	exit 1
fi
cp arch/x86/boot/bzImage "$KDIR/bzImage"
cp .config "$KDIR/config"
make -s kernelrelease > "$KDIR/release"
echo "$hash" > "$KDIR/bzImage.hash"
cd "$KDIR"
rm -rf "$KDIR/src"
lab_say "iommufd L1 kernel $(cat "$KDIR/release") built in $(($(date +%s) - start)) s"
