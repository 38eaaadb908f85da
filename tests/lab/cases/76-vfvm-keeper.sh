# shellcheck shell=sh
# vfvm's keeper gives devices back by itself: the VMM process (the keeper's
# child) of a vfvm holding a managed NVMe VF is killed with kill -9; the
# keeper exits 137 saying so and the VF is back on its host driver with its
# record gone, no vfctl command run.  Then a VM confined with --user
# 65534:65534 --chroot DIR boots Linux with the VF and gives it back at exit.
# Last, the sandbox ends a VMM (--test-bad-syscall io): the VF goes back too.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-keeper "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfvm-keeper "/dev/kvm or the L2 kernel/initrd missing"
	exit 0
fi
lab_nvme_one_vf vfvm-keeper || exit 0
orig=$(lab_driver "$vf")
rec=/var/lib/vfctl/vms/keeperlab
w=/tmp/vfvm-keeper
mkdir -p "$w/root"
chmod 0755 "$w/root"

vfvm run --name keeperlab --kernel /lab/l2/bzImage --initrd /lab/l2/initrd \
	--cmdline "console=ttyS0 panic=-1 l2.cmd=sleep" --mem 256M --cpus 1 --device "$vf,managed" \
	> "$w/l2.log" 2>&1 &
pid=$!
lab_wait "grep -q 'LAB-L2: init reached' $w/l2.log" 180
child=$(lab_children "$pid")
say kill -9 "$child"
wait "$pid"
st=$?
if [ "$st" = 137 ] && [ "$(lab_driver "$vf")" = "$orig" ] && [ ! -e "$rec" ] &&
	grep -q "killed by signal 9 (SIGKILL)" "$w/l2.log"; then
	pass vfvm-keeper-gives-back-after-kill
else
	fail vfvm-keeper-gives-back-after-kill "keeper exit $st, $vf on '$(lab_driver "$vf")' (was '$orig'), record $([ -e "$rec" ] && echo left || echo gone)"
fi

vfvm run --name keeperlab --user 65534:65534 --chroot "$w/root" --kernel /lab/l2/bzImage \
	--initrd /lab/l2/initrd --cmdline "console=ttyS0 panic=-1 l2.cmd=nvme" --mem 256M --cpus 1 \
	--device "$vf,managed" > "$w/l2c.log" 2>&1
st=$?
if [ "$st" = 0 ] && grep -q 'LAB-L2: init reached' "$w/l2c.log" &&
	[ "$(lab_driver "$vf")" = "$orig" ] && [ ! -e "$rec" ]; then
	pass vfvm-keeper-confined-boots-gives-back
else
	fail vfvm-keeper-confined-boots-gives-back "exit $st, $vf on '$(lab_driver "$vf")' (was '$orig')"
fi
# the sandbox ends the VMM (a system call the I/O thread's filter refuses):
# the keeper gives the VF back all the same
echo "lab# vfvm run --name keeperlab ... --device $vf,managed --test-bad-syscall io"
vfvm run --name keeperlab --kernel /lab/l2/bzImage --initrd /lab/l2/initrd \
	--cmdline "console=ttyS0 panic=-1 l2.cmd=sleep" --mem 256M --cpus 1 --device "$vf,managed" \
	--test-bad-syscall io > "$w/l2s.log" 2>&1
st=$?
grep 'sandbox' "$w/l2s.log"
if [ "$st" = 6 ] && grep -q "sandbox: the I/O thread made a system call its filter does not allow: ptrace" "$w/l2s.log" &&
	[ "$(lab_driver "$vf")" = "$orig" ] && [ ! -e "$rec" ]; then
	pass vfvm-keeper-gives-back-after-sandbox-stop
else
	fail vfvm-keeper-gives-back-after-sandbox-stop "exit $st (want 6), $vf on '$(lab_driver "$vf")' (was '$orig'), record $([ -e "$rec" ] && echo left || echo gone)"
fi
run vfctl vfs "$pf" 0
rm -rf "$w"
exit 0
