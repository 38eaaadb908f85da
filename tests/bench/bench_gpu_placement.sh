#!/usr/bin/env bash
# Where eight H200-class GPUs land in the guest's 64-bit MMIO window:
# vfvm's plan (mmio_plan_build(), what `vfvm run` and `vfvm check` compute,
# through $BUILD/tests/bench/plan_gpus) side by side with QEMU's peer in the
# same run: q35 under TCG, SeaBIOS, 8 pcie-root-ports each holding an
# ivshmem-plain whose BAR2 is a 256 GiB sparse file, no OS.  SeaBIOS
# enumerates and places the BARs; the placement is read from the HMP
# monitor (`info pci`), polled until every BAR2 and every root port's
# prefetchable window is assigned (and a second read agrees).  Then vfvm
# plans the same BAR sizes behind root ports, and the bench prints:
#   - the span each used (lowest to highest byte of the 64-bit BARs and
#     the ports' prefetchable windows) and vfvm span / QEMU span,
#   - whether every big BAR is naturally aligned on each side,
#   - the time to placement: one mmio_plan_build() (median of many calls)
#     against QEMU's start-to-placed (median of GPU_BENCH_RUNS, default 3;
#     QEMU start-up and firmware under TCG: only the order of magnitude
#     compares),
#   - for the H200 fixture (tests/data/gpu-h200, 1 TiB of RAM, 46 bits),
#     each GPU behind its own root port vs all on bus 0 (rootport=off):
#     the window each needs and the ratio.
# When QEMU cannot hold 8 x 256 GiB here it scales down (8 x 64 GiB) and
# says so.  GPU_BENCH_BAR (256G) sets the BAR size, GPU_BENCH_RUNS (3) the
# QEMU runs, GPU_BENCH_TIMEOUT (120 s) how long SeaBIOS may take.  Nothing here asserts a time; a bench that cannot run says why
# and exits 1.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
PLAN=$BUILD/tests/bench/plan_gpus
QEMU=${GPU_BENCH_QEMU:-qemu-system-x86_64}
RUNS=${GPU_BENCH_RUNS:-3}
NGPU=8
BITS=46
LIMIT=${GPU_BENCH_TIMEOUT:-120} # seconds for SeaBIOS to place the BARs
BAR=${GPU_BENCH_BAR:-256G}      # each ivshmem's BAR2 (a power of two, in GiB)
case $BAR in
[1-9]*G) ;;
*)
	echo "bench_gpu_placement: GPU_BENCH_BAR=$BAR: give a BAR size in GiB, such as 256G"
	exit 1
	;;
esac

if [ ! -x "$PLAN" ]; then
	echo "bench_gpu_placement: $PLAN missing (run make BUILD=$BUILD)"
	exit 1
fi
if ! command -v "$QEMU" > /dev/null; then
	echo "bench_gpu_placement: $QEMU missing (make deps): the peer CANNOT be measured"
	exit 1
fi

# gib BYTES: "3 TiB + 833 GiB", "256 GiB + 48 MiB" (whole MiB and up)
gib() {
	local b=$(($1)) out="" u n
	for u in 40:TiB 30:GiB 20:MiB; do
		n=$((b >> ${u%:*}))
		b=$((b - (n << ${u%:*})))
		[ "$n" -eq 0 ] || out+="${out:+ + }$n ${u#*:}"
	done
	[ "$b" -eq 0 ] || out+="${out:+ + }$b bytes"
	echo "${out:-0}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "n/a"; else printf "%.2f", a / b}'; }
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$2"; } # field NAME "plan ..." line

tmp=$(mktemp -d /tmp/vfvm-bench-gpu.XXXXXX) || exit 1
qpid=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ -n "$qpid" ]; then
		kill "$qpid" 2> /dev/null
		wait "$qpid" 2> /dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- vfvm: the H200 fixture, ports vs bus 0 ---------------------------------
