# shellcheck shell=sh
# A guest that triple-faults (tests/guests/triple_fault.c, run on L1's real
# SVM KVM, where a triple fault is a shutdown exit): vfvm ends with status 4,
# says on stderr what it can of the crashed vCPU's state, and logs the crash
# to syslog (l1-init keeps it in /run/messages).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

g=/lab/guests/triple_fault.bin
if ! command -v vfvm > /dev/null || [ ! -s "$g" ] || [ ! -c /dev/kvm ]; then
	fail vfvm-crash "vfvm, $g or /dev/kvm missing in L1 (run make first)"
	exit 1
fi
logged=$(wc -l < /run/messages)
echo "lab# vfvm run --mem 16M --firmware $g"
timeout 60 vfvm run --mem 16M --firmware "$g" > /tmp/crash.out 2> /tmp/crash.err < /dev/null
st=$?
sed 's/^/console: /' /tmp/crash.out
sed 's/^/stderr: /' /tmp/crash.err
if [ "$st" = 4 ] && grep -q 'vCPU 0: triple fault (guest crashed)' /tmp/crash.err; then
	pass vfvm-crash-status
else
	fail vfvm-crash-status "vfvm exited $st (expected 4 with 'vCPU 0: triple fault' on stderr)"
fi
# On Intel KVM keeps the state at the fault (rax holds the guest's marker);
# on AMD, as in this lab, it resets the vCPU at the shutdown, and vfvm says
# the state is lost rather than print the reset vector as if it were.
if grep -q 'vCPU 0 state: rip=0x[0-9a-f]* .*rax=0x7f1e5eed .*idt=0/0' /tmp/crash.err &&
	grep -q 'vCPU 0 events: ' /tmp/crash.err; then
	pass vfvm-crash-registers
elif grep -q 'svm' /proc/cpuinfo &&
	grep -q 'vCPU 0: KVM reset the vCPU at the crash (it does on AMD SVM): its registers at the fault are lost' /tmp/crash.err &&
	! grep -q 'vCPU 0 state: rip=0xfff0' /tmp/crash.err; then
	pass vfvm-crash-registers
else
	fail vfvm-crash-registers "neither the registers at the fault (rax=0x7f1e5eed, idt=0/0) nor, on AMD, that they are lost, on stderr"
fi
line=$(tail -n +$((logged + 1)) /run/messages | grep 'vfvm\[[0-9]*\]: guest crashed: vCPU 0: triple fault')
echo "syslog: ${line:-(nothing)}"
if [ -n "$line" ]; then
	pass vfvm-crash-syslog
else
	fail vfvm-crash-syslog "no 'vfvm[PID]: guest crashed: vCPU 0: triple fault' line in /run/messages"
fi
rm -f /tmp/crash.out /tmp/crash.err
[ -z "${LAB_FAILED:-}" ]
