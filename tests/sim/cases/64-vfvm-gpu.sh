# shellcheck shell=bash
# vfvm check on a simulated GPU server (trees/gpu.spec): eight H200 with the
# BARs captured from a real one (tests/data/gpu-h200/resource).  The 64-bit
# MMIO window is planned for all the devices and 1 TiB of RAM as vfvm run
# would: it fits (each device's mmio-window item is ok, with the planned
# addresses); the simulated IOMMU's 39-bit address width is the host fact
# that stops it, named by iommu-width.  --mmio64 too small, not whole GiB
# and beyond the physical address bits are refused with their numbers.
# The guest's physical address bits are this host CPU's (no /dev/kvm here):
# the expected results are computed from /proc/cpuinfo.
# shellcheck disable=SC2034 # read by tests/sim/run.sh
SPEC=gpu.spec
VFVM=$ROOT_DIR/$BUILD/vfvm
GPUS=(0000:17:00.0 0000:18:00.0 0000:19:00.0 0000:1a:00.0 0000:1b:00.0 0000:1c:00.0
	0000:1d:00.0 0000:1e:00.0)

host_bits() {
	sed -n 's/^address sizes[[:space:]]*: \([0-9]*\) bits physical.*/\1/p' /proc/cpuinfo | head -1
}

# item JSON ID: "status|detail|fix" of check item ID of the first device
item() {
	jq -r --arg id "$2" '.[0].checks[] | select(.id == $id) | "\(.status)|\(.detail)|\(.fix // "")"' "$1"
}

t_vfvm_check_one_h200() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return; }
	local bits st
	bits=$(host_bits)
	[ -n "$bits" ] || { bad "no 'address sizes' in /proc/cpuinfo"; return; }
	vfvm_sim check --device "${GPUS[0]}" --mem 1T --json >"$T/one.json"
	st=$?
	# the IOMMU's 39 bits cannot reach RAM above 512 GiB: not ready, for that reason only
	eq "$st" 3 "exit status of vfvm check (1 H200, 1 TiB)"
	eq "$(jq -r '[.[0].checks[] | select(.status == "fail") | .id] | join(",")' "$T/one.json")" \
		iommu-width "failed items"
	case "$(item "$T/one.json" iommu-width)" in
	"fail|guest RAM ends at 0x10040000000, beyond the 39-bit DMA address width of the IOMMU (dmar0)"*) ;;
	*) bad "iommu-width: $(item "$T/one.json" iommu-width)" ;;
	esac
	if [ "$bits" -ge 41 ]; then
		# 1 TiB + 1 GiB of RAM, then the window on the next 256 GiB boundary: 1.25 TiB
		eq "$(item "$T/one.json" mmio-window)" \
			"ok|64-bit BARs (256 GiB + 48 MiB) from 0x14000000000 in its root port's window; window 321 GiB at 0x14000000000 (sized from the devices, 1 device(s) need 256 GiB + 48 MiB), below 2^$bits|" \
			"mmio-window of one H200"
		vfvm_sim check --device "${GPUS[0]}" --mem 1T >"$T/one.txt"
		# its own root port shows the host's link: the captured H200's 32 GT/s x16
		eq "$(item "$T/one.json" root-port)" \
			"ok|behind a root port of its own, showing the host's link: 32 GT/s x16 (up to 32 GT/s x16)|" \
			"root-port of one H200"
		vfvm_sim check --device "${GPUS[0]},rootport=off" --json >"$T/one-off.json"
		eq "$(item "$T/one-off.json" root-port)" "ok|rootport=off: on the guest's bus 0, without a root port|" \
			"root-port of one H200, rootport=off"
		grep -q '^  vfio 0000:17:00.0        BAR2   256 GiB at 0x14000000000$' "$T/one.txt" ||
			bad "the plan does not list BAR2 at 1.25 TiB: $(cat "$T/one.txt")"
	else
		case "$(item "$T/one.json" mmio-window)" in
		fail*"$bits physical address bits"*) ;;
		*) bad "mmio-window with $bits bits: $(item "$T/one.json" mmio-window)" ;;
		esac
	fi
}

