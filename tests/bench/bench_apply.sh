#!/usr/bin/env bash
# vfctl apply time against the number of VFs.
#
# Simulated host: one PF with 128 possible VFs on the FUSE simulated sysfs
# (tests/sim simsysfs) and the recording netlink fake.  For 8, 32 and 128 VFs,
# each declared with MAC, VLAN, spoofchk, trust and driver vfio-pci, it times
#   create     first apply: autoprobe, VF count, every VF setting and bind
#   no-op      the same apply again (reads and compares only)
#   undo       apply after the file is removed (everything put back)
# (median of BENCH_RUNS runs, default 3) and reports each against the 8-VF
# case as a ratio, next to the VF ratio (linear growth), and the cost of each
# added VF between two counts (flat when apply is linear).  Then (unless
# BENCH_LAB=0) the same is measured on the emulated lab's real kernel
# through tests/lab/boot.sh.
# Nothing here asserts a time.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
VFCTL=$TOP/$BUILD/tests/vfctl-sim # with the recording netlink fake
SIMSYSFS=$TOP/$BUILD/tests/simsysfs
COUNTS=(8 32 128)

if [ ! -x "$VFCTL" ] || [ ! -x "$SIMSYSFS" ]; then
	echo "bench_apply: $VFCTL or $SIMSYSFS not built (make BUILD=$BUILD)"
	exit 1
fi
if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "bench_apply: FUSE not available (/dev/fuse, fusermount3): simulated numbers CANNOT be taken"
	exit 1
fi

