# shellcheck shell=sh
# Runs inside the emulated lab's L1 (bench_lab_migrate.sh prepends ROUNDS,
# BIG_ROUNDS, DIRTY_ROUNDS, BIG_MB, DIRTY_MB, MACHINE and CMDLINE): live
# migration and snapshot/restore of a Linux L2 (the lab's L2 kernel and
# initramfs, 1 vCPU, a virtio-net on a tap), vfvm against QEMU (-enable-kvm
# -M q35, QMP over a pipe chardev), each VMM in turn on the same kernel,
# initramfs and taps:
#   256 MiB, one L2 boot per VMM:
#     idle   ROUNDS live migrations over loopback TCP to a new instance of
#            the same VMM (slot a -> b -> a ...), the VM idle but for a
#            ticker;
#     snap   ROUNDS snapshots (vfvm ctl snapshot DIR / QMP stop + migrate
#            to file:) and restores (vfvm run --restore DIR / QEMU
#            -incoming defer + migrate-incoming file: + cont), timed from
#            the start of the process to the first tick on its console;
#     dirty  L2 rewrites DIRTY_MB MiB of random data in /tmp (tmpfs) in a loop;
#            DIRTY_ROUNDS live migrations (QEMU with auto-converge; vfvm
#            throttles by itself).
#   BIG_MB MiB, one L2 boot per VMM: BIG_ROUNDS idle live migrations.
#   upgrade  256 MiB, one L2 boot per VMM: ROUNDS same-host hand-overs to a
#            new instance over a Unix socket with guest RAM shared, not
#            copied (vfvm ctl upgrade: the memfd passed over the socket;
#            QEMU: RAM in a shared memory-backend-file both instances map,
#            the x-ignore-shared capability on both sides).
# Both VMMs: 300 ms downtime budget (vfvm's default; QEMU's downtime-limit
# set to it), no bandwidth cap (QEMU's max-bandwidth raised from its 128
# MiB/s default), plain pre-copy.
# L2 prints "L2-TICK N UPTIME" every 100 ms; L1 stamps each console line
# with its own /proc/uptime as it reads it.  Across a hand-over, the last
# tick read from the source and the first from the destination give two
# gaps: L1's (the guest as seen from outside) and the guest's own clock
# (its uptime: how much of the hand-over the guest itself noticed).
# One line per sample, nothing judged here:
#   BENCH-MIG <idle|dirty|idle-big|upgrade> <vmm> <total ms> <downtime ms> <L1 gap ms> <guest gap ms>
#             <passes> <MiB sent> <command ms> <usual L1 tick interval ms> <usual guest tick interval ms>
#             <ms from the completion (as L1 saw it) to the first tick on the destination>
#   BENCH-MIG-PAUSE <kind> <stop ms> <last pages ms> <state ms> <destination ms> (vfvm's breakdown)
#   BENCH-MIG-DIRTY <vmm> <MiB/s L2 rewrote before the first dirtying migration>
# (total and downtime as the VMM reports them; passes: vfvm's, QEMU's
# dirty-sync-count; command: from the command to its answer, in L1)
#   BENCH-SNAP <vmm> <write ms> <restore-to-tick ms> <file MiB on disk>
#   BENCH-MIG-NOTE <text>
# shellcheck source-path=SCRIPTDIR source=../../lab/cases/lib.sh
. /lab/cases/lib.sh

W=/tmp/bench-mig
QEMU=/usr/bin/qemu-system-x86_64
KERNEL=/lab/l2/bzImage
MAC=52:54:00:9a:10:01
rm -rf $W
mkdir -p $W
trap '' PIPE

note() { echo "BENCH-MIG-NOTE $*"; }
# L1's uptime in ms, without a fork (10 ms steps)
now_ms() {
	read -r up _ < /proc/uptime
	echo "${up%.*}${up#*.}0"
}
alive() { kill -0 "$1" 2> /dev/null; }

