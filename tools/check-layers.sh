#!/usr/bin/env bash
# Checks that the library folders form layers: a folder includes headers
# only from itself and the folders after it in LAYERS (the Makefile's
# LIB_DIRS, which is also the static link order).  Prints each include that
# points the wrong way and exits 1; says so and exits 0 when there is none.
#   bash tools/check-layers.sh vfio src/devices src/vmm irq sriov src/host src/lib
set -u
cd "$(dirname "$0")/.." || exit 1
LAYERS=("$@")
declare -A home rank
for i in "${!LAYERS[@]}"; do
	rank[${LAYERS[$i]}]=$i
	for h in "${LAYERS[$i]}"/*.h; do
		[ -e "$h" ] && home[$(basename "$h")]=${LAYERS[$i]}
	done
done
bad=0
for d in "${LAYERS[@]}"; do
	for f in "$d"/*.[ch]; do
		[ -e "$f" ] || continue
		while read -r inc; do
			t=${home[$inc]:-}
			if [ -z "$t" ] || [ "$t" = "$d" ]; then continue; fi
			if [ "${rank[$t]}" -lt "${rank[$d]}" ]; then
				echo "check-layers: $f includes $inc from $t, a layer above $d"
				bad=1
			fi
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
done
[ "$bad" = 0 ] && echo "check-layers: ${LAYERS[*]}: every include points down"
exit "$bad"
