# shellcheck shell=sh
# Inside L1: how long `vfctl apply` takes against the number of VFs declared,
# on the NVMe PF (VF resources assigned through NVMe virtualization
# management) and on the igb PF.  Prints one "BENCH ..." line per run; the
# numbers are measured, never asserted (TCG: compare growth, not values).
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh
ms_now() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }

apply_timed() { # label
	t0=$(ms_now)
	vfctl apply > /tmp/apply.out 2>&1
	rc=$?
	t1=$(ms_now)
	echo "BENCH vfctl-apply $1 ms=$((t1 - t0)) rc=$rc"
	[ "$rc" = 0 ] || sed 's/^/  /' /tmp/apply.out
}

declare_pf() { # file match numvfs
	cat > "/etc/vfctl.d/$1.conf" <<CONF
[pf]
match = $2
numvfs = $3
CONF
}

mkdir -p /etc/vfctl.d
nvme=$(lab_nvme_pf)
for n in 1 2 4; do
	declare_pf bench-nvme "bdf $nvme" "$n"
	apply_timed "nvme vfs=$n"
	apply_timed "nvme vfs=$n (again, nothing to do)"
	rm /etc/vfctl.d/bench-nvme.conf
	apply_timed "nvme vfs=$n->0 (undo)"
done

igb=$(lab_igb_pf)
if [ -n "$igb" ]; then
	n=$(lab_netdev "$igb")
	ip link set "$n" up
	lab_wait "[ \"\$(cat /sys/class/net/$n/carrier 2>/dev/null)\" = 1 ]" 20
	for v in 1 2 4 7; do
		declare_pf bench-igb "bdf $igb" "$v"
		apply_timed "igb vfs=$v"
		rm /etc/vfctl.d/bench-igb.conf
		apply_timed "igb vfs=$v->0 (undo)"
	done
	ip link set "$n" down
fi
echo "PASS bench-apply-vfs"