if ! command -v vfvm > /dev/null || [ ! -c /dev/kvm ] || [ ! -s $KERNEL ]; then
	note "no vfvm, /dev/kvm or L2 kit in L1: nothing measured"
	exit 1
fi
if [ ! -x $QEMU ]; then
	note "no $QEMU in L1 (the extra archive did not arrive): nothing measured"
	exit 1
fi
QCPU="-cpu host"
if ! printf 'quit\n' | timeout 60 $QEMU -enable-kvm -M "$MACHINE" -cpu host -m 64M -nodefaults \
	-no-user-config -display none -S -monitor stdio > $W/probe 2>&1; then
	note "QEMU -M $MACHINE -cpu host fails in L1 ($(grep -v '^QEMU\|(qemu)' $W/probe | head -n 1)): default CPU model used"
	QCPU=""
fi
note "L1 before the VMs: $(grep -E 'MemTotal|MemAvailable' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"

# ---- L2: a ticker from the start; "dirty" starts the dirtier, "end" ends it
cat > $W/l2.sh << L2
ip link set lo up
n=\$(ls /sys/class/net | grep -v lo | head -n 1)
ip addr add 10.9.3.2/24 dev "\$n"
ip link set "\$n" up
( i=0; while :; do i=\$((i + 1)); read -r up rest < /proc/uptime; echo "L2-TICK \$i \$up"; sleep 0.1; done ) &
while read -r w rest; do
	case \$w in
	dirty)
		head -c $((DIRTY_MB << 20)) /dev/urandom > /tmp/rand
		# /tmp is L2's tmpfs (its /dev has no shm); a failed dd says so
		( k=0; while dd if=/tmp/rand of=/tmp/dirt bs=1M count=$DIRTY_MB conv=notrunc 2> /tmp/dd.err; do k=\$((k + 1)); echo "L2-DD \$k"; done; echo "L2-DD failed: \$(cat /tmp/dd.err)" ) &
		echo "L2-DIRTY on" ;;
	end) break ;;
	esac
done
L2
lab_l2_initrd $W/l2.sh $W/initrd

ip link add mgbr type bridge
ip addr add 10.9.3.1/24 dev mgbr
ip link set mgbr up
for t in mga mgb; do
	ip tuntap add dev $t mode tap
	ip link set $t master mgbr
	ip link set $t up
done

# stamp: each line read prefixed with L1's time ("@MS line")
stamp() {
	while IFS= read -r l; do
		read -r up _ < /proc/uptime
		echo "@${up%.*}${up#*.}0 $l"
	done
}
# ticks LOG: "STAMP N GUEST_MS" per tick line of a console log
ticks() {
	tr -d '\r' < "$1" | sed -n 's/^@\([0-9]*\) .*L2-TICK \([0-9]*\) \([0-9]*\)\.\([0-9]*\)$/\1 \2 \3\40/p'
}
# tick_base LOG: the median interval between its last 20 ticks, "L1_MS GUEST_MS"
tick_base() {
	ticks "$1" | tail -n 21 | awk '
	function med(a, n,    i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n ? a[int((n + 1) / 2)] : 0
	}
	NR > 1 { n++; l[n] = $1 - pl; g[n] = $3 - pg }
	{ pl = $1; pg = $3 }
	END { print med(l, n), med(g, n) }'
}
# wait_for CMD SECONDS: polls CMD every 0.1 s
wait_for() {
	i=0
	while [ "$i" -lt $(($2 * 10)) ]; do
		eval "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	eval "$1"
}

