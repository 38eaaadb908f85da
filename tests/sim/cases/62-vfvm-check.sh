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

# est_ok FILE MiB: the check's DMA map estimate line in FILE is whole and its
# numbers agree with each other and with --mem (never a time threshold):
# total = rate x GiB, rate = sample time scaled to a GiB, sample = min(64 MiB, RAM).
est_ok() {
	local line
	line=$(grep '^DMA map estimate: ' "$1")
	[ "$(grep -c '^DMA map estimate: ' "$1")" = 1 ] || { bad "--mem $2M: not one estimate line: $(cat "$1")"; return; }
	echo "$line" | grep -Eq '^DMA map estimate: prefault [0-9]+\.[0-9]{3} s for [0-9]+ MiB of guest RAM \([0-9]+\.[0-9]{3} s/GiB: a [0-9]+ MiB sample of 4 KiB pages took [0-9]+\.[0-9]{3} s with [0-9]+ threads? on (any CPU|NUMA node [0-9]+ \(CPUs [0-9,-]+\))\); the IOMMU map is not included \(vfvm check opens no VFIO container\)$' ||
		{ bad "--mem $2M: estimate line not in its form: $line"; return; }
	echo "$line" | awk -v mb="$2" '{
		t = $5; m = $8; r = substr($13, 2); s = $16; x = $24
		want_s = mb < 64 ? mb : 64
		if (m != mb) { print "for " m " MiB, asked " mb; exit 1 }
		if (s != want_s) { print "sample " s " MiB, want " want_s; exit 1 }
		if (t < 0 || r < 0 || x < 0) { print "a negative time"; exit 1 }
		d = r - x * 1024 / s; if (d < 0) d = -d
		if (d > 0.0005 * 1024 / s + 0.0006) { print "rate " r " is not " x " s per " s " MiB scaled to a GiB"; exit 1 }
		d = t - r * m / 1024; if (d < 0) d = -d
		if (d > 0.0005 * m / 1024 + 0.0006) { print "total " t " is not " r " s/GiB x " m " MiB"; exit 1 }
	}' >"$T/est.why" || bad "--mem $2M: estimate inconsistent: $(cat "$T/est.why"): $line"
}

t_vfvm_check_dma_estimate() {
	vfvm_built || return
	local mb
	for mb in 16 256 2048; do
		vfvm_sim check --device "$E1000E,managed" --mem "${mb}M" >"$T/est.txt" 2>&1
		est_ok "$T/est.txt" "$mb"
	done
	# serial prefault: one thread, as vfvm run would use
	VFVM_VFIO_PREFAULT=serial vfvm_sim check --device "$E1000E,managed" --mem 256M >"$T/est.txt" 2>&1
	est_ok "$T/est.txt" 256
	grep -q ' with 1 thread on ' "$T/est.txt" || bad "VFVM_VFIO_PREFAULT=serial: not 1 thread: $(grep '^DMA' "$T/est.txt")"
	# a number of threads (the bench's knob), and one that is not
	VFVM_VFIO_PREFAULT=3 vfvm_sim check --device "$E1000E,managed" --mem 256M >"$T/est.txt" 2>&1
	est_ok "$T/est.txt" 256
	grep -q ' with 3 threads on ' "$T/est.txt" || bad "VFVM_VFIO_PREFAULT=3: not 3 threads: $(grep '^DMA' "$T/est.txt")"
	VFVM_VFIO_PREFAULT=99 vfvm_sim check --device "$E1000E,managed" --mem 256M >"$T/est.txt" 2>&1
	grep -q 'VFVM_VFIO_PREFAULT=99: want parallel, serial, none or a number of threads from 1 to 16' "$T/est.txt" ||
		bad "VFVM_VFIO_PREFAULT=99 not refused: $(cat "$T/est.txt")"
	# no prefault: nothing to estimate, said so
	VFVM_VFIO_PREFAULT=none vfvm_sim check --device "$E1000E,managed" --mem 256M >"$T/est.txt" 2>&1
	grep -q '^DMA map estimate: none: prefault is off (VFVM_VFIO_PREFAULT=none)' "$T/est.txt" ||
		bad "VFVM_VFIO_PREFAULT=none: $(grep '^DMA' "$T/est.txt")"
	# 1 GiB pages: one page is the sample, or the line says why there is none
	vfvm_sim check --device "$E1000E,managed" --mem 2G --hugetlb 1G >"$T/est.txt" 2>&1
	grep -Eq '^DMA map estimate: (prefault .* a 1024 MiB sample of 1 GiB pages took |none: .*1 GiB)' "$T/est.txt" ||
		bad "--hugetlb 1G: $(grep '^DMA' "$T/est.txt")"
	# no --mem, or --json: no estimate (the JSON report keeps its schema)
	vfvm_sim check --device "$E1000E,managed" >"$T/est.txt" 2>&1
	! grep -q '^DMA map estimate' "$T/est.txt" || bad "an estimate without --mem"
	vfvm_sim check --device "$E1000E,managed" --mem 256M --json >"$T/est.txt" 2>/dev/null
	jq -e 'type == "array"' "$T/est.txt" >/dev/null || bad "--json with --mem: not the report: $(cat "$T/est.txt")"
}