t_vfvm_check_eight_h200() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return; }
	local bits args=() off=() k want
	bits=$(host_bits)
	for k in "${GPUS[@]}"; do
		args+=(--device "$k")
		off+=(--device "$k,rootport=off")
	done
	vfvm_sim check "${args[@]}" --mem 1T --json >"$T/eight.json"
	eq "$(jq length "$T/eight.json")" 8 "reports"
	if [ "$bits" -lt 43 ]; then
		jq -e --arg b "$bits" 'all(.[]; .checks[] | select(.id == "mmio-window") | .status == "fail" and (.detail | contains($b + " physical address bits")))' \
			"$T/eight.json" >/dev/null || bad "8 H200 with $bits bits: not refused with the bits named"
		return
	fi
	# each GPU behind its own root port: its three BARs are that port's window, so the
	# next 256 GiB BAR waits for the next 512 GiB boundary; the window at 1.25 TiB
	for k in 0 1 2 3 4 5 6 7; do
		want=$(printf '0x%x' $(((1280 << 30) + k * (512 << 30))))
		jq -e --argjson k "$k" --arg w "64-bit BARs (256 GiB + 48 MiB) from $want in its root port's window; window 3 TiB + 833 GiB at 0x14000000000 (sized from the devices, 8 device(s) need 3 TiB + 768 GiB + 48 MiB with their root ports' windows aligned), below 2^$bits" \
			'.[$k].checks[] | select(.id == "mmio-window") | .status == "ok" and .detail == $w' \
			"$T/eight.json" >/dev/null ||
			bad "GPU $k: $(jq -c --argjson k "$k" '.[$k].checks[] | select(.id == "mmio-window")' "$T/eight.json")"
	done
	# rootport=off: on bus 0 every BAR is placed on its own, packed without holes;
	# GPU k's 256 GiB BAR at 1.25 TiB + k * 256 GiB
	vfvm_sim check "${off[@]}" --mem 1T --json >"$T/eight-off.json"
	for k in 0 1 2 3 4 5 6 7; do
		want=$(printf '0x%x' $(((1280 << 30) + k * (256 << 30))))
		jq -e --argjson k "$k" --arg w "64-bit BARs (256 GiB + 48 MiB) from $want; window 2 TiB + 65 GiB at 0x14000000000 (sized from the devices, 8 device(s) need 2 TiB + 384 MiB), below 2^$bits" \
			'.[$k].checks[] | select(.id == "mmio-window") | .status == "ok" and .detail == $w' \
			"$T/eight-off.json" >/dev/null ||
			bad "GPU $k, rootport=off: $(jq -c --argjson k "$k" '.[$k].checks[] | select(.id == "mmio-window")' "$T/eight-off.json")"
	done
	# the same with the window given (8 TiB), and nothing but the IOMMU width against it
	vfvm_sim check "${args[@]}" --mem 1T --mmio64 8T --json >"$T/eight8.json"
	jq -e 'all(.[]; [.checks[] | select(.status == "fail") | .id] == ["iommu-width"])' "$T/eight8.json" \
		>/dev/null || bad "8 H200, --mmio64 8T: $(jq -c '[.[] | .checks[] | select(.status == "fail")]' "$T/eight8.json")"
}

