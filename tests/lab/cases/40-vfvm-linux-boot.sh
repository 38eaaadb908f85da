# shellcheck shell=sh
# vfvm boots the lab's Linux as an L2 guest (real SVM KVM with nested paging
# inside L1): the guest reaches its init with 2 vCPUs online, finds vfvm's
# PCI host bridge through ACPI/ECAM with a virtio-rng on it (driver bound,
# random bytes read, its MSI-X interrupt counted), and its poweroff ends
# vfvm with the documented status 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null; then
	fail vfvm-linux-boot "vfvm binary not packed into the lab (run make first)"
	exit 1
fi
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfvm-linux-boot "/dev/kvm or the L2 kit (/lab/l2/bzImage, /lab/l2/initrd) missing in L1"
	exit 1
fi

# What L2 reports about its devices (run by the L2 init, then it powers off).
cat > /tmp/vfvm-l2.sh <<'L2'
for d in /sys/bus/pci/devices/*; do
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	echo "L2-PCI $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") driver=$drv"
done
echo "L2-RNG current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
echo "L2-RNG bytes=$(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' \n')"
grep -i virtio /proc/interrupts | sed 's/^/L2-IRQ /'
L2
lab_l2_initrd /tmp/vfvm-l2.sh /tmp/vfvm-l2-initrd

echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd /tmp/vfvm-l2-initrd --mem 512M --cpus 2 --rng ..."
timeout 300 vfvm run --kernel /lab/l2/bzImage --initrd /tmp/vfvm-l2-initrd --mem 512M --cpus 2 \
	--rng --cmdline "console=ttyS0 panic=-1" > /tmp/vfvm-l2.log 2>&1 < /dev/null
rc=$?
echo "vfvm exit status: $rc; guest console (selected lines):"
grep -E 'Linux version|ACPI: (RSDP|XSDT|FACP|APIC|MCFG|DSDT)|smp: Brought|PCI: ECAM|root bus resource|clocksource: Switched|LAB-L2|L2-|reboot:|Kernel panic|BUG|WARNING' \
	/tmp/vfvm-l2.log | head -n 60
if grep -q 'LAB-L2: init reached' /tmp/vfvm-l2.log; then
	pass vfvm-linux-init
else
	echo "full console:"
	cat /tmp/vfvm-l2.log
	fail vfvm-linux-init "no 'LAB-L2: init reached' marker on the vfvm console (exit $rc)"
fi
if grep -q 'LAB-L2: init reached.*, 2 CPUs' /tmp/vfvm-l2.log; then
	pass vfvm-linux-2-vcpus
else
	fail vfvm-linux-2-vcpus "the guest did not see 2 CPUs online"
fi
if grep -q 'root bus resource \[mem 0x.*window\]' /tmp/vfvm-l2.log &&
	grep -q 'L2-PCI 0000:00:01.0 0x1af4:0x1044 driver=virtio-pci' /tmp/vfvm-l2.log; then
	pass vfvm-linux-pci
else
	fail vfvm-linux-pci "L2 did not find the virtio-rng on vfvm's PCI host bridge with its driver"
fi
if grep -Eq 'L2-RNG bytes=[0-9a-f]{32}' /tmp/vfvm-l2.log &&
	grep -Eq 'L2-IRQ .* [1-9][0-9]* +[0-9]* .*virtio' /tmp/vfvm-l2.log; then
	pass vfvm-linux-virtio-msix
else
	fail vfvm-linux-virtio-msix "no random bytes from /dev/hwrng or no virtio MSI-X interrupts counted in L2"
fi
if [ "$rc" = 0 ] && grep -q 'LAB-L2: done rc=0' /tmp/vfvm-l2.log; then
	pass vfvm-linux-poweroff-status
else
	fail vfvm-linux-poweroff-status "vfvm exited $rc after the guest's poweroff (expected 0)"
fi
[ -z "${LAB_FAILED:-}" ]