# A slot (a or b) holds one VMM instance: its tap mg<slot>, console FIFOs
# $W/<slot>.in (held open on fd 7 or 8) and .out (read by stamp into its
# log), the API socket (vfvm) or the QMP FIFOs (QEMU; held on fd 5 or 6,
# replies stamped into $W/qmp-<slot>.log).  pid_<slot>, con_<slot> and
# qrd_<slot> (the QMP reader) say what runs there.
inst=0
con_fd() { [ "$1" = a ] && echo 7 || echo 8; }
qmp_fd() { [ "$1" = a ] && echo 5 || echo 6; }
other() { [ "$1" = a ] && echo b || echo a; }
pid_of() { eval "echo \$pid_$1"; }
con_of() { eval "echo \$con_$1"; }
# qmp SLOT JSON: one command to QEMU's monitor there
qmp() {
	case $1 in
	a) echo "$2" >&5 ;;
	*) echo "$2" >&6 ;;
	esac
}
# say_l2 SLOT WORD: a line to L2's console there
say_l2() {
	case $1 in
	a) echo "$2" >&7 ;;
	*) echo "$2" >&8 ;;
	esac
}
# qmp_wait SLOT PATTERN SECONDS: until a stamped QMP line matches
qmp_wait() { wait_for "grep -q '$2' $W/qmp-$1.log || ! alive $(pid_of "$1")" "$3" && grep -q "$2" "$W/qmp-$1.log"; }
qmp_clear() { : > "$W/qmp-$1.log"; }

# launch VMM SLOT MEM boot|incoming PORT|restore DIR
launch() {
	vmm=$1 s=$2 mem=$3 mode=$4 arg=${5:-}
	inst=$((inst + 1))
	log=$W/con-$inst.log err=$W/err-$inst
	eval "con_$s=$log err_$s=$err"
	rm -f "$W/$s.in" "$W/$s.out" "$W/$s.sock" "$W/$s.qmp.in" "$W/$s.qmp.out"
	mkfifo "$W/$s.in" "$W/$s.out"
	stamp < "$W/$s.out" > "$log" &
	if [ "$vmm" = vfvm ]; then
		case $mode in
		boot)
			set -- --kernel $KERNEL --initrd $W/initrd --cmdline "$CMDLINE" --mem "${mem}M" \
				--cpus 1 --net "id=n0,tap=mg$s,mac=$MAC"
			;;
		incoming) set -- --incoming "tcp:127.0.0.1:$arg" --net "id=n0,tap=mg$s" ;;
		upgrade) set -- --incoming "unix:$arg" --net "id=n0,tap=mg$s" ;;
		restore) set -- --restore "$arg" --net "id=n0,tap=mg$s" ;;
		esac
		vfvm run "$@" --api-socket "$W/$s.sock" < "$W/$s.in" > "$W/$s.out" 2> "$err" &
		eval "pid_$s=\$!"
	else
		mkfifo "$W/$s.qmp.in" "$W/$s.qmp.out"
		inc="" mach=$MACHINE shm=""
		[ "$mode" = boot ] || inc="-incoming defer"
		# the upgrade part: RAM in a file both instances map (x-ignore-shared)
		if [ "$QSHARE" = 1 ]; then
			mach=$MACHINE,memory-backend=m0
			shm="-object memory-backend-file,id=m0,size=${mem}M,mem-path=$W/qmem,share=on"
		fi
		# shellcheck disable=SC2086 # QCPU, shm and inc are words or nothing
		$QEMU -enable-kvm -M "$mach" $QCPU $shm -smp 1 -m "${mem}M" -nodefaults -no-user-config \
			-display none -serial stdio -no-reboot -kernel $KERNEL -initrd $W/initrd \
			-append "$CMDLINE" -netdev "tap,id=hn0,ifname=mg$s,script=no,downscript=no,vhost=off" \
			-device "virtio-net-pci,netdev=hn0,id=n0,mac=$MAC,romfile=" \
			-chardev "pipe,id=qmp,path=$W/$s.qmp" -mon chardev=qmp,mode=control $inc \
			< "$W/$s.in" > "$W/$s.out" 2> "$err" &
		eval "pid_$s=\$!"
		: > "$W/qmp-$s.log"
		# both FIFOs opened read-write: no open waits for QEMU
		stamp 0<> "$W/$s.qmp.out" >> "$W/qmp-$s.log" &
		eval "qrd_$s=\$!"
		eval "exec $(qmp_fd "$s")<> \$W/\$s.qmp.in"
		qmp "$s" '{"execute":"qmp_capabilities"}'
		qmp "$s" '{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"events","state":true}]}}'
	fi
	eval "exec $(con_fd "$s")<> \$W/\$s.in"
}

