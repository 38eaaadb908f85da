# shellcheck shell=sh
# Runs inside the emulated lab's L1 (started by bench_apply.sh through
# tests/lab/boot.sh): times `vfctl apply` on the real kernel for a growing
# number of VFs on the igb PF (MAC, VLAN, spoofchk, trust, vfio-pci) and on
# the NVMe PF (VF resources + vfio-pci).  Prints one line per point:
#   BENCH-APPLY <dev> <VFs> <create ms> <no-op ms> <undo ms>
# shellcheck source-path=SCRIPTDIR source=../lab/cases/lib.sh
. /lab/cases/lib.sh

W=/tmp/bench-apply
now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N | "") awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime ;;
	*) echo $((t / 1000000)) ;;
	esac
}

# run_apply: elapsed ms of one `vfctl apply`, or "fail".
run_apply() {
	t0=$(now_ms)
	if vfctl --state-dir $W/state --config-dir $W/conf apply >$W/out 2>&1; then
		t1=$(now_ms)
		echo $((t1 - t0))
	else
		sed 's/^/  apply: /' $W/out >&2
		echo fail
		BENCH_FAILED=1
	fi
}

bench_pf() { # NAME BDF COUNTS LINKSETTINGS(0/1)
	name=$1 pf=$2 counts=$3 link=$4
	for n in $counts; do
		rm -rf $W
		mkdir -p $W/conf $W/state
		{
			printf '[pf]\nmatch = bdf %s\nnumvfs = %d\nautoprobe = off\n' "$pf" "$n"
			i=0
			while [ "$i" -lt "$n" ]; do
				printf '[vf %d]\ndriver = vfio-pci\n' "$i"
				[ "$link" = 1 ] && printf 'mac = 02:00:00:00:01:%02x\nvlan = %d\nspoofchk = off\ntrust = on\n' \
					"$i" $((100 + i))
				i=$((i + 1))
			done
		} >$W/conf/pf.conf
		# Not in $(...): run_apply records failures in BENCH_FAILED.
		run_apply >$W/c
		run_apply >$W/o
		rm -f $W/conf/pf.conf
		run_apply >$W/u
		echo "BENCH-APPLY $name $n $(cat $W/c) $(cat $W/o) $(cat $W/u)"
	done
}

modprobe vfio-pci 2>/dev/null
if [ "$LAB_HAS_IGB" = 1 ] && igb=$(lab_igb_pf) && [ -n "$igb" ]; then
	BENCH_FAILED=0
	bench_pf igb "$igb" "1 3 7" 1
	if [ "$BENCH_FAILED" = 1 ]; then
		# Still time VF creation and binding when link settings fail here.
		echo "BENCH-APPLY-SKIP igb with link settings: apply failed (console above); timing drivers only as igb-drv"
		bench_pf igb-drv "$igb" "1 3 7" 0
	fi
else
	echo "BENCH-APPLY-SKIP igb: QEMU without igb ($LAB_QEMU_VERSION)"
fi
nvme=$(lab_nvme_pf)
if [ -n "$nvme" ]; then
	BENCH_FAILED=0
	bench_pf nvme "$nvme" "1 2 4" 0
else
	echo "BENCH-APPLY-SKIP nvme: no NVMe PF in the lab"
fi
