# shellcheck shell=sh
# RAM migration on the lab's KVM (src/vmm/dirty_log.c, migrate_*.c,
# throttle.c), driven by lab-migrate without the vfvm front end: KVM's dirty
# log reports exactly the pages a real-mode guest wrote, with manual protect
# (KVM_CLEAR_DIRTY_LOG) and with plain KVM_GET_DIRTY_LOG, and stopping
# restores the memslot; a guest dirtying memory faster than the (limited)
# link is throttled and its copy equals the source after the final pass; a
# cancelled migration leaves tracking off and the guest running.  The same
# through KVM's dirty ring (src/vmm/dirty_ring.c): the phases' pages, no
# KVM_GET_DIRTY_LOG on a ring VM, a live migration whose copy equals the
# source, a cancel that leaves tracking off.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/cases/lib.sh
if [ ! -c /dev/kvm ]; then
	skip migrate-ram "/dev/kvm in L1"
	exit 1
fi
say lab-migrate dirty-log
say lab-migrate dirty-log --plain
say lab-migrate live
say lab-migrate cancel
say lab-migrate dirty-ring
say lab-migrate live --ring
say lab-migrate cancel --ring
