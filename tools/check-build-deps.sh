#!/usr/bin/env bash
# Says what the build is missing, before any compiler error can: each
# missing pkg-config module or header with the Debian package that brings
# it, and how to install them.  Exit 0 when nothing is missing.
#   bash tools/check-build-deps.sh
# The module -> package table is the one place that lists the build's
# libraries (tools/install-deps.sh installs the same packages).
set -u

# pkg-config module, Debian package, who needs it
LIBS="libpci libpci-dev vfctl_and_vfvm:_PCI_access_and_names
libnl-3.0 libnl-3-dev vfctl:_netlink_VF_settings
json-c libjson-c-dev vfctl:_JSON_output_and_the_ledger
zlib zlib1g-dev vfvm:_checksums_of_snapshot_sections
libseccomp libseccomp-dev vfvm:_the_per-thread_seccomp_filters_of_its_sandbox
libcap-ng libcap-ng-dev vfvm:_dropping_capabilities_after_setup
libnl-route-3.0 libnl-route-3-dev tests:_veth_pairs_in_the_netlink_unit_tests
cmocka libcmocka-dev tests:_the_unit_tests
fuse3 libfuse3-dev tests:_the_simulated_sysfs"
# header, Debian package
HEADERS="linux/kvm.h linux-libc-dev
linux/vfio.h linux-libc-dev"

missing_pkgs=""
say() { printf 'make: %s\n' "$*" >&2; }
need() { # PACKAGE
	case " $missing_pkgs " in *" $1 "*) ;; *) missing_pkgs="$missing_pkgs $1" ;; esac
}

for t in cc:gcc make:make pkg-config:pkg-config; do
	command -v "${t%%:*}" > /dev/null || { say "missing program ${t%%:*} (package ${t#*:})"; need "${t#*:}"; }
done
if command -v pkg-config > /dev/null; then
	while read -r mod pkg who; do
		pkg-config --exists "$mod" 2> /dev/null && continue
		say "missing pkg-config module $mod (package $pkg; for ${who//_/ })"
		need "$pkg"
	done <<< "$LIBS"
fi
while read -r h pkg; do
	printf '#include <%s>\n' "$h" | ${CC:-cc} -E -x c - > /dev/null 2>&1 && continue
	say "missing header <$h> (package $pkg)"
	need "$pkg"
done <<< "$HEADERS"

[ -z "$missing_pkgs" ] && exit 0
say "install them with: make deps   (as root; or: apt-get install$missing_pkgs)"
exit 1
