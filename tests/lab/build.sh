#!/usr/bin/env bash
# Builds the emulated lab's cached parts under $LAB_CACHE (lab-env.sh):
#   kernel/vmlinuz     Debian's kernel (bookworm-backports 6.12 preferred, 6.1 fallback),
#                      fetched with apt-get download and unpacked with dpkg -x
#   base.cpio.gz       L1 initramfs: busybox-static, the kernel modules the lab needs,
#                      iproute2's ip with its libraries, the L1 init, and the L2 kit
#                      (/lab/l2/bzImage + /lab/l2/initrd)
# Rebuilt when its inputs (these scripts, init files, the kernel package) change.
# The per-run parts (project binaries, cases) are packed by pack-run.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lab-env.sh
. "$(dirname "$0")/lab-env.sh"

# Modules loaded in L1, in this order (dependencies are resolved with modprobe).
L1_MODULES="vfio vfio_iommu_type1 vfio-pci nvme e1000e igb igbvf virtio_net kvm_amd tun
	bridge veth"
# Modules in the L2 initramfs: drivers for everything vfvm may give its guest.
L2_MODULES="nvme e1000e igbvf virtio_net virtio_blk virtio-rng"

mkdir -p "$LAB_CACHE"
cd "$LAB_CACHE"
# Several people (and make check) may start the lab at once: one builder at a time.
exec 9> "$LAB_CACHE/.lock"
flock 9

# --- kernel -------------------------------------------------------------------
# Which binary package the linux-image-amd64 meta package points at: backports first.
pick_kernel_pkg() {
	local v dep
	local all
	all=$(apt-cache madison linux-image-amd64 | awk '{print $3}')
	for v in $(grep bpo <<<"$all") $(grep -v bpo <<<"$all"); do
		dep=$(apt-cache show "linux-image-amd64=$v" 2>/dev/null |
			sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -n 1)
		if [ -n "$dep" ]; then
			echo "$dep"
			return 0
		fi
	done
	return 1
}

# LAB_KERNEL_PKG=linux-image-6.1.0-NN-amd64 picks another kernel (refetched once).
if [ -n "${LAB_KERNEL_PKG:-}" ] && [ "$(cat kernel.pkg 2>/dev/null)" != "$LAB_KERNEL_PKG" ]; then
	echo "$LAB_KERNEL_PKG" > kernel.pkg
fi
if [ ! -s kernel.pkg ]; then
	pkg=$(pick_kernel_pkg) || {
		lab_say "no linux-image-amd64 found by apt-cache (run tools/install-deps.sh, apt-get update)"
		exit 1
	}
	echo "$pkg" > kernel.pkg
fi
KPKG=$(cat kernel.pkg)
if [ ! -f "kernel/$KPKG.stamp" ]; then
	lab_say "fetching $KPKG (apt-get download, unpacked with dpkg -x; never installed)"
	rm -rf kernel deb
	mkdir -p deb kernel
	(cd deb && apt-get download "$KPKG" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
		{ lab_say "apt-get download $KPKG failed"; exit 1; }
	dpkg -x deb/*.deb kernel/root
	touch "kernel/$KPKG.stamp"
fi
kvers=(kernel/root/lib/modules/*)
KVER=${kvers[0]##*/}
KROOT=$LAB_CACHE/kernel/root
[ -f "kernel/root/lib/modules/$KVER/modules.dep" ] || depmod -b "$KROOT" "$KVER"
ln -sf "root/boot/vmlinuz-$KVER" kernel/vmlinuz

# --- inputs hash: rebuild the initramfs only when something it holds changed ---
inputs_hash() {
	{
		echo "$KPKG $L1_MODULES $L2_MODULES"
		cat "$LAB_DIR/build.sh" "$LAB_DIR/l1-init" "$LAB_DIR/l2-init"
		busybox | head -n 1
		ls -l "$(command -v ip)"
	} | sha256sum | cut -d' ' -f1
}
HASH=$(inputs_hash)
if [ -f base.cpio.gz ] && [ "$(cat base.hash 2>/dev/null)" = "$HASH" ]; then
	exit 0