t_vfvm_check_mmio64_refused() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return; }
	local bits st too_big
	bits=$(host_bits)
	# too small for the GPU: what it needs, what was given, the option that does
	vfvm_sim check --device "${GPUS[0]}" --mmio64 128G --json >"$T/small.json"
	st=$?
	eq "$st" 3 "exit status with --mmio64 128G"
	eq "$(item "$T/small.json" mmio-window)" \
		"fail|the devices' 64-bit BARs need 256 GiB + 48 MiB of 64-bit MMIO window, 128 GiB was given|use --mmio64 257G or more, or leave --mmio64 out to size it from the devices" \
		"mmio-window with --mmio64 128G"
	# beyond what the physical address bits allow: named, with the largest window
	too_big=$((1 << (bits - 40)))T
	vfvm_sim check --device "${GPUS[0]}" --mmio64 "$too_big" --json >"$T/big.json"
	case "$(item "$T/big.json" mmio-window)" in
	"fail|a 64-bit MMIO window of $((1 << (bits - 40))) TiB is more than $bits physical address bits allow"*) ;;
	*) bad "--mmio64 $too_big: $(item "$T/big.json" mmio-window)" ;;
	esac
	# not whole GiB, or not a size: usage errors of check and run alike
	vfvm_sim check --device "${GPUS[0]}" --mmio64 1536M >"$T/out" 2>"$T/err"
	eq "$?" 2 "exit status of check --mmio64 1536M"
	grep -q "^vfvm check: --mmio64 1536M: a 64-bit MMIO window of 1 GiB + 512 MiB: the size must be a whole number of GiB (the window's granularity), for example 2G$" "$T/err" ||
		bad "check --mmio64 1536M said: $(cat "$T/err")"
	"$VFVM" run --kernel /nonexistent --mem 1G --mmio64 1536M >"$T/out" 2>"$T/err"
	eq "$?" 2 "exit status of run --mmio64 1536M"
	grep -q "whole number of GiB" "$T/err" || bad "run --mmio64 1536M said: $(cat "$T/err")"
	"$VFVM" run --kernel /nonexistent --mem 1G --mmio64 lots >"$T/out" 2>"$T/err"
	eq "$?" 2 "exit status of run --mmio64 lots"
	grep -q "expected a size like 512G or 4T" "$T/err" || bad "run --mmio64 lots said: $(cat "$T/err")"
}

# gpudirect-clique=N: an NVIDIA GPU takes it (an ok item saying the capability
# is added); anything else is refused naming its vendor and class; out of range
# or not a number is a usage error naming 0-15.
t_vfvm_check_gpudirect_clique() {
	[ -x "$VFVM" ] || { bad "$VFVM not built"; return; }
	vfvm_sim check --device "${GPUS[0]},gpudirect-clique=3" --json >"$T/cl.json"
	eq "$(item "$T/cl.json" gpudirect-clique)" \
		"ok|GPUDirect P2P clique 3: the capability is added to the guest's config space|" \
		"gpudirect-clique on an H200"
	# the root port above it: a bridge, vendor 1b36
	vfvm_sim check --device "0000:00:03.0,gpudirect-clique=3" --json >"$T/cl2.json"
	eq "$(item "$T/cl2.json" gpudirect-clique)" \
		"fail|gpudirect-clique is for NVIDIA GPUs (vendor 0x10de, class 0x03); 0000:00:03.0 is 1b36:000c class 0x060400|drop gpudirect-clique=N from this --device" \
		"gpudirect-clique on a non-NVIDIA device"
	vfvm_sim check --device "${GPUS[0]},gpudirect-clique=16" >"$T/out" 2>"$T/err"
	eq "$?" 2 "exit status of check gpudirect-clique=16"
	grep -q "gpudirect-clique '16' is not a number 0-15" "$T/err" ||
		bad "gpudirect-clique=16 said: $(cat "$T/err")"
	# p2p=off is taken (and only on and off are)
	vfvm_sim check --device "${GPUS[0]},p2p=off" --json >"$T/p2p.json"
	if [ "$(jq length "$T/p2p.json" 2>/dev/null)" != 1 ]; then
		bad "check with p2p=off: $(cat "$T/p2p.json")"
	fi
	vfvm_sim check --device "${GPUS[0]},p2p=no" >"$T/out" 2>"$T/err"
	eq "$?" 2 "exit status of check p2p=no"
	grep -q "unknown option 'p2p=no'" "$T/err" || bad "p2p=no said: $(cat "$T/err")"
}
