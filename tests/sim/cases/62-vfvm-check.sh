# shellcheck shell=bash
# vfvm check against the simulated host (no /dev/kvm needed): the same
# pre-flight engine, words and JSON as vfctl check, asked for a VMM (the
# driver item; ,managed), human and --json output against golden files.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
NEEDS_VFCTL=1
E1000E=0000:03:00.0
VFVM=$ROOT_DIR/$BUILD/vfvm

vfvm_built() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return 1; }
}

t_vfvm_check() {
	vfvm_built || return
	# managed: vfvm would take it from e1000e; nothing else in the way
	golden_vfvm vfvm-check-managed.txt --rc 0 check --device "$E1000E,managed"
	golden_vfvm vfvm-check-managed.json --rc 0 check --device "$E1000E,managed" --json
	# not on vfio-pci and not managed: the driver item fails, with both fixes
	golden_vfvm vfvm-check-not-vfio.txt --rc 3 check --device "$E1000E"
	# the host's management NIC: in use, whatever binds it
	golden_vfvm vfvm-check-host-nic.json --rc 3 check --device 0000:00:02.0,managed --json
	# a shared group, and an address with no device behind it
	golden_vfvm vfvm-check-shared-group.txt --rc 3 check --device 0000:05:01.0 \
		--device 0000:7f:1f.7
	golden_vfvm vfvm-check-bad-spec.txt --rc 2 check --device "$E1000E,vf-token=nope"
	eq "$(drv $E1000E)" e1000e "driver after vfvm check"
}

# One engine: every item both programs show for a device reads the same
# (id, status, detail), in the human output and in the JSON.
t_vfvm_check_same_words_as_vfctl() {
	vfvm_built || return
	local dev a b
	for dev in 0000:05:01.0 0000:00:02.0 "$E1000E" 0000:02:00.0; do
		vf check "$dev" --json >"$T/vfctl.json"
		vfvm_sim check --device "$dev" --json >"$T/vfvm.json"
		# the items of vfctl check, in vfctl's order, as vfvm says them
		a=$(jq -c '.[0].checks[] | [.id, .status, .detail]' "$T/vfctl.json")
		b=$(jq -c --slurpfile c "$T/vfctl.json" \
			'[$c[0][0].checks[].id] as $ids | .[0].checks[] | select(.id as $i | $ids | index($i)) | [.id, .status, .detail]' \
			"$T/vfvm.json")
		[ -n "$a" ] || bad "vfctl check $dev --json: no items"
		[ "$a" = "$b" ] || bad "vfctl and vfvm say $dev differently: vfctl: $a; vfvm: $b"
		# the same status words, key names and fields in both
		jq -e '.[0] | has("bdf") and has("ready") and (.checks | all(has("id") and has("status") and has("detail") and has("fix")))' \
			"$T/vfvm.json" >/dev/null || bad "vfvm check --json: not the report schema: $(cat "$T/vfvm.json")"
	done
	vf check 0000:05:01.0 >"$T/vfctl.txt"
	vfvm_sim check --device 0000:05:01.0 >"$T/vfvm.txt"
	grep -q '^  fail     iommu-group ' "$T/vfctl.txt" || bad "vfctl: no failed iommu-group line: $(cat "$T/vfctl.txt")"
	a=$(grep '^  fail     iommu-group ' "$T/vfctl.txt")
	b=$(grep '^  fail     iommu-group ' "$T/vfvm.txt")
	eq "$b" "$a" "iommu-group line of vfvm check"
}