# finish SLOT: the instance there ends (quit if still running), its fds close
finish() {
	s=$1 p=$(pid_of "$1")
	if [ -n "$p" ] && alive "$p"; then
		if [ -S "$W/$s.sock" ]; then
			vfvm ctl "$W/$s.sock" quit > /dev/null 2>&1
		elif [ -p "$W/$s.qmp.in" ]; then
			qmp "$s" '{"execute":"quit"}'
		fi
		wait_for "! alive $p" 30 || kill -9 "$p" 2> /dev/null
	fi
	[ -n "$p" ] && wait "$p" 2> /dev/null
	eval "q=\$qrd_$s"
	[ -n "$q" ] && kill "$q" 2> /dev/null
	eval "qrd_$s= pid_$s="
	eval "exec $(con_fd "$s")>&- $(qmp_fd "$s")>&-"
}

tail_of() { # SLOT: what went wrong, for the notes
	echo "BENCH-MIG-NOTE console tail:"
	tr -d '\r' < "$(con_of "$1")" | grep -v '^@[0-9]* *$' | tail -n 15 | sed 's/^/  | /'
	e=$(eval "echo \$err_$1")
	[ -s "$e" ] && { echo "BENCH-MIG-NOTE stderr:" && tail -n 8 "$e" | sed 's/^/  | /'; }
	[ -s "$W/qmp-$1.log" ] && { echo "BENCH-MIG-NOTE QMP:" && tail -n 4 "$W/qmp-$1.log" | sed 's/^/  | /'; }
}

# first_tick SLOT SECONDS: until the console there has a tick
first_tick() { wait_for "[ -n \"\$(ticks $(con_of "$1") | head -n 1)\" ] || ! alive $(pid_of "$1")" "$2" && [ -n "$(ticks "$(con_of "$1")" | head -n 1)" ]; }

# boot VMM MEM: a fresh L2 in slot a, ticking
boot() {
	launch "$1" a "$2" boot
	wait_for "[ \"\$(ticks $(con_of a) | wc -l)\" -ge 20 ] || ! alive $(pid_of a)" 400
	if [ "$(ticks "$(con_of a)" | wc -l)" -lt 20 ]; then
		note "$1 ${2} MiB: L2 never got ticking"
		tail_of a
		finish a
		return 1
	fi
}

