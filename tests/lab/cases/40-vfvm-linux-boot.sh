# vfvm boots the lab's Linux as an L2 guest (real SVM KVM with nested paging
# inside L1): the guest reaches its init with 2 vCPUs online, and its
# poweroff ends vfvm with the documented status 0.
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	skip vfvm-linux-boot "vfvm binary not packed into the lab"
	exit 0
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	skip vfvm-linux-boot "/dev/kvm or the L2 kit (/lab/l2/bzImage, /lab/l2/initrd)"
	exit 0
fi

echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd /lab/l2/initrd --mem 512M --cpus 2 ..."
timeout 300 vfvm run --kernel /lab/l2/bzImage --initrd /lab/l2/initrd --mem 512M --cpus 2 \
	--cmdline "console=ttyS0 panic=-1" > /tmp/vfvm-l2.log 2>&1 < /dev/null
rc=$?
tail -n 25 /tmp/vfvm-l2.log
if grep -q 'LAB-L2: init reached' /tmp/vfvm-l2.log; then
	pass vfvm-linux-init
else
	fail vfvm-linux-init "no 'LAB-L2: init reached' marker on the vfvm console (exit $rc)"
fi
if grep -q 'LAB-L2: init reached.*, 2 CPUs' /tmp/vfvm-l2.log; then
	pass vfvm-linux-2-vcpus
else
	fail vfvm-linux-2-vcpus "the guest did not see 2 CPUs online"
fi
if [ "$rc" = 0 ] && grep -q 'LAB-L2: done rc=0' /tmp/vfvm-l2.log; then
	pass vfvm-linux-poweroff-status
else
	fail vfvm-linux-poweroff-status "vfvm exited $rc after the guest's poweroff (expected 0)"
fi
exit 0
