# shellcheck shell=sh
# make demo, the VM step (between provisioning and giving back): an NVMe VF
# that vfctl created and gave queue/interrupt resources is passed to a Linux
# guest (L2) by vfvm; the guest does NVMe I/O with checksums and shows its
# MSI-X interrupt counts; vfvm exits and the VF is back on the host's nvme.
# shellcheck source-path=SCRIPTDIR source=../cases/lib.sh
. /lab/cases/lib.sh
nvme=$(lab_nvme_pf)
# VF 0 is on vfio-pci since the provisioning step; VF 1 is on nvme, as a
# VF the host hands to a VM usually is
vf=$(lab_vf "$nvme" 1)
if [ -z "$vf" ] || [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ]; then
	echo "FAIL demo-vm: no second NVMe VF, /dev/kvm or L2 kernel"
	exit 1
fi
lab_wait "lab_nvme_live $vf" 20

w=/tmp/demo-vm
mkdir -p "$w"
cat > "$w/l2.sh" << 'EOF'
i=0
while [ ! -b /dev/nvme0n1 ] && [ "$i" -lt 60 ]; do
	sleep 1
	i=$((i + 1))
done
[ -b /dev/nvme0n1 ] || { echo "guest# no NVMe disk"; exit 1; }
echo "guest# cat /sys/class/nvme/nvme0/model"
cat /sys/class/nvme/nvme0/model
echo "guest# grep nvme /proc/interrupts"
grep nvme /proc/interrupts
echo "guest# dd if=/dev/urandom of=/tmp/pattern bs=1M count=4"
dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 2> /dev/null
echo "guest# dd if=/tmp/pattern of=/dev/nvme0n1 bs=1M seek=8 oflag=direct"
dd if=/tmp/pattern of=/dev/nvme0n1 bs=1M seek=8 oflag=direct 2>&1 | tail -n 1
echo "guest# dd if=/dev/nvme0n1 of=/tmp/readback bs=1M skip=8 count=4 iflag=direct"
dd if=/dev/nvme0n1 of=/tmp/readback bs=1M skip=8 count=4 iflag=direct 2>&1 | tail -n 1
echo "guest# md5sum /tmp/pattern /tmp/readback"
md5sum /tmp/pattern /tmp/readback
echo "guest# grep nvme /proc/interrupts"
grep nvme /proc/interrupts
# stay up until the host has seen vfvm's report of the live vectors (it
# says so on the console, our stdin)
read -r -t 300 _
echo "guest# poweroff"
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"

echo "=== A VM gets NVMe VF $vf: vfvm takes it from nvme and gives it back ==="
say vfctl show "$vf"
say vfvm check --device "$vf,managed" --mem 256M
echo
echo "# the guest (the lab's Linux kernel as L2) runs this and powers off:"
sed 's/^/#   /' "$w/l2.sh"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 256M --cpus 1 \\"
echo "       --device $vf,managed --irq-report"
rm -f "$w/console.in"
mkfifo "$w/console.in"
timeout 600 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" \
	--cmdline "console=ttyS0 panic=-1 quiet" --mem 256M --cpus 1 \
	--device "$vf,managed" --irq-report < "$w/console.in" > "$w/vm.log" 2>&1 &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE
lab_wait "grep -q 'MSI-X vectors of passed-through devices (guest has [1-9]' '$w/vm.log' || ! kill -0 $vpid 2> /dev/null" 300 &&
	echo report-seen >&7
exec 7>&-
wait "$vpid"
st=$?
grep -vE '^\[ *[0-9]+\.[0-9]+\]|^LAB-L2: (init|done)|^report-seen|^$' "$w/vm.log"
echo "(vfvm exit status $st)"
echo
echo "=== After vfvm: the VF is back on the host's nvme driver ==="
say vfctl show "$vf"
say vfctl list "$nvme"
rm -rf "$w"
if [ "$st" = 0 ] && [ "$(lab_driver "$vf")" = nvme ]; then
	echo "PASS demo-vm"
else
	echo "FAIL demo-vm: vfvm exit $st, $vf on '$(lab_driver "$vf")'"
fi
