# shellcheck shell=sh
# vfvm killed during the DMA map of a large guest: the VMM (the keeper's
# child) of a vfvm with a managed NVMe VF and 768 MiB of RAM is stopped
# while type1 is still pinning and mapping guest RAM (its VmLck grows page
# batch by page batch: caught between 0 and all of it), then killed with
# kill -9.  The keeper gives the VF back (exit 137, record gone), the pinned
# memory comes back to L1, and the VF works on its host driver.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-killed-mapping "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfvm-killed-mapping "/dev/kvm or the L2 kernel/initrd missing"
	exit 0
fi
lab_nvme_one_vf vfvm-killed-mapping || exit 0
orig=$(lab_driver "$vf")
rec=/var/lib/vfctl/vms/mapvm
w=/tmp/vfvm-killed-mapping
mkdir -p "$w"
full=$((768 * 1024)) # kB
avail() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
locked() { awk '/^(VmLck|VmPin):/ {s += $2} END {print s + 0}' "/proc/$1/status" 2> /dev/null; }
before=$(avail)

# Up to three tries to catch the map under way (the poll is a shell loop).
caught="" st="" attempt=0
while [ -z "$caught" ] && [ "$attempt" -lt 3 ]; do
	attempt=$((attempt + 1))
	echo "lab# vfvm run --name mapvm ... --mem 768M --device $vf,managed &   (try $attempt)"
	vfvm run --name mapvm --kernel /lab/l2/bzImage --initrd /lab/l2/initrd \
		--cmdline "console=ttyS0 panic=-1 l2.cmd=sleep" --mem 768M --cpus 1 \
		--device "$vf,managed" > "$w/l2.log" 2>&1 &
	pid=$!
	child="" lck=0 i=0
	while [ "$i" -lt 6000 ] && kill -0 "$pid" 2> /dev/null; do
		[ -n "$child" ] || child=$(lab_children "$pid")
		if [ -n "$child" ]; then
			lck=$(locked "$child")
			[ "${lck:-0}" -gt 0 ] && break
		fi
		sleep 0.01
		i=$((i + 1))
	done
	[ -n "$child" ] && kill -STOP "$child" 2> /dev/null
	lck=$(locked "$child")
	echo "VMM $child stopped with ${lck:-0} kB of $full kB pinned"
	if [ -n "$child" ] && [ "${lck:-0}" -gt 0 ] && [ "$lck" -lt "$full" ]; then
		caught=$lck
	fi
	[ -n "$child" ] && kill -9 "$child"
	wait "$pid"
	st=$?
	# each try must still end with the VF given back
	[ "$(lab_driver "$vf")" = "$orig" ] || break
done

if [ -n "$caught" ]; then
	pass vfvm-killed-mapping-during-map
else
	fail vfvm-killed-mapping-during-map "the map was never caught under way in $attempt tries (last: ${lck:-0} kB of $full kB pinned)"
fi
if [ "$st" = 137 ] && [ "$(lab_driver "$vf")" = "$orig" ] && [ ! -e "$rec" ] &&
	grep -q "killed by signal 9 (SIGKILL)" "$w/l2.log"; then
	pass vfvm-killed-mapping-given-back
else
	fail vfvm-killed-mapping-given-back "keeper exit $st, $vf on '$(lab_driver "$vf")' (was '$orig'), record $([ -e "$rec" ] && echo left || echo gone)"
fi
lab_wait "[ \$(avail) -gt $((before - 65536)) ]" 30
if [ "$(avail)" -gt $((before - 65536)) ]; then
	pass vfvm-killed-mapping-memory-back
else
	fail vfvm-killed-mapping-memory-back "MemAvailable $(avail) kB, was $before kB before the VM"
fi
lab_wait "lab_nvme_live $vf" 20
if lab_nvme_live "$vf"; then
	pass vfvm-killed-mapping-vf-live
else
	fail vfvm-killed-mapping-vf-live "$vf is on '$(lab_driver "$vf")' but its controller is not live"
fi
run vfctl vfs "$pf" 0
rm -rf "$w"
exit 0