fi
lab_say "building the L1 initramfs for $KVER"

# Copy a binary and the shared libraries it needs (ldd + the dynamic loader).
copy_elf() { # src dst-root
	local src=$1 root=$2 lib
	mkdir -p "$root$(dirname "$src")"
	cp -L "$src" "$root$src"
	for lib in $(ldd "$src" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# Busybox with one symlink per applet; iproute2's ip stays the `ip` on PATH.
make_busybox_root() { # root
	local root=$1 a
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,mnt,var/tmp}
	cp /bin/busybox "$root/bin/busybox"
	for a in $(busybox --list); do
		case $a in busybox | ip) continue ;; esac
		ln -sf busybox "$root/bin/$a"
	done
	ln -sf ../bin/busybox "$root/sbin/modprobe"
	echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
}

# Modules (decompressed, so busybox insmod/modprobe read them) + load order.
add_modules() { # root list
	local root=$1 m f rel deps order=$1/lab/modules.load
	mkdir -p "$root/lab" "$root/lib/modules/$KVER"
	: > "$order"
	for m in $2; do
		if ! deps=$(modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>&1); then
			lab_say "module $m is not in $KVER: left out ($deps)"
			continue
		fi
		printf '%s\n' "$deps" | while read -r kind f _; do
			[ "$kind" = insmod ] || continue
			rel=${f#"$KROOT/lib/modules/$KVER/"}
			rel=${rel%.xz}
			if [ ! -f "$root/lib/modules/$KVER/$rel" ]; then
				mkdir -p "$root/lib/modules/$KVER/$(dirname "$rel")"
				case $f in
				*.xz) xz -dc "$f" > "$root/lib/modules/$KVER/$rel" ;;
				*) cp "$f" "$root/lib/modules/$KVER/$rel" ;;
				esac
				echo "/lib/modules/$KVER/$rel" >> "$order"
			fi
		done
	done
	cp "$KROOT/lib/modules/$KVER"/modules.builtin* "$KROOT/lib/modules/$KVER/modules.order" \
		"$root/lib/modules/$KVER/" 2>/dev/null || true
	depmod -b "$root" "$KVER"
}

pack() { # root out.cpio.gz
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$2"
}

stage=$(mktemp -d "$LAB_CACHE/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# L2 initramfs first: it goes inside L1's.
make_busybox_root "$stage/l2"
add_modules "$stage/l2" "$L2_MODULES"
install -m 0755 "$LAB_DIR/l2-init" "$stage/l2/init"
pack "$stage/l2" "$stage/l2.cpio.gz"

make_busybox_root "$stage/l1"
add_modules "$stage/l1" "$L1_MODULES"
install -m 0755 "$LAB_DIR/l1-init" "$stage/l1/init"
copy_elf "$(readlink -f "$(command -v ip)")" "$stage/l1"
[ -e "$stage/l1/usr/sbin/ip" ] || ln -sf "$(readlink -f "$(command -v ip)")" "$stage/l1/usr/sbin/ip"
for f in /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids; do
	[ -e "$f" ] || continue
	mkdir -p "$stage/l1$(dirname "$f")"
	cp -L "$f" "$stage/l1$f"
done
mkdir -p "$stage/l1/lab/l2"
cp -L "kernel/vmlinuz" "$stage/l1/lab/l2/bzImage"
cp "$stage/l2.cpio.gz" "$stage/l1/lab/l2/initrd"
echo "$KVER" > "$stage/l1/lab/kernel-release"
pack "$stage/l1" "$stage/base.cpio.gz"
mv "$stage/base.cpio.gz" base.cpio.gz
echo "$HASH" > base.hash
lab_say "L1 initramfs ready: $(du -h base.cpio.gz | cut -f1) ($KVER)"
