# shellcheck shell=bash
# vfvm check --numa on a simulated two-node host (trees/numa.spec): the guest
# nodes vfvm run --numa would make mirror the nodes of the devices (vCPUs
# and RAM split evenly, vCPUs on their node's CPUs, each device's _PXM), a
# device with no node is warned of by its BDF, and plans that cannot be made
# (more nodes than vCPUs, under 128 MiB a node, --cpu-affinity off a
# device's node) fail with their numbers.  --cpu-affinity keeps the CPUs
# the vCPUs may use independent of this machine's.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
SPEC=numa.spec
VFVM=$ROOT_DIR/$BUILD/vfvm
N0=0000:17:00.0
N1=0000:98:00.0
NONE=0000:19:00.0

t_vfvm_check_numa_two_nodes() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return; }
	local st
	vfvm_sim check --device "$N1" --device "$N0" --device "$NONE" --numa --mem 4G --cpus 5 \
		--cpu-affinity 0-7 >"$T/out" 2>"$T/err"
	st=$?
	eq "$st" 0 "exit status of vfvm check --numa (2 nodes, 5 vCPUs, 4 GiB)"
	grep -qx 'guest NUMA node 0 = host node 0: vCPUs 0-2 on host CPUs 0-3, 2048 MiB RAM at 0x0-0x7fffffff' "$T/out" ||
		bad "guest node 0: $(cat "$T/out")"
	grep -qx 'guest NUMA node 1 = host node 1: vCPUs 3-4 on host CPUs 4-7, 2048 MiB RAM at 0x80000000-0xbfffffff + 0x100000000-0x13fffffff' "$T/out" ||
		bad "guest node 1 (RAM across the 32-bit hole): $(cat "$T/out")"
	grep -qx "  $N0: host node 0 -> _PXM 0" "$T/out" || bad "_PXM of $N0: $(cat "$T/out")"
	grep -qx "  $N1: host node 1 -> _PXM 1" "$T/out" || bad "_PXM of $N1: $(cat "$T/out")"
	grep -q "$NONE.*_PXM" "$T/out" && bad "$NONE has no node but got a _PXM: $(cat "$T/out")"
	grep -qx "vfvm check: warning: --numa: $NONE has no NUMA node (its numa_node is -1): it gets no _PXM and places no guest node" "$T/err" ||
		bad "no warning naming $NONE: $(cat "$T/err")"
}

t_vfvm_check_numa_one_device() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return; }
	# one device on node 1, vCPUs on node 1's CPUs: one guest node, mirroring host node 1
	vfvm_sim check --device "$N1" --numa --mem 1G --cpus 2 --cpu-affinity 4-7 >"$T/out" 2>"$T/err"
	eq "$?" 0 "exit status (one device on node 1)"
	eq "$(grep -c '^guest NUMA node' "$T/out")" 1 "guest nodes"
	grep -qx 'guest NUMA node 0 = host node 1: vCPUs 0-1 on host CPUs 4-7, 1024 MiB RAM at 0x0-0x3fffffff' "$T/out" ||
		bad "guest node 0: $(cat "$T/out")"
	# --cpu-affinity on node 0 too: its node is mirrored as well
	vfvm_sim check --device "$N1" --numa --mem 1G --cpus 2 --cpu-affinity 0,4 >"$T/out" 2>"$T/err"
	eq "$?" 0 "exit status (one device on node 1, --cpu-affinity 0,4)"
	if ! grep -qx 'guest NUMA node 0 = host node 0: vCPU 0 on host CPUs 0, 512 MiB RAM at 0x0-0x1fffffff' "$T/out" ||
		! grep -qx 'guest NUMA node 1 = host node 1: vCPU 1 on host CPUs 4, 512 MiB RAM at 0x20000000-0x3fffffff' "$T/out"; then
		bad "--cpu-affinity 0,4: $(cat "$T/out")"
	fi
}

t_vfvm_check_numa_errors() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return; }
	# more guest nodes than vCPUs
	vfvm_sim check --device "$N0" --device "$N1" --numa --mem 4G --cpus 1 --cpu-affinity 0-7 \
		>"$T/out" 2>"$T/err"
	eq "$?" 3 "exit status (2 nodes, 1 vCPU)"
	grep -q '^vfvm check: --numa: 2 guest nodes (mirroring host nodes 0,1) need at least 2 vCPUs, one each; --cpus is 1$' "$T/err" ||
		bad "2 nodes, 1 vCPU: $(cat "$T/err")"
	# too little RAM for two nodes
	vfvm_sim check --device "$N0" --device "$N1" --numa --mem 200M --cpus 2 --cpu-affinity 0-7 \
		>"$T/out" 2>"$T/err"
	eq "$?" 3 "exit status (2 nodes, 200 MiB)"
	grep -q 'need at least 128 MiB of RAM each; --mem 200 MiB gives 100 MiB per node$' "$T/err" ||
		bad "2 nodes, 200 MiB: $(cat "$T/err")"
	# --cpu-affinity with no CPU on the node of a device
	vfvm_sim check --device "$N1" --numa --mem 1G --cpus 2 --cpu-affinity 0-3 >"$T/out" 2>"$T/err"
	eq "$?" 3 "exit status (--cpu-affinity off node 1)"
	grep -q "guest node 1 mirrors host node 1 of $N1, but none of the CPUs the vCPUs may use (0-3) is on it (its CPUs: 4-7)" "$T/err" ||
		bad "--cpu-affinity off the device's node: $(cat "$T/err")"
	# usage: --numa needs --mem; --cpus goes with --numa
	vfvm_sim check --device "$N0" --numa >"$T/out" 2>"$T/err"
	eq "$?" 2 "exit status (--numa without --mem)"
	grep -q -- '--numa needs --mem SIZE' "$T/err" || bad "--numa without --mem: $(cat "$T/err")"
}