# qemu_num SLOT KEY: a number from the last QMP reply there ("KEY": N)
qemu_num() { tr -d '\r' < "$W/qmp-$1.log" | grep '"return"' | tail -n 1 | sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p"; }

port=4440
QSHARE=0
# migrate KIND VMM FROM MEM: a live migration of the VM in slot FROM to a
# new instance in the other slot; prints its BENCH-MIG line, returns 1 if
# the VM did not move
migrate() {
	kind=$1 vmm=$2 from=$3 mem=$4 to=$(other "$3")
	port=$((port + 1))
	uri=tcp:127.0.0.1:$port verb=migrate shared=false
	if [ "$kind" = upgrade ]; then
		uri=unix:$W/up-$to.sock verb=upgrade shared=true
		rm -f "$W/up-$to.sock"
		launch "$vmm" "$to" "$mem" upgrade "$W/up-$to.sock"
	else
		launch "$vmm" "$to" "$mem" incoming "$port"
	fi
	if [ "$vmm" = vfvm ]; then
		e=$(eval "echo \$err_$to")
		wait_for "grep -q 'waiting for a migration' $e || ! alive $(pid_of "$to")" 60
	else
		qmp "$to" "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":$shared}]}}"
		qmp "$to" "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"$uri\"},\"id\":\"inc\"}"
		qmp_wait "$to" '"id": "inc"' 60
	fi
	if ! alive "$(pid_of "$to")"; then
		note "$vmm $kind: the destination did not start"
		tail_of "$to"
		finish "$to"
		return 1
	fi
	t0=$(now_ms)
	if [ "$vmm" = vfvm ]; then
		timeout 900 vfvm ctl "$W/$from.sock" $verb "$uri" > $W/ctl.out 2>&1
		rc=$?
		t1=$(now_ms)
		done_line=$(grep '^completed: ' $W/ctl.out)
		if [ "$rc" != 0 ] || [ -z "$done_line" ]; then
			note "$vmm $kind: migrate exit $rc: $(tail -n 2 $W/ctl.out | tr '\n' ' ')"
			finish "$to"
			return 1
		fi
		# completed: to URI: N ms in all, M ms paused (...), P passes, X MiB sent
		total=$(echo "$done_line" | sed -n 's/.*: \([0-9]*\) ms in all.*/\1/p')
		down=$(echo "$done_line" | sed -n 's/.* \([0-9]*\) ms paused.*/\1/p')
		passes=$(echo "$done_line" | sed -n 's/.* \([0-9]*\) passes.*/\1/p')
		mib=$(echo "$done_line" | sed -n 's/.* \([0-9.]*\) MiB sent.*/\1/p')
		wait_for "! alive $(pid_of "$from")" 60
		# where the pause went: (stop a, last pages b, state c, destination d)
		echo "BENCH-MIG-PAUSE $kind $(echo "$done_line" | sed -n 's/.*(stop \([0-9]*\), last [0-9]* pages \([0-9]*\), state \([0-9]*\), destination \([0-9]*\)).*/\1 \2 \3 \4/p')"
		[ "$kind" = dirty ] && grep '^progress: ' $W/ctl.out | sed 's/^/BENCH-MIG-NOTE vfvm dirty /'
	else
		qmp_clear "$from"
		caps="{\"capability\":\"x-ignore-shared\",\"state\":$shared},{\"capability\":\"auto-converge\",\"state\":false}"
		[ "$kind" = dirty ] && caps='{"capability":"auto-converge","state":true}'
		qmp "$from" "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[$caps]}}"
		qmp "$from" '{"execute":"migrate-set-parameters","arguments":{"downtime-limit":300,"max-bandwidth":10737418240}}'
		t0=$(now_ms)
		qmp "$from" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$uri\"}}"
		qmp_wait "$from" '"MIGRATION".*"\(completed\|failed\)"' 600
		t1=$(sed -n 's/^@\([0-9]*\) .*"MIGRATION".*"completed".*/\1/p' "$W/qmp-$from.log" | head -n 1)
		if [ -z "$t1" ]; then
			note "$vmm $kind: no MIGRATION completed event in 600 s: cancelled"
			qmp "$from" '{"execute":"migrate_cancel"}'
			tail_of "$from"
			finish "$to"
			return 1
		fi
		qmp_clear "$from"
		qmp "$from" '{"execute":"query-migrate","id":"qm"}'
		qmp_wait "$from" '"id": "qm"' 30
		total=$(qemu_num "$from" total-time)
		down=$(qemu_num "$from" downtime)
		passes=$(qemu_num "$from" dirty-sync-count)
		bytes=$(qemu_num "$from" transferred)
		mib=$(awk -v b="${bytes:-0}" 'BEGIN { printf "%.1f", b / 1048576 }')
	fi
	if ! first_tick "$to" 120; then
		note "$vmm $kind: no tick on the destination"
		tail_of "$to"
		finish "$from"
		finish "$to"
		return 1
	fi
	# the source's last tick and the destination's first
	# shellcheck disable=SC2046 # the words of two tick lines and the usual intervals
	set -- $(ticks "$(con_of "$from")" | tail -n 1) $(ticks "$(con_of "$to")" | head -n 1) \
		$(tick_base "$(con_of "$from")")
	[ "$5" = $(($2 + 1)) ] || note "$vmm $kind: ticks $2 then $5 across the hand-over (a tick line split by it is lost)"
	if [ "${TRACE:-0}" = 1 ]; then # the console lines around the hand-over, and the VMM's account
		tr -d '\r' < "$(con_of "$from")" | tail -n 4 | sed "s/^/BENCH-MIG-TRACE $vmm $kind source: /"
		tr -d '\r' < "$(con_of "$to")" | head -n 4 | sed "s/^/BENCH-MIG-TRACE $vmm $kind destination: /"
		echo "BENCH-MIG-TRACE $vmm $kind migration @$t0 -> @$t1 $([ "$vmm" = vfvm ] && tail -n 1 $W/ctl.out)"
	fi
	echo "BENCH-MIG $kind $vmm $total $down $(($4 - $1)) $(($6 - $3)) $passes $mib $((t1 - t0)) $7 $8 $(($4 - t1))"
	finish "$from"
}

