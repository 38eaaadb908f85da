# shellcheck shell=sh
# vfvm check (pre-flight) and what vfvm reports about a passed-through
# device while the VM runs:
#  - an NVMe VF with resources (vfctl vfs) is ready with ,managed (exit 0),
#    and the check changed nothing (the VF stays on nvme);
#  - the e1000e the host drives is refused without ,managed (exit 3) with
#    the reason (bound to e1000e, not vfio-pci) and the fix;
#  - a BDF that does not exist is refused (exit 3, "no such PCI device");
#  - a malformed --device is a usage error (exit 2);
#  - with --mem, the DMA map's prefault time is estimated from a sample;
#  - vfvm run --irq-report with the VF: the DMA-map stats line, and a
#    per-vector listing of the VF's MSI-X vectors with a GSI route and a KVM
#    irqfd once L2's nvme driver enabled them; the VF goes back to nvme.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh

if ! command -v vfvm > /dev/null || ! command -v vfctl > /dev/null; then
	fail vfvm-check "vfvm or vfctl is not in the lab (not built?)"
	exit 0
fi
e=$(lab_e1000e) || { fail vfvm-check "no e1000e in L1"; exit 0; }
lab_nvme_one_vf vfvm-check || exit 0
orig=$(lab_driver "$vf")

run vfvm check --device "$vf,managed" --mem 256M
if [ "$RC" = 0 ] && echo "$OUT" | grep -q "ready for passthrough" &&
	! echo "$OUT" | grep -q "NOT READY" && ! echo "$OUT" | grep -q '^  fail '; then
	pass vfvm-check-ready
else
	fail vfvm-check-ready "vfvm check --device $vf,managed: exit $RC (want 0 and 'ready')"
fi
# --mem: the DMA map's prefault time estimated from a sample, the IOMMU map said to be left out
if echo "$OUT" | grep -Eq '^DMA map estimate: prefault [0-9]+\.[0-9]+ s for 256 MiB of guest RAM \([0-9.]+ s/GiB: a 64 MiB sample of 4 KiB pages took [0-9.]+ s with [0-9]+ threads? on .*\); the IOMMU map is not included'; then
	pass vfvm-check-dma-estimate
else
	fail vfvm-check-dma-estimate "vfvm check --mem 256M: no estimate line: $(echo "$OUT" | grep '^DMA map' || echo none)"
fi
if [ "$(lab_driver "$vf")" = "$orig" ]; then
	pass vfvm-check-changes-nothing
else
	fail vfvm-check-changes-nothing "$vf is on '$(lab_driver "$vf")' after vfvm check, was '$orig'"
fi

run vfvm check --device "$e" --mem 256M
if [ "$RC" = 3 ] && echo "$OUT" | grep -q "NOT READY" &&
	echo "$OUT" | grep -Eq "^  fail +driver +$e is bound to e1000e, not vfio-pci" &&
	echo "$OUT" | grep -q -- "-> vfctl bind $e vfio-pci"; then
	pass vfvm-check-host-used-refused
else
	fail vfvm-check-host-used-refused "vfvm check --device $e (on e1000e): exit $RC, want 3 with the driver failing and its fix"
fi
[ "$(lab_driver "$e")" = e1000e ] || fail vfvm-check-host-used-untouched "$e is on '$(lab_driver "$e")' after vfvm check"

run vfvm check --device 0000:7e:1f.7 --mem 256M
if [ "$RC" = 3 ] && echo "$OUT" | grep -Eq "^  fail +device +0000:7e:1f.7: no such PCI device"; then
	pass vfvm-check-missing-refused
else
	fail vfvm-check-missing-refused "vfvm check of a missing BDF: exit $RC, want 3 with 'no such PCI device'"
fi

run vfvm check --device not-a-bdf
if [ "$RC" = 2 ] && echo "$OUT" | grep -q "not a PCI address"; then
	pass vfvm-check-bad-spec