if ! "$PLAN" -n "$NGPU" --mem 1T --bits "$BITS" --calls 10001 > "$tmp/h200" 2> "$tmp/h200.err"; then
	echo "bench_gpu_placement: plan_gpus refused the H200 fixture: $(cat "$tmp/h200.err")"
	exit 1
fi
on=$(grep '^plan ports=on' "$tmp/h200")
off=$(grep '^plan ports=off' "$tmp/h200")
echo "vfvm, $NGPU x H200 (tests/data/gpu-h200: BAR0 16 MiB, BAR2 256 GiB, BAR4 32 MiB), 1 TiB RAM, $BITS bits:"
printf '  %-22s %-15s %-16s %-18s %-26s %s\n' layout "window base" "window size" "BARs take" "need (windows aligned)" "mmio_plan_build"
for l in "$on" "$off"; do
	name="root port each"
	[ "$(field ports "$l")" = off ] && name="bus 0 (rootport=off)"
	printf '  %-22s %-15s %-16s %-18s %-26s %s\n' "$name" "$(field base "$l")" "$(gib "$(field size "$l")")" \
		"$(gib "$(field bars "$l")")" "$(gib "$(field need "$l")")" \
		"$(awk -v n="$(field build_ns "$l")" 'BEGIN {printf "%.1f us", n / 1000}')"
done
echo "  need, root ports / bus 0: $(ratio "$(($(field need "$on")))" "$(($(field need "$off")))")x" \
	"(each port's prefetchable window holds 256 GiB + 48 MiB: a 512 GiB-aligned block);" \
	"all BARs naturally aligned: ports $(field aligned "$on"), bus 0 $(field aligned "$off")"
echo

# --- QEMU: 8 root ports x ivshmem-plain, SeaBIOS places ----------------------
# mon: one HMP command on the monitor FIFOs; its output up to the next
# prompt.  `info version` follows it so that the end is a line (the
# version, starting with a digit) rather than a prompt without a newline.
mon() {
	local line
	printf '%s\ninfo version\n' "$1" >&7
	while IFS= read -r -t 10 line <&8; do
		line=${line//$'\r'/}
		case $line in
		[0-9]*) return 0 ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
	return 1
}