# snapshot VMM SLOT MEM: snapshot the VM there, end it, restore it in the
# same slot; prints the BENCH-SNAP line
snapshot() {
	vmm=$1 s=$2 mem=$3
	d=$W/snap
	rm -rf $d
	if [ "$vmm" = vfvm ]; then
		t0=$(now_ms)
		vfvm ctl "$W/$s.sock" snapshot $d > $W/ctl.out 2>&1
		rc=$?
		t1=$(now_ms)
		used=$(du -k $d/memory 2> /dev/null | cut -f1)
		[ "$rc" = 0 ] || note "$vmm snapshot: exit $rc: $(cat $W/ctl.out)"
		src=$d
	else
		mkdir -p $d
		qmp_clear "$s"
		t0=$(now_ms)
		qmp "$s" '{"execute":"stop"}'
		qmp "$s" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$d/qemu.mig\"}}"
		qmp_wait "$s" '"MIGRATION".*"\(completed\|failed\)"' 120
		t1=$(now_ms)
		rc=0
		grep -q '"MIGRATION".*"completed"' "$W/qmp-$s.log" || rc=1
		[ "$rc" = 0 ] || { note "$vmm snapshot: no MIGRATION completed" && tail_of "$s"; }
		used=$(du -k $d/qemu.mig 2> /dev/null | cut -f1)
		src=$d/qemu.mig
	fi
	finish "$s"
	[ "$rc" = 0 ] || return 1
	t2=$(now_ms)
	if [ "$vmm" = vfvm ]; then
		launch vfvm "$s" "$mem" restore $d
	else
		launch qemu "$s" "$mem" restore $d
		qmp "$s" "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$src\"}}"
		qmp_wait "$s" '"MIGRATION".*"\(completed\|failed\)"' 120
		qmp "$s" '{"execute":"cont"}'
	fi
	if ! first_tick "$s" 120; then
		note "$vmm restore: no tick after it"
		tail_of "$s"
		finish "$s"
		return 1
	fi
	t3=$(ticks "$(con_of "$s")" | head -n 1 | cut -d' ' -f1)
	echo "BENCH-SNAP $vmm $((t1 - t0)) $((t3 - t2)) $((${used:-0} / 1024))"
	rm -rf $d
}

# fresh VMM MEM: nothing left running, a new L2 in slot a (cur=a), or cur=""
fresh() {
	finish a
	finish b
	cur=a
	# L2 under nested SVM in a TCG L1 has been seen to reset with no fault
	# of its own (tests/lab/README.md): one more boot before giving up
	boot "$1" "$2" || { note "$1 $2 MiB: booting L2 once more" && finish a && boot "$1" "$2"; } || cur=
	[ -n "$cur" ]
}
# gone: after a failed step, whatever is left of that VM ends
gone() {
	finish a
	finish b
	cur=
}

