# shellcheck shell=sh
# Runs inside the emulated lab's L1 after vmm-l1.sh (bench_lab_vmm.sh
# prepends MAP_REPS, IOS, IOPS_ROUNDS and IOPS_BOOTS): VFIO with one NVMe VF of the lab's PF, bound to
# vfio-pci beforehand so that vfvm and QEMU get the same, unmanaged device.
#   map   vfvm start to exit on a guest that powers off at once
#         (/opt/bench/poweroff.bin, --firmware), 256 MiB and 768 MiB of RAM,
#         with and without the VF, 4 KiB pages and --hugetlb.  The growth
#         with the VF minus the growth without it, per GiB, is what mapping
#         (pinning) guest RAM for DMA costs.
#   iops  a Linux L2 (1 vCPU, 256 MiB) with the VF: IOS direct 4 KiB reads
#         of the namespace with busybox dd, timed in L2, and the nvme
#         interrupts L2 counted meanwhile; under vfvm and under QEMU
#         (microvm,pcie=on, -device vfio-pci).  Each boot reads IOPS_ROUNDS
#         times; the VMMs alternate, IOPS_BOOTS boots each, so that a slow
#         spell of the emulator does not land on one VMM only.
#   BENCH-VFIO map <4k|huge> <none|vf> <MiB> <run> <ms> <exit status>
#   BENCH-VFIO iops <vmm> <reads> <ms> <interrupts>   (one line a round; vmm is
#         vfvm or qemu, and vfvm-iommufd / qemu-iommufd where L1 has iommufd)
#   BENCH-VFIO-NOTE <text>
# shellcheck source-path=SCRIPTDIR source=../../lab/cases/lib.sh
. /lab/cases/lib.sh

W=/tmp/bench-vfio
QEMU=/usr/bin/qemu-system-x86_64
FW=/opt/bench/poweroff.bin
KERNEL=/lab/l2/bzImage
rm -rf $W
mkdir -p $W

now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N | "") awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime ;;
	*) echo $((t / 1000000)) ;;
	esac
}

pf=$(lab_nvme_pf)
if [ -z "$pf" ] || ! command -v vfctl > /dev/null || ! command -v vfvm > /dev/null; then
	echo "BENCH-VFIO-NOTE no NVMe PF, vfctl or vfvm in L1: nothing measured"
	exit 1
fi
modprobe vfio-pci 2> /dev/null
vfctl vfs "$pf" 1 > $W/vfs.out 2>&1
vf=$(lab_vf "$pf" 0)
lab_wait "lab_nvme_live $vf" 20
if [ -z "$vf" ] || ! lab_nvme_live "$vf"; then
	echo "BENCH-VFIO-NOTE no live NVMe VF after vfctl vfs $pf 1: nothing measured"
	sed 's/^/  | /' $W/vfs.out
	vfctl vfs "$pf" 0 > /dev/null 2>&1
	exit 1
fi
lab_bind_raw "$vf" vfio-pci
if [ "$(lab_driver "$vf")" != vfio-pci ]; then
	echo "BENCH-VFIO-NOTE $vf did not bind to vfio-pci (driver: $(lab_driver "$vf")): nothing measured"
	vfctl vfs "$pf" 0 > /dev/null 2>&1
	exit 1
fi

# ---- map ----
hp_old=$(cat /proc/sys/vm/nr_hugepages)
echo 400 > /proc/sys/vm/nr_hugepages
hp=$(cat /proc/sys/vm/nr_hugepages)
[ -s $FW ] || echo "BENCH-VFIO-NOTE $FW missing (not built): no map numbers"
for mode in 4k huge; do
	[ -s $FW ] || break
	opt=
	if [ $mode = huge ]; then
		if [ "$hp" -lt 384 ]; then
			echo "BENCH-VFIO-NOTE only $hp hugepages of 2 MiB could be reserved (384 needed): no hugetlb numbers"
			break
		fi
		opt=--hugetlb
	fi
	r=1
	while [ "$r" -le "$MAP_REPS" ]; do
		for dev in none vf; do
			dopt=
			[ $dev = vf ] && dopt="--device $vf"
			for mib in 256 768; do
				t0=$(now_ms)
				# shellcheck disable=SC2086 # options are words or nothing
				timeout 120 vfvm run --firmware $FW --mem ${mib}M $opt $dopt \
					< /dev/null > $W/map.log 2>&1
				rc=$?
				t1=$(now_ms)
				echo "BENCH-VFIO map $mode $dev $mib $r $((t1 - t0)) $rc"
				[ $rc = 0 ] || sed 's/^/  | /' $W/map.log | tail -n 5
			done
		done
		r=$((r + 1))
	done