else
	fail vfvm-check-bad-spec "vfvm check --device not-a-bdf: exit $RC, want 2 and 'not a PCI address'"
fi

# --irq-report while L2 uses the VF
if [ ! -c /dev/kvm ] || [ ! -s /lab/l2/bzImage ] || [ ! -s /lab/l2/initrd ]; then
	fail vfvm-irq-report "/dev/kvm or the L2 kernel/initrd missing"
	run vfctl vfs "$pf" 0
	exit 0
fi
w=/tmp/vfvm-check
mkdir -p "$w"
cat > "$w/l2.sh" << 'EOF'
i=0
while [ ! -b /dev/nvme0n1 ] && [ "$i" -lt 60 ]; do
	sleep 1
	i=$((i + 1))
done
[ -b /dev/nvme0n1 ] || { echo "L2-NVME none"; exit 1; }
dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=64 iflag=direct 2> /dev/null
echo "L2-NVME probed"
grep nvme /proc/interrupts | sed 's/^/L2-IRQ-LINE /'
# stay up until the host has seen vfvm's report of the live vectors: it
# says so with a line on the console (our stdin); give up after 300 s
if read -r -t 300 go && [ "$go" = report-seen ]; then
	echo "L2-HOST-SAW-REPORT"
else
	echo "L2-NO-WORD-FROM-HOST"
fi
EOF
lab_l2_initrd "$w/l2.sh" "$w/initrd"
# vfvm's own lines (stderr) apart from the guest's console (stdout): the
# report comes while the guest prints, and would land inside its lines
# The console input is a FIFO held open here, so that the guest can be told
# when the report is out (a wait on the report itself, not on time).
rm -f "$w/console.in"
mkfifo "$w/console.in"
echo "lab# vfvm run --kernel /lab/l2/bzImage --initrd $w/initrd --mem 256M --cpus 1 --device $vf,managed --irq-report"
timeout 600 vfvm run --kernel /lab/l2/bzImage --initrd "$w/initrd" --cmdline "console=ttyS0 panic=-1" \
	--mem 256M --cpus 1 --device "$vf,managed" --irq-report < "$w/console.in" > "$w/l2.log" 2> "$w/vfvm.err" &
vpid=$!
exec 7> "$w/console.in"
trap '' PIPE # vfvm may be gone by the time the word goes out
if lab_wait "grep -q 'MSI-X vectors of passed-through devices (guest has [1-9]' '$w/vfvm.err' || ! kill -0 $vpid 2> /dev/null" 300; then
	echo report-seen >&7
fi
exec 7>&-
wait "$vpid"
st=$?
grep -E 'L2-' "$w/l2.log" | head -n 20
head -n 30 "$w/vfvm.err"
if grep -Eq '^vfvm: DMA-mapped [0-9.]+ GiB of guest RAM \((type1v2|iommufd)\)' "$w/vfvm.err"; then
	pass vfvm-dma-stats
else
	fail vfvm-dma-stats "vfvm printed no 'DMA-mapped ... GiB of guest RAM (backend)' line (exit $st)"
fi
# a vector line of this VF with a GSI number and an attached irqfd
if grep -q 'vfvm: MSI-X vectors of passed-through devices (guest has [1-9]' "$w/vfvm.err" &&
	grep -Eq "^vfvm: +$vf +[0-9]+ +[0-9]+ 0x[0-9a-f]+ 0x[0-9a-f]+ +[0-9]+ no +yes " "$w/vfvm.err"; then
	pass vfvm-irq-report
else
	fail vfvm-irq-report "no per-vector listing with a GSI and an irqfd for $vf (vfvm exit $st)"
fi
if [ "$st" = 0 ] && [ "$(lab_driver "$vf")" = "$orig" ]; then
	pass vfvm-irq-report-given-back
else
	fail vfvm-irq-report-given-back "vfvm exit $st; $vf on '$(lab_driver "$vf")', was '$orig'"
fi
run vfctl vfs "$pf" 0
rm -rf "$w"
exit 0