WORK=$(mktemp -d /tmp/vfctl-bench.XXXXXX)
MNT=$WORK/root
SIM_PID=""
cleanup() {
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
	fi
	[ -n "$SIM_PID" ] && wait "$SIM_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# One igb-like PF that can have 128 VFs (VF routing IDs 01:10.0 .. 02:0f.7).
cat >"$WORK/spec" <<'EOF'
iommu intel
module vfio
module vfio_pci enable_sriov=N disable_idle_d3=N
module vfio_iommu_type1 allow_unsafe_interrupts=N
chr /dev/vfio/vfio 10:196
driver pcieport class=0604
driver igb ids=8086:10c9 sriov net
driver igbvf ids=8086:10ca net
driver vfio-pci vfio
dev 0000:00:03.0 id=1b36:000c subsys=1b36:0000 class=060400 bridge pcie=rootport acs group=2 driver=pcieport
dev 0000:01:00.0 parent=0000:00:03.0 id=8086:10c9 subsys=8086:0000 class=020000 rev=1 pcie=endpoint msix=10 flr reset=flr,bus group=6 numa=0 driver=igb net=enp1s0 up sriov=128 vfoffset=128 vfstride=1 vfid=10ca vfmsix=3 vfreset=flr
EOF

sim_start() {
	mkdir -p "$MNT"
	printf 'pf enp1s0 numvfs 0\n' >"$WORK/netlink.state"
	rm -f "$WORK/netlink.state.log"
	"$SIMSYSFS" --spec "$WORK/spec" --netlink-state "$WORK/netlink.state" "$MNT" \
		>"$WORK/simsysfs.log" 2>&1 &
	SIM_PID=$!
	for _ in $(seq 1 200); do
		[ -e "$MNT/.sim/log" ] && return 0
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench_apply: simsysfs did not mount:"
	cat "$WORK/simsysfs.log"
	return 1
}

sim_stop() {
	fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=""
}

write_conf() { # N FILE
	local n=$1 i
	{
		printf '[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = %d\nautoprobe = off\n' "$n"
		for ((i = 0; i < n; i++)); do
			printf '[vf %d]\nmac = 02:00:00:00:%02x:%02x\nvlan = %d\nspoofchk = off\ntrust = on\ndriver = vfio-pci\n' \
				"$i" $((i / 256)) $((i % 256)) $((100 + i))
		done
	} >"$2"
}

now_ns() { date +%s%N; }

# apply_ms LABEL: runs vfctl apply, prints elapsed ms; a failed apply aborts the bench.
apply_ms() {
	local t0 t1 rc
	t0=$(now_ns)
	VFCTL_FAKE_NETLINK=$WORK/netlink.state "$VFCTL" --sysfs-root "$MNT" \
		--state-dir "$WORK/state" --config-dir "$WORK/conf" apply >"$WORK/out" 2>&1
	rc=$?
	t1=$(now_ns)
	if [ "$rc" -ne 0 ]; then
		echo "bench_apply: vfctl apply ($1) exited $rc:" >&2
		sed 's/^/  /' "$WORK/out" >&2
		return 1
	fi
	echo $(((t1 - t0) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

declare -A CREATE NOOP UNDO
for n in "${COUNTS[@]}"; do
	c=() o=() u=()
	for ((r = 0; r < RUNS; r++)); do
		rm -rf "$WORK/state" "$WORK/conf"
		mkdir -p "$WORK/conf"
		sim_start || exit 1
		write_conf "$n" "$WORK/conf/pf.conf"
		v=$(apply_ms "create $n") || { sim_stop; exit 1; }
		c+=("$v")
		v=$(apply_ms "no-op $n") || { sim_stop; exit 1; }
		o+=("$v")
		if ! grep -q ': unchanged' "$WORK/out"; then
			echo "bench_apply: second apply with $n VFs changed something:" >&2
			sed 's/^/  /' "$WORK/out" >&2
			sim_stop
			exit 1
		fi
		rm -f "$WORK/conf/pf.conf"
		v=$(apply_ms "undo $n") || { sim_stop; exit 1; }
		u+=("$v")
		sim_stop
	done
	CREATE[$n]=$(median "${c[@]}")
	NOOP[$n]=$(median "${o[@]}")
	UNDO[$n]=$(median "${u[@]}")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "vfctl apply on the simulated sysfs (FUSE + netlink fake), median of $RUNS runs, ms:"
printf '  %-5s %-8s %10s %10s %10s   %s\n' VFs "VF x" create no-op undo "ratio vs 8 VFs (create/no-op/undo)"
for n in "${COUNTS[@]}"; do
	printf '  %-5s %-8s %10s %10s %10s   %s / %s / %s\n' "$n" "$(ratio "$n" 8)x" \
		"${CREATE[$n]}" "${NOOP[$n]}" "${UNDO[$n]}" \
		"$(ratio "${CREATE[$n]}" "${CREATE[8]}")" "$(ratio "${NOOP[$n]}" "${NOOP[8]}")" \
		"$(ratio "${UNDO[$n]}" "${UNDO[8]}")"
done
echo "  (a ratio near the VF ratio is linear growth; above it, worse than linear)"
# The cost of one more VF between two counts: flat across the rows when apply is linear.
prev=""
for n in "${COUNTS[@]}"; do
	if [ -n "$prev" ]; then
		printf '  per added VF, %s -> %s VFs: create %s ms, no-op %s ms, undo %s ms\n' "$prev" "$n" \
			"$(awk -v a="${CREATE[$n]}" -v b="${CREATE[$prev]}" -v d=$((n - prev)) 'BEGIN { printf "%.1f", (a - b) / d }')" \
			"$(awk -v a="${NOOP[$n]}" -v b="${NOOP[$prev]}" -v d=$((n - prev)) 'BEGIN { printf "%.2f", (a - b) / d }')" \
			"$(awk -v a="${UNDO[$n]}" -v b="${UNDO[$prev]}" -v d=$((n - prev)) 'BEGIN { printf "%.2f", (a - b) / d }')"
	fi
	prev=$n
done

# ---- the emulated lab ----
# The lab needs no KVM of the host's; BENCH_LAB=0 leaves it out.
if [ "${BENCH_LAB:-1}" = 0 ]; then
	echo "lab: not measured (BENCH_LAB=0)"
	exit 0
fi
if [ ! -x tests/lab/boot.sh ] && [ ! -f tests/lab/boot.sh ]; then
	echo "lab: tests/lab/boot.sh missing: lab number CANNOT be taken"
	exit 1
fi
echo "lab: booting the emulated lab (this takes minutes)..."
BUILD=$BUILD bash tests/lab/boot.sh "$TOP/tests/bench/apply-lab-l1.sh" >"$WORK/lab.log" 2>&1
grep -q '^BENCH-APPLY ' "$WORK/lab.log" || {
	echo "lab: no measurements came back; the end of the console log:"
	tail -n 30 "$WORK/lab.log" | sed 's/^/  /'
	exit 1
}
awk 'function r(a, b) { return (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
{ sub(/\r$/, "") }
/^BENCH-APPLY / {
	dev = $2; n = $3; c = $4; o = $5; u = $6
	if (!hdr++) print "vfctl apply in the emulated lab (real kernel), ms:"
	if (!(dev in base)) { base[dev] = n; bc[dev] = c; bo[dev] = o; bu[dev] = u }
	printf "  %-8s %3s VFs %8s create %8s no-op %8s undo   ratio vs %d VFs: %s / %s / %s (VF ratio %s)\n",
		dev, n, c, o, u, base[dev], r(c, bc[dev]), r(o, bo[dev]), r(u, bu[dev]), r(n, base[dev])
}
/^BENCH-APPLY-SKIP / { print "  lab: " substr($0, 18) }' "$WORK/lab.log"