# placement FILE: from `info pci` text, one line per item "kind start end"
# in decimal (pref: a root port's prefetchable window, barI: an ivshmem's
# 64-bit BAR I, bar32: its 32-bit memory BAR), "kind - -" for one not
# assigned yet (QEMU shows all ones or words, or a window's base above its
# limit).
placement() {
	local dev="" line kind s e
	while IFS= read -r line; do
		kind=""
		case $line in
		*"PCI bridge"*) dev=port ;;
		*"RAM controller"*) dev=ivshmem ;;
		*"prefetchable memory range ["*) [ "$dev" = port ] && kind=pref ;;
		*BAR[0-5]": 64 bit"*) [ "$dev" = ivshmem ] && kind=${line#*BAR} && kind=bar${kind:0:1} ;;
		*BAR[0-5]": 32 bit memory"*) [ "$dev" = ivshmem ] && kind=bar32 ;;
		esac
		[ -n "$kind" ] || continue
		# a window: "range [0xS, 0xE]"; a BAR: "at 0xS [0xE]"
		e=${line##*\[} e=${e%\]*} e=${e##* }
		if [ "$kind" = pref ]; then
			s=${line##*\[} s=${s%%,*}
		else
			s=${line##* at } s=${s%% *}
		fi
		# anything but two hex numbers (an unassigned BAR's text) is "not yet"
		if [[ $s =~ ^0x[0-9a-fA-F]+$ && $e =~ ^0x[0-9a-fA-F]+$ ]] && s=$((s)) e=$((e)) &&
			[ "$s" -gt 0 ] && [ "$s" -le "$e" ]; then
			echo "$kind $s $e"
		else
			echo "$kind - -"
		fi
	done < "$1"
}

# placed FILE: all $NGPU 64-bit BARs and port windows assigned
placed() {
	local p
	p=$(placement "$1")
	[ "$(grep -c '^bar[0-5] [0-9]' <<< "$p")" -ge "$NGPU" ] &&
		[ "$(grep -c '^pref [0-9]' <<< "$p")" -ge "$NGPU" ] &&
		! grep -q -- ' - -$' <<< "$p"
}

# qemu_run SIZE N: start QEMU with 8 BARs of SIZE, wait for placement;
# leaves $tmp/pci.N (the `info pci` that was read) and appends the
# microseconds from start to placed to $tmp/times.  Returns 1 (with
# $tmp/why) when not.  Not in a subshell: the EXIT trap must see $qpid.
qemu_run() {
	local size=$1 n=$2 i t0 t1 args=() deadline
	for ((i = 0; i < NGPU; i++)); do
		truncate -s "$size" "$tmp/bar$i" || { echo "cannot create a $size sparse file in $tmp" > "$tmp/why"; return 1; }
		args+=(-device "pcie-root-port,id=rp$i,chassis=$((i + 1)),slot=$((i + 1))"
			-object "memory-backend-file,id=m$i,mem-path=$tmp/bar$i,size=$size,share=on"
			-device "ivshmem-plain,bus=rp$i,memdev=m$i")
	done
	rm -f "$tmp/mon.in" "$tmp/mon.out"
	mkfifo "$tmp/mon.in" "$tmp/mon.out" || { echo "mkfifo in $tmp failed" > "$tmp/why"; return 1; }
	exec 7<> "$tmp/mon.in" 8<> "$tmp/mon.out"
	t0=${EPOCHREALTIME/./}
	"$QEMU" -M q35 -accel tcg -cpu "max,phys-bits=$BITS" -m 128M -nodefaults -display none \
		-global "q35-pcihost.pci-hole64-size=$HOLE64" -monitor "pipe:$tmp/mon" "${args[@]}" \
		> "$tmp/qemu.log" 2>&1 &
	qpid=$!
	deadline=$((t0 + LIMIT * 1000000))
	while :; do
		if ! kill -0 "$qpid" 2> /dev/null; then
			{
				echo "QEMU ended before placing the BARs:"
				sed 's/^/    /' "$tmp/qemu.log"
			} > "$tmp/why"
			break
		fi
		if mon "info pci" > "$tmp/pci.$n" && placed "$tmp/pci.$n"; then
			t1=${EPOCHREALTIME/./}
			# a second read must agree: not caught between two halves of a BAR write
			mon "info pci" > "$tmp/pci2.$n"
			if cmp -s <(placement "$tmp/pci.$n") <(placement "$tmp/pci2.$n"); then
				echo $((t1 - t0)) >> "$tmp/times"
				break
			fi
		fi
		if [ "${EPOCHREALTIME/./}" -gt "$deadline" ]; then
			echo "SeaBIOS had not placed the BARs after ${LIMIT} s" > "$tmp/why"
			break
		fi
		sleep 0.05
	done
	kill "$qpid" 2> /dev/null
	wait "$qpid" 2> /dev/null
	qpid=""
	exec 7>&- 8>&-
	rm -f "$tmp"/bar?
	[ ! -s "$tmp/why" ] || return 1
}

# q35's 64-bit hole: twice what the BARs take
hole64() { echo "$((NGPU * 2 * ${1%G}))G"; }
SIZE=$BAR
HOLE64=$(hole64 "$SIZE")
scaled=""
: > "$tmp/times"
for ((r = 0; r < RUNS; r++)); do
	rm -f "$tmp/why"
	qemu_run "$SIZE" "$r" && continue
	if [ "$r" -eq 0 ] && [ "$SIZE" = 256G ]; then
		scaled="QEMU could not hold $NGPU x 256 GiB here ($(head -n 1 "$tmp/why")): scaled down to $NGPU x 64 GiB"
		SIZE=64G HOLE64=$(hole64 64G)
		rm -f "$tmp/why"
		qemu_run "$SIZE" "$r" && continue
	fi
	echo "bench_gpu_placement: QEMU's placement (run $((r + 1)), $NGPU x $SIZE) CANNOT be measured:"
	sed 's/^/  /' "$tmp/why"
	[ -z "$scaled" ] || echo "  (after: $scaled)"
	exit 1
done
[ -z "$scaled" ] || echo "NOTE: $scaled"

p=$(placement "$tmp/pci.0")
# BAR sizes as QEMU reports them (the first ivshmem's), to plan the same devices
bar_args=()
while read -r kind s e; do
	bar_args+=(--bar "${kind#bar}=$((e - s + 1))")
done < <(grep '^bar[0-5] ' <<< "$p" | awk '!seen[$1]++')
bar32=$(awk '/^bar32/ {print $3 - $2 + 1; exit}' <<< "$p")
q_lo="" q_hi=0 q_aligned=yes
while read -r kind s e; do
	[ -z "$q_lo" ] || [ "$s" -lt "$q_lo" ] && q_lo=$s
	[ "$e" -gt "$q_hi" ] && q_hi=$e
	[ "$kind" = pref ] || [ $((s % (e - s + 1))) -eq 0 ] || q_aligned=no
done < <(grep -v '^bar32' <<< "$p")
q_span=$((q_hi - q_lo + 1))
q_us=$(median < "$tmp/times")

if ! "$PLAN" -n "$NGPU" --mem 128M --bits "$BITS" --ports on --calls 10001 "${bar_args[@]}" \
	> "$tmp/peer" 2> "$tmp/peer.err"; then
	echo "bench_gpu_placement: plan_gpus refused QEMU's devices (${bar_args[*]}): $(cat "$tmp/peer.err")"
	exit 1
fi
v=$(grep '^plan ports=on' "$tmp/peer")
v_span=$(($(field span "$v")))

bars_h=""
for ((i = 1; i < ${#bar_args[@]}; i += 2)); do
	bars_h+="${bars_h:+, }BAR${bar_args[i]%%=*} $(gib "${bar_args[i]#*=}")"
done
echo "$NGPU x ivshmem-plain (64-bit: $bars_h; BAR0 ${bar32:-?} bytes 32-bit, below 4 GiB" \
	"on both sides), each behind its own pcie-root-port, 128 MiB RAM, $BITS bits:"
printf '  %-28s %-34s %-10s %-8s %s\n' who "64-bit span (lowest-highest byte)" size aligned "time to placement"
printf '  %-28s %-34s %-10s %-8s %s\n' "vfvm (mmio_plan_build)" \
	"$(field lo "$v")-$(field hi "$v")" "$(gib "$v_span")" "$(field aligned "$v")" \
	"$(awk -v n="$(field build_ns "$v")" 'BEGIN {printf "%.1f us (one plan, median of 10001)", n / 1000}')"
printf '  %-28s %-34s %-10s %-8s %s\n' "QEMU q35 + SeaBIOS (TCG)" \
	"$(printf '0x%x-0x%x' "$q_lo" "$q_hi")" "$(gib "$q_span")" "$q_aligned" \
	"$(awk -v u="$q_us" -v n="$RUNS" 'BEGIN {printf "%.0f ms (start to placed, median of %d)", u / 1000, n}')"
echo "  span, vfvm / QEMU: $(ratio "$v_span" "$q_span")x;" \
	"time to placement, vfvm / QEMU: $(awk -v a="$(field build_ns "$v")" -v b="$q_us" \
		'BEGIN {printf "%.1e", a / (b * 1000)}')x (vfvm plans before the guest runs; QEMU's firmware" \
	"places at boot, under TCG: orders of magnitude, not a like-for-like time)"
exit 0