# part256 VMM: idle migrations, snapshots, dirty migrations of one L2 (a
# new one after a step failed)
part256() {
	vmm=$1
	fresh "$vmm" 256 || return 1
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		migrate idle "$vmm" "$cur" 256 || { gone && break; }
		cur=$(other "$cur") r=$((r + 1))
	done
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		[ -n "$cur" ] || fresh "$vmm" 256 || return 1
		snapshot "$vmm" "$cur" 256 || gone
		r=$((r + 1))
	done
	[ -n "$cur" ] || fresh "$vmm" 256 || return 1
	say_l2 "$cur" dirty
	if ! wait_for "grep -q L2-DIRTY $(con_of "$cur")" 120; then
		note "$vmm: L2 did not start dirtying"
		tail_of "$cur"
		finish "$cur"
		return 1
	fi
	# the dirtier's rate from its own lines (each DIRTY_MB MiB rewritten)
	wait_for "[ \$(grep -c 'L2-DD [0-9]' $(con_of "$cur")) -ge 4 ] || grep -q 'L2-DD failed' $(con_of "$cur")" 120
	if grep -q 'L2-DD failed' "$(con_of "$cur")"; then
		note "$vmm: L2's dirtier: $(tr -d '\r' < "$(con_of "$cur")" | grep -o 'L2-DD failed.*')"
		finish "$cur"
		return 1
	elif [ "$(grep -c 'L2-DD [0-9]' "$(con_of "$cur")")" -ge 4 ]; then
		tr -d '\r' < "$(con_of "$cur")" | sed -n 's/^@\([0-9]*\) .*L2-DD [0-9]*$/\1/p' | awk -v mb="$DIRTY_MB" -v vmm="$vmm" '
			NR == 1 { f = $1 } { l = $1; n = NR }
			END { if (l > f) printf "BENCH-MIG-DIRTY %s %.1f\n", vmm, (n - 1) * mb * 1000 / (l - f) }'
	else
		note "$vmm: L2's dirtier made fewer than 4 rounds in 120 s"
	fi
	r=1
	while [ "$r" -le "$DIRTY_ROUNDS" ]; do
		migrate dirty "$vmm" "$cur" 256 || { gone && return 1; }
		cur=$(other "$cur") r=$((r + 1))
	done
	finish "$cur"
}

# partup VMM: same-host hand-overs of a 256 MiB L2, RAM shared
partup() {
	vmm=$1
	QSHARE=1
	fresh "$vmm" 256 || return 1
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		migrate upgrade "$vmm" "$cur" 256 || { gone && return 1; }
		cur=$(other "$cur") r=$((r + 1))
	done
	finish "$cur"
}

# partbig VMM: idle migrations of a BIG_MB MiB L2
partbig() {
	vmm=$1
	fresh "$vmm" "$BIG_MB" || return 1
	note "$vmm: L1 with one ${BIG_MB} MiB L2 up: $(grep MemAvailable /proc/meminfo | tr -s ' ')"
	r=1
	while [ "$r" -le "$BIG_ROUNDS" ]; do
		migrate idle-big "$vmm" "$cur" "$BIG_MB" || { gone && return 1; }
		cur=$(other "$cur") r=$((r + 1))
	done
	finish "$cur"
}

for v in vfvm qemu; do
	part256 $v || { finish a; finish b; }
done
for v in vfvm qemu; do
	partbig $v || { finish a; finish b; }
done
for v in vfvm qemu; do
	partup $v || { finish a; finish b; }
	QSHARE=0
	rm -f $W/qmem
done
ip link del mgbr
ip link del mga
ip link del mgb
rm -rf $W
exit 0