done
echo "$hp_old" > /proc/sys/vm/nr_hugepages

# ---- iops ----
cat > $W/l2.sh << L2
now_ms() {
	t=\$(date +%s%N 2>/dev/null)
	case \$t in
	*N | "") awk '{ printf "%d\\n", \$1 * 1000 }' /proc/uptime ;;
	*) echo \$((t / 1000000)) ;;
	esac
}
irqs() { grep nvme /proc/interrupts | awk '{ for (i = 2; i <= NF; i++) if (\$i ~ /^[0-9]+\$/) t += \$i } END { print t + 0 }'; }
i=0
while [ ! -b /dev/nvme0n1 ] && [ "\$i" -lt 60 ]; do
	sleep 1
	i=\$((i + 1))
done
if [ -b /dev/nvme0n1 ]; then
	r=0
	while [ "\$r" -lt $IOPS_ROUNDS ]; do
		b=\$(irqs)
		t0=\$(now_ms)
		dd if=/dev/nvme0n1 of=/dev/null bs=4k count=$IOS iflag=direct 2> /dev/null
		t1=\$(now_ms)
		a=\$(irqs)
		echo "L2-IOPS $IOS \$((t1 - t0)) \$((a - b))"
		r=\$((r + 1))
	done
else
	echo "L2-IOPS none"
fi
L2
lab_l2_initrd $W/l2.sh $W/initrd

QCPU="-cpu host"
if ! printf 'quit\n' | timeout 60 $QEMU -enable-kvm -M microvm -cpu host -m 64M -nodefaults \
	-no-user-config -display none -S -monitor stdio > $W/probe 2>&1; then
	QCPU=""
fi

iops() { # VMM CMD...
	vmm=$1
	shift
	timeout 300 "$@" < /dev/null > "$W/iops-$vmm.log" 2>&1
	rc=$?
	res=$(sed -n 's/^L2-IOPS \([0-9]* [0-9]* [0-9-]*\).*/\1/p' "$W/iops-$vmm.log")
	if [ -z "$res" ]; then
		echo "BENCH-VFIO-NOTE $vmm iops: no result (exit $rc); console tail:"
		grep -v '^\s*$' "$W/iops-$vmm.log" | tail -n 12 | sed 's/^/  | /'
		res="none none none"
	fi
	echo "$res" | sed "s/^/BENCH-VFIO iops $vmm /"
}

CMDLINE="console=ttyS0 panic=-1 quiet"
# Where L1's kernel has iommufd and the VFIO cdev (the lab-iommufd kernel),
# both VMMs run once more through it: vfvm forced to iommufd, QEMU with an
# iommufd object; "vfvm"/"qemu" stay the type1 container runs.
iommufd=""
[ -c /dev/iommu ] && [ -d /sys/class/vfio-dev ] && iommufd=1
if [ -n "$iommufd" ]; then
	echo "BENCH-VFIO-NOTE L1 kernel $(uname -r) has iommufd: both backends measured"
else
	echo "BENCH-VFIO-NOTE L1 kernel $(uname -r) has no iommufd: type1 only"
fi
qemu_iops() { # label extra-args...
	label=$1
	shift
	# shellcheck disable=SC2086 # QCPU is two words or none
	iops "$label" $QEMU -enable-kvm -M microvm,pcie=on $QCPU -smp 1 -m 256M -nodefaults \
		-no-user-config -display none -serial stdio -no-reboot -kernel $KERNEL -initrd $W/initrd \
		-append "$CMDLINE" "$@"
}
b=0
while [ "$b" -lt "$IOPS_BOOTS" ]; do
	VFVM_VFIO_BACKEND=type1 iops vfvm vfvm run --kernel $KERNEL --initrd $W/initrd --mem 256M \
		--cpus 1 --cmdline "$CMDLINE" --device "$vf"
	qemu_iops qemu -device vfio-pci,host="$vf"
	if [ -n "$iommufd" ]; then
		VFVM_VFIO_BACKEND=iommufd iops vfvm-iommufd vfvm run --kernel $KERNEL --initrd $W/initrd \
			--mem 256M --cpus 1 --cmdline "$CMDLINE" --device "$vf"
		qemu_iops qemu-iommufd -object iommufd,id=iofd0 -device vfio-pci,host="$vf",iommufd=iofd0
	fi
	b=$((b + 1))
done

lab_bind_raw "$vf" nvme
vfctl vfs "$pf" 0 > /dev/null 2>&1
rm -rf $W
exit 0
