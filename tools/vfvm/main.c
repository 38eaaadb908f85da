// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfvm: the command-line front end of the VMM.  Parses the command line,
 * builds the VM from the libraries and maps the outcome to the documented
 * exit statuses (vfvm(1)).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "api.h"
#include "boot.h"
#include "devices.h"
#include "hugepage.h"
#include "migrate_uri.h"
#include "numa.h"
#include "pci_hotplug.h"
#include "sandbox.h"
#include "platform.h"
#include "spec.h"
#include "vfio_pci.h"
#include "vfvm.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "virtio_pci.h"
#include "vm.h"

#define MAX_DEVS 32

struct opts {
	const char *kernel, *initrd, *cmdline, *firmware, *affinity, *api_socket, *restore;
	const char *incoming; /* --incoming URI */
	const char *name; /* --name: the VM's record (default vfvm-PID) */
	struct vfvm_confine confine; /* --user, --chroot */
	uint64_t mem;
	uint64_t mmio64; /* --mmio64; 0: sized from the devices */
	unsigned int cpus;
	bool hugetlb, rng, irq_report, debug_exit;
	bool numa; /* --numa */
	uint64_t hugepage_size; /* --hugetlb [2M|1G] */
	int serial_escape; /* -1: when stdout is a terminal, 0: --serial raw, 1: --serial escape */
	enum vm_dirty_track dirty_track; /* --dirty-track, auto by default */
	struct sandbox sandbox; /* --sandbox (on by default), --test-bad-syscall */
	const char *disk[MAX_DEVS], *net[MAX_DEVS], *dev[MAX_DEVS];
	int nr_disk, nr_net, nr_dev;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vfvm run (--kernel FILE [--initrd FILE] [--cmdline STR] | --firmware "
		"FILE)\n"
		"                | --restore DIR [--net id=ID,...]... [--disk id=ID,path=P]...\n"
		"                | --incoming tcp:HOST:PORT|unix:PATH [--net id=ID,...]...\n"
		"                  [--disk id=ID,path=P]... [--device BDF,failover=NET,...]...\n"
		"                --mem SIZE [--cpus N] [--disk PATH[,ro][,id=ID]]...\n"
		"                [--net "
		"tap=NAME[,id=ID][,mac=M][,tx-coalesce=US][,failover=on]]...\n"
		"                [--rng] [--device "
		"BDF[,managed][,vf-token=UUID][,rom=on|off|FILE][,id=ID][,failover=NET]]...\n"
		"                [--hugetlb [2M|1G]] [--cpu-affinity LIST] [--mmio64 SIZE]\n"
		"                [--numa]\n"
		"                [--irq-report] [--debug-exit] [--serial raw|escape]\n"
		"                [--api-socket PATH] [--name NAME] [--dirty-track "
		"auto|ring|bitmap]\n"
		"                [--user UID:GID|NAME[:GROUP]] [--chroot DIR]\n"
		"                [--sandbox on|off]\n"
		"       vfvm ctl PATH VERB [ARG] [--json]   (info, pause, resume, powerdown, "
		"quit,\n"
		"                events, add-device, remove-device, failover-unplug/replug,\n"
		"                snapshot, migrate, migrate-status, migrate-cancel, upgrade;\n"
		"                'vfvm ctl --help')\n"
		"       vfvm check --device BDF[,...] [--device ...] [--mem SIZE] [--hugetlb "
		"[1G]]\n"
		"                  [--mmio64 SIZE] [--numa [--cpus N] [--cpu-affinity LIST]]\n"
		"       vfvm --help\n"
		"\n"
		"Runs a KVM guest with a 16550 console on stdin/stdout.\n"
		"  --kernel FILE        Linux bzImage (64-bit boot protocol)\n"
		"  --initrd FILE        initramfs for --kernel\n"
		"  --cmdline STR        kernel command line (default: console=ttyS0)\n"
		"  --firmware FILE      flat image placed like a PC BIOS (ends at 4 GiB and 1 "
		"MiB),\n"
		"                       started at the reset vector F000:FFF0\n"
		"  --mem SIZE           guest RAM: bytes, or with K, M, G, T suffix (plain number "
		"= MiB)\n"
		"  --cpus N             vCPUs, 1-%d (default 1)\n"
		"  --disk PATH[,ro][,id=ID]\n"
		"                       virtio-blk on a raw file or block device\n"
		"  --net tap=NAME[,id=ID][,mac=M][,tx-coalesce=US][,failover=on]\n"
		"                       virtio-net on an existing tap interface; while the guest\n"
		"                       streams, transmit kicks wait up to US microseconds\n"
		"                       (default %d, 0 = never) to go out in one batch;\n"
		"                       failover=on (needs mac=) makes it the standby of a VF\n"
		"                       with that MAC (VIRTIO_NET_F_STANDBY)\n"
		"  id=ID                the name the control API gives the device: 1-31 of\n"
		"                       A-Z a-z 0-9 _ . - starting with a letter\n"
		"  --rng                virtio-rng fed from the host's getrandom()\n"
		"  --device BDF[,...]   pass a PCI device through with VFIO; managed takes it\n"
		"                       from its host driver and gives it back; failover=NET\n"
		"                       makes a NIC VF the primary of --net "
		"id=NET,...,failover=on\n"
		"                       (plugged once the guest accepts STANDBY, with NET's MAC)\n"
		"  --hugetlb [2M|1G]    back guest RAM with hugetlb pages (2 MiB by default;\n"
		"                       1G needs --mem in whole GiB and 1 GiB pages reserved)\n"
		"  --mmio64 SIZE        the 64-bit PCI MMIO window above guest RAM, in whole GiB\n"
		"                       (K, M, G, T suffixes); default: 64G, or when the\n"
		"                       --device 64-bit BARs (naturally aligned) need more than\n"
		"                       half of that, the BARs plus 64G for hot-plug; always\n"
		"                       within the host's physical address bits\n"
		"  --cpu-affinity LIST  pin vCPU i to the i-th host CPU of LIST (e.g. 2-3); the "
		"VMM's\n"
		"                       other threads run on the remaining CPUs\n"
		"  --numa               guest NUMA nodes mirroring the host nodes of the --device\n"
		"                       list (plus those of --cpu-affinity; without devices, of\n"
		"                       the CPUs vfvm may run on): RAM and vCPUs split evenly,\n"
		"                       RAM bound to its host node, vCPUs pinned to its CPUs,\n"
		"                       SRAT/SLIT with the host's distances, _PXM per device\n"
		"  --irq-report         list each MSI-X vector of passed-through devices (GSI "
		"route,\n"
		"                       posted-interrupt conditions) on stderr whenever the "
		"guest's\n"
		"                       set of live vectors grows or shrinks (else at exit);\n"
		"                       SIGUSR1 lists them any time\n"
		"  --debug-exit         give the guest the debug-exit port 0x501 (test "
		"programs):\n"
		"                       writing N there ends the VM with 64+N (0: status 0)\n"
		"  --serial raw|escape  console output: raw keeps the guest's bytes as they are;\n"
		"                       escape shows control bytes as ^X (ESC as ^[) and bytes\n"
		"                       from 0x80 as M-x (default: escape when stdout is a "
		"terminal)\n"
		"  --dirty-track auto|ring|bitmap\n"
		"                       how a live migration learns which pages the vCPUs\n"
		"                       wrote: KVM's per-vCPU dirty ring (set up when the VM\n"
		"                       is made; ring fails if KVM lacks it) or its dirty\n"
		"                       bitmap; auto (default): the ring where KVM offers it\n"
		"  --api-socket PATH    serve the control API (docs/api.md) on a Unix socket\n"
		"                       (mode 0600; 'vfvm ctl PATH VERB' is its client)\n"
		"  --name NAME          the VM's name (default vfvm-PID): what it takes from the\n"
		"                       host is written down in STATE_DIR/vms/NAME before it is\n"
		"                       taken, so 'vfctl restore --vm NAME' gives it back after\n"
		"                       a crash or SIGKILL; vfvm's keeper (its parent process)\n"
		"                       gives it back itself whenever the VMM process ends\n"
		"  --user UID:GID|NAME[:GROUP]\n"
		"                       after setup the VMM process becomes this user, with no\n"
		"                       capabilities; the keeper does what needs privilege\n"
		"  --chroot DIR         after setup (every file opened) the VMM enters DIR\n"
		"  --restore DIR        start the VM saved by 'vfvm ctl PATH snapshot DIR' where\n"
		"                       it stopped: memory, vCPUs and devices come from DIR;\n"
		"                       --net id=ID,tap=T and --disk id=ID,path=P change the\n"
		"                       saved device ID (other members as saved)\n"
		"  --incoming URI       wait on tcp:HOST:PORT (HOST empty: every address) or\n"
		"                       unix:PATH for a VM that 'vfvm ctl PATH migrate URI'\n"
		"                       sends; it is made from what the source sends (like\n"
		"                       --restore, with the same --net/--disk changes) and\n"
		"                       runs on here; --device VF,failover=NET gives this\n"
		"                       host's VF as the primary of failover pair NET\n"
		"  --sandbox on|off     after setup each thread keeps only the system calls\n"
		"                       and capabilities its role needs (default on; off is\n"
		"                       for debugging); a call outside them ends vfvm with 6\n"
		"\n"
		"vfvm check explains, per --device, what would stop passthrough (IOMMU, "
		"interrupt\n"
		"remapping, group, driver, memlock, IOVA ranges, MMIO window, reset) and "
		"changes\n"
		"nothing: exit 0 ready, 3 not ready ('vfvm check --help').\n"
		"\n"
		"Exit status: 0 guest powered off, 1 VMM error, 2 usage error, 3 guest "
		"reset/reboot,\n"
		"4 guest crashed (triple fault, KVM emulation failure), 5 stopped by a signal\n"
		"or the control API's quit, 6 a thread made a call its sandbox does not allow,\n"
		"64+N the guest wrote N (1-63) to the debug-exit port 0x501 (--debug-exit).\n",
		VM_MAX_VCPUS, VIRTIO_NET_TX_COALESCE_US);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vfvm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vfvm --help'.\n");
	return VM_EXIT_USAGE;
}

/* The option getopt_long just refused, as the user wrote it (without =VALUE). */
static const char *bad_option_name(char **argv)
{
	static char name[128];
	const char *a = argv[optind - 1];

	if (optopt && strncmp(a, "--", 2))
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
	return name;
}

int vfvm_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 20;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	case 'b':
	case 'B':
		shift = 0;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	/* up to 2^57 bytes: the most a 5-level x86 page table addresses */
	if (*end || v == 0 || v > (1ULL << (57 - shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int check_readable(const char *flag, const char *path)
{
	if (access(path, R_OK) < 0) {
		fprintf(stderr, "vfvm: %s %s: %s\n", flag, path, strerror(errno));
		return -1;
	}
	return 0;
}

static int check_spec(const char *flag, const char *spec)
{
	struct virtio_blk_spec *b;
	struct virtio_net_spec n;
	struct errinfo e = {0};
	int bad;

	if (!strcmp(flag, "--net")) {
		bad = virtio_net_parse_spec(spec, &n, &e) < 0;
	} else {
		b = malloc(sizeof(*b)); /* its path buffer is PATH_MAX */
		if (!b) {
			fprintf(stderr, "vfvm: out of memory\n");
			return VM_EXIT_ERROR;
		}
		bad = virtio_blk_parse_spec(spec, b, &e) < 0;
		free(b);
	}
	if (bad)
		return usage_error("%s%s%s", e.msg, e.hint[0] ? "\nvfvm: hint: " : "", e.hint);
	return 0;
}

/*
 * --restore and --incoming: the machine comes from the snapshot or the
 * source; --net/--disk only change one of its devices; --incoming takes
 * this host's VFs for failover pairs.
 */
static int check_restore_opts(const struct opts *o)
{
	const char *opt = o->restore ? "--restore" : "--incoming";
	const char *from = o->restore ? "the snapshot says it" : "the source sends it";
	const char *from_snapshot = o->kernel	  ? "--kernel"
				    : o->firmware ? "--firmware"
				    : o->initrd	  ? "--initrd"
				    : o->cmdline  ? "--cmdline"
				    : o->mem	  ? "--mem"
				    : o->cpus > 1 ? "--cpus"
				    : o->hugetlb  ? "--hugetlb"
				    : o->rng	  ? "--rng"
				    : o->numa	  ? "--numa"
						  : NULL;

	if (o->restore && o->incoming)
		return usage_error("--restore and --incoming do not go together");
	if (from_snapshot)
		return usage_error("%s does not go with %s: %s", from_snapshot, opt, from);
	if (o->nr_dev && o->restore)
		return usage_error("--device does not go with --restore: a restored VM gets "
				   "passed-through devices with 'vfvm ctl PATH add-device'");
	for (int i = 0; i < o->nr_dev; i++)
		if (!strstr(o->dev[i], ",failover="))
			return usage_error("--device %s: with --incoming, only the VF of a "
					   "failover pair (,failover=NET); add others after "
					   "with 'vfvm ctl PATH add-device'",
					   o->dev[i]);
	for (int i = 0; i < o->nr_disk + o->nr_net; i++) {
		const char *spec = i < o->nr_disk ? o->disk[i] : o->net[i - o->nr_disk];

		if (!strstr(spec, "id=") || (strncmp(spec, "id=", 3) && !strstr(spec, ",id=")))
			return usage_error("%s %s: with %s, give the id= of the device it "
					   "changes",
					   i < o->nr_disk ? "--disk" : "--net", spec, opt);
	}
	return 0;
}

static int parse_run(int argc, char **argv, struct opts *o)
{
	enum {
		O_KERNEL = 256,
		O_INITRD,
		O_CMDLINE,
		O_FIRMWARE,
		O_MEM,
		O_CPUS,
		O_DISK,
		O_NET,
		O_RNG,
		O_DEVICE,
		O_HUGETLB,
		O_AFFINITY,
		O_IRQ_REPORT,
		O_DEBUG_EXIT,
		O_SERIAL,
		O_API_SOCKET,
		O_RESTORE,
		O_INCOMING,
		O_MMIO64,
		O_NAME,
		O_DIRTY_TRACK,
		O_USER,
		O_CHROOT,
		O_SANDBOX,
		O_NUMA,
		O_TEST_BAD_SYSCALL,
		O_HELP
	};
	static const struct option lo[] = {
		{"kernel", required_argument, NULL, O_KERNEL},
		{"initrd", required_argument, NULL, O_INITRD},
		{"cmdline", required_argument, NULL, O_CMDLINE},
		{"firmware", required_argument, NULL, O_FIRMWARE},
		{"mem", required_argument, NULL, O_MEM},
		{"cpus", required_argument, NULL, O_CPUS},
		{"disk", required_argument, NULL, O_DISK},
		{"net", required_argument, NULL, O_NET},
		{"rng", no_argument, NULL, O_RNG},
		{"device", required_argument, NULL, O_DEVICE},
		{"hugetlb", optional_argument, NULL, O_HUGETLB},
		{"mmio64", required_argument, NULL, O_MMIO64},
		{"cpu-affinity", required_argument, NULL, O_AFFINITY},
		{"irq-report", no_argument, NULL, O_IRQ_REPORT},
		{"debug-exit", no_argument, NULL, O_DEBUG_EXIT},
		{"serial", required_argument, NULL, O_SERIAL},
		{"api-socket", required_argument, NULL, O_API_SOCKET},
		{"restore", required_argument, NULL, O_RESTORE},
		{"incoming", required_argument, NULL, O_INCOMING},
		{"name", required_argument, NULL, O_NAME},
		{"dirty-track", required_argument, NULL, O_DIRTY_TRACK},
		{"user", required_argument, NULL, O_USER},
		{"chroot", required_argument, NULL, O_CHROOT},
		{"sandbox", required_argument, NULL, O_SANDBOX},
		{"numa", no_argument, NULL, O_NUMA},
		/* tests only: that thread makes a forbidden call once sandboxed */
		{"test-bad-syscall", required_argument, NULL, O_TEST_BAD_SYSCALL},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c, cpus[256];
	char *end;
	long n;

	o->cpus = 1;
	o->serial_escape = -1;
	o->sandbox.on = true;
	o->sandbox.test_bad_role = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case O_KERNEL:
			o->kernel = optarg;
			break;
		case O_INITRD:
			o->initrd = optarg;
			break;
		case O_CMDLINE:
			o->cmdline = optarg;
			break;
		case O_FIRMWARE:
			o->firmware = optarg;
			break;
		case O_MEM:
			if (vfvm_parse_size(optarg, &o->mem))
				return usage_error("--mem '%s': expected a size like 512M or 2G",
						   optarg);
			break;
		case O_CPUS:
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > VM_MAX_VCPUS)
				return usage_error("--cpus '%s': expected a number from 1 to 64",
						   optarg);
			o->cpus = (unsigned int)n;
			break;
		case O_DISK:
			if (o->nr_disk == MAX_DEVS)
				return usage_error("too many --disk (%s)", optarg);
			o->disk[o->nr_disk++] = optarg;
			break;
		case O_NET:
			if (o->nr_net == MAX_DEVS)
				return usage_error("too many --net (%s)", optarg);
			o->net[o->nr_net++] = optarg;
			break;
		case O_DEVICE: {
			struct vfio_pci_spec spec;
			struct errinfo e = {0};

			if (o->nr_dev == MAX_DEVS)
				return usage_error("too many --device (%s)", optarg);
			/* syntax now: a typo is a usage error, before anything is touched */
			if (vfio_pci_spec_parse(optarg, &spec, &e) < 0)
				return usage_error("--device %s: %s", optarg, e.msg);
			o->dev[o->nr_dev++] = optarg;
			break;
		}
		case O_RNG:
			o->rng = true;
			break;
		case O_HUGETLB:
			o->hugetlb = true;
			if (vfvm_opt_hugetlb(argc, argv, optarg, &o->hugepage_size, "vfvm"))
				return VM_EXIT_USAGE;
			break;
		case O_MMIO64: {
			struct errinfo se = {0};

			if (vfvm_parse_size(optarg, &o->mmio64))
				return usage_error("--mmio64 '%s': expected a size like 512G or 4T",
						   optarg);
			if (mmio_plan_check_size(o->mmio64, &se))
				return usage_error("--mmio64 %s: %s", optarg, se.msg);
			break;
		}
		case O_IRQ_REPORT:
			o->irq_report = true;
			break;
		case O_DEBUG_EXIT:
			o->debug_exit = true;
			break;
		case O_SERIAL:
			if (!strcmp(optarg, "raw"))
				o->serial_escape = 0;
			else if (!strcmp(optarg, "escape"))
				o->serial_escape = 1;
			else
				return usage_error("--serial '%s': expected raw or escape", optarg);
			break;
		case O_API_SOCKET:
			o->api_socket = optarg;
			break;
		case O_RESTORE:
			o->restore = optarg;
			break;
		case O_INCOMING:
			o->incoming = optarg;
			break;
		case O_NAME:
			if (!vm_name_valid(optarg))
				return usage_error(
					"--name '%s': expected 1-63 of A-Z a-z 0-9 _ . : "
					"@ + -, starting with a letter or digit",
					optarg);
			o->name = optarg;
			break;
		case O_DIRTY_TRACK:
			if (dirty_track_parse(optarg, &o->dirty_track) < 0)
				return usage_error(
					"--dirty-track '%s': expected auto, ring or bitmap",
					optarg);
			break;
		case O_USER:
			if (vfvm_confine_parse_user(optarg, &o->confine))
				return VM_EXIT_USAGE;
			break;
		case O_CHROOT:
			if (vfvm_confine_check_chroot(optarg))
				return VM_EXIT_USAGE;
			o->confine.chroot = optarg;
			break;
		case O_SANDBOX:
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				return usage_error("--sandbox '%s': expected on or off", optarg);
			o->sandbox.on = !strcmp(optarg, "on");
			break;
		case O_NUMA:
			o->numa = true;
			break;
		case O_TEST_BAD_SYSCALL:
			o->sandbox.test_bad_role = sandbox_role_parse(optarg);
			if (o->sandbox.test_bad_role < 0)
				return usage_error("--test-bad-syscall '%s': expected main, io, "
						   "vcpu, blk, migration or postcopy-fault",
						   optarg);
			break;
		case O_AFFINITY:
			if (vm_parse_cpu_affinity(optarg, cpus, 256) < 0)
				return usage_error(
					"--cpu-affinity '%s': expected a CPU list like 0-1,3",
					optarg);
			o->affinity = optarg;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			/* as vfctl's verbs and vfvm check say it */
			fprintf(stderr, "vfvm run: %s '%s'%s\nTry 'vfvm run --help'.\n",
				c == ':' ? "option" : "unknown option", bad_option_name(argv),
				c == ':' ? " needs a value" : "");
			return VM_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->sandbox.test_bad_role >= 0 && !o->sandbox.on)
		return usage_error("--test-bad-syscall needs --sandbox on");
	if (!o->sandbox.on)
		fprintf(stderr, "vfvm: sandbox off (--sandbox off): every thread keeps every "
				"system call and capability\n");
	if (o->restore || o->incoming)
		return check_restore_opts(o);
	/* syntax now (a typo is a usage error): nothing is opened yet */
	for (int i = 0; i < o->nr_disk; i++)
		if (check_spec("--disk", o->disk[i]))
			return VM_EXIT_USAGE;
	for (int i = 0; i < o->nr_net; i++)
		if (check_spec("--net", o->net[i]))
			return VM_EXIT_USAGE;
	if (!o->mem)
		return usage_error("--mem SIZE is required");
	if (o->hugetlb && vfvm_check_hugetlb_mem(o->hugepage_size, o->mem, "vfvm"))
		return VM_EXIT_USAGE;
	if (!o->kernel == !o->firmware)
		return usage_error("give exactly one of --kernel FILE or --firmware FILE");
	if (o->firmware && (o->initrd || o->cmdline))
		return usage_error("--initrd and --cmdline go with --kernel, not --firmware");
	if (o->firmware && o->numa)
		return usage_error("--numa goes with --kernel: it describes the nodes in the ACPI "
				   "tables vfvm builds for Linux, which --firmware does not get");
	if ((o->kernel && check_readable("--kernel", o->kernel)) ||
	    (o->initrd && check_readable("--initrd", o->initrd)) ||
	    (o->firmware && check_readable("--firmware", o->firmware)))
		return VM_EXIT_USAGE;
	return 0;
}

static void report(const struct errinfo *e)
{
	fprintf(stderr, "vfvm: %s\n", e->msg[0] ? e->msg : strerror(e->err));
	if (e->hint[0])
		fprintf(stderr, "vfvm: hint: %s\n", e->hint);
}

/*
 * Give back devices claimed but never added (the VM did not get that far);
 * said like destroy_vm().  Returns -1 when one could not go back.
 */
static int unclaim_devices(struct vfio_pci **claim, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		struct errinfo e = {0};

		if (!claim[i])
			continue;
		if (vfio_pci__unclaim(claim[i], &e)) {
			fprintf(stderr, "vfvm: 1 managed device not given back to the host\n");
			report(&e);
			failed = 1;
		}
		claim[i] = NULL;
	}
	return failed ? -1 : 0;
}

/*
 * Tear the VM down, every device released with it (passed-through devices
 * reset and closed, then managed ones given back once the container/IOAS
 * is gone); a managed device left off its host driver is said, with what
 * to do, and makes vfvm's exit status 1.
 */
static int destroy_vm(struct vm *vm, struct vfvm_devices *devs)
{
	struct errinfo e, fe = {0};
	int n, nf;

	vm_destroy(vm);
	n = vm->release_failed;
	e = vm->release_err;
	/* failover primaries stay claimed until the VM is gone */
	nf = vfvm_failover_exit(devs, &fe);
	if (nf) {
		fprintf(stderr, "vfvm: %d step%s of giving failover primaries back failed\n", nf,
			nf == 1 ? "" : "s");
		report(&fe);
	}
	if (!n)
		return nf ? -1 : 0;
	fprintf(stderr, "vfvm: %d managed device%s not given back to the host\n", n,
		n == 1 ? "" : "s");
	report(&e);
	return -1;
}

static void on_signal(int fd, uint32_t events, void *opaque)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1) {
		vfvm_irq_report_print(vm, "on SIGUSR1");
		return;
	}
	/* SIGTERM asks the guest to shut down when it listens to the power button */
	if (si.ssi_signo == SIGTERM && platform__power_button(vm) == 0)
		return;
	vm_request_exit(vm, VM_EXIT_SIGNAL,
			si.ssi_signo == SIGINT ? "interrupted (SIGINT)" : "terminated by a signal");
}

/* --irq-report: the last number of live vectors printed, checked once a second. */
struct irq_watch {
	struct vm *vm;
	int last;
	bool printed; /* listed at least once: no listing at exit then */
	int fd; /* timerfd, -1 when not started */
};

static void on_irq_timer(int fd, uint32_t events, void *opaque)
{
	struct irq_watch *w = opaque;
	uint64_t ticks;
	char when[64];
	int live;

	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	/*
	 * Polled rather than hooked into the MSI-X emulation: the guest
	 * unmasks vectors one by one, and one listing after its driver has
	 * settled says more than one per table write.
	 */
	live = vfvm_irq_live(w->vm);
	if (live < 0 || live == w->last)
		return;
	w->last = live;
	/* the guest shutting its driver down is not worth a listing */
	if (!live)
		return;
	w->printed = true;
	snprintf(when, sizeof(when), "guest has %d live vector%s", live, live == 1 ? "" : "s");
	vfvm_irq_report_print(w->vm, when);
}

static int irq_watch_start(struct vm *vm, struct irq_watch *w, struct errinfo *e)
{
	struct itimerspec its = {{1, 0}, {1, 0}};
	int fd;

	w->vm = vm;
	w->last = 0;
	w->fd = -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return err_sys(e, errno, "timerfd_create for --irq-report");
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		err_sys(e, errno, "timerfd_settime for --irq-report");
		close(fd);
		return -e->err;
	}
	if (vm_io_add(vm, fd, EPOLLIN, on_irq_timer, w, e) < 0) {
		close(fd);
		return -e->err;
	}
	/* closed by cmd_run() after vm_run() joined the I/O thread */
	w->fd = fd;
	return 0;
}

/*
 * An interactive console: the guest does its own echo and line editing, so
 * the terminal's are turned off; ISIG stays so Ctrl-C still stops vfvm.
 */
static bool tty_raw(struct termios *saved)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, saved) < 0)
		return false;
	t = *saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(0, TCSANOW, &t) == 0;
}

/*
 * Without --cpu-affinity, keep the vCPUs on the NUMA node of the first
 * passed-through device so its DMA and interrupts stay node-local.  Nothing
 * changes on a single-node host (the node's CPUs are all the CPUs) or when
 * the node is unknown.
 */
static const char *numa_default_affinity(const char *spec, char *cpus, size_t size)
{
	char all[64];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int node = vfio_pci__numa_node(vfvm_host(), spec, cpus, size);

	if (node < 0 || !cpus[0])
		return NULL;
	snprintf(all, sizeof(all), "0-%ld", ncpu - 1);
	if (!strcmp(cpus, all))
		return NULL;
	fprintf(stderr,
		"vfvm: vCPUs placed on NUMA node %d (CPUs %s) of %s; --cpu-affinity overrides\n",
		node, cpus, spec);
	return cpus;
}
/*
 * The VM's record (vm_record.h) under --name or vfvm-PID: what it takes from
 * the host is written down before it is taken.  A name another VM's record
 * holds is refused; a state dir that cannot be trusted too, when a device is
 * managed (else vfvm runs on without a record and says so).
 */
static int record_begin(const struct opts *o, struct vm_record_live **rec)
{
	struct errinfo e = {0};
	char name[VM_NAME_MAX];
	bool managed = false;
	int ret;

	*rec = NULL;
	for (int i = 0; i < o->nr_dev; i++) {
		struct vfio_pci_spec spec;

		if (vfio_pci_spec_parse(o->dev[i], &spec, NULL) == 0 && spec.managed)
			managed = true;
	}
	snprintf(name, sizeof(name), "%s", o->name ? o->name : "");
	if (!o->name)
		snprintf(name, sizeof(name), "vfvm-%ld", (long)getpid());
	ret = vm_record_begin(vfvm_host()->state_dir, name, rec, &e);
	if (ret == 0)
		return 0;
	if (ret == -EEXIST || managed) {
		report(&e);
		return -1;
	}
	fprintf(stderr, "vfvm: warning: no record of VM %s: %s\n", name, e.msg);
	fprintf(stderr, "vfvm: warning: managed devices added later cannot be written down\n");
	return 0;
}

/* At exit: a record that still lists devices stays, and is said. */
static void record_end(struct vm_record_live *rec)
{
	int n;

	if (!rec)
		return;
	n = vm_record_count(rec);
	/* confined, the keeper gave devices back and says what is left */
	if (n && !vfvm_keeper_confined())
		fprintf(stderr,
			"vfvm: %d device%s still off %s host driver%s: listed in %s/%s/%s; "
			"'vfctl restore --vm %s' gives them back\n",
			n, n == 1 ? "" : "s", n == 1 ? "its" : "their", n == 1 ? "" : "s",
			vfvm_host()->state_dir, VM_RECORD_DIR, vm_record_name(rec),
			vm_record_name(rec));
	vfvm_host_set_record(NULL);
	vm_record_end(rec);
}

static int run_vm(struct opts *op);

static int cmd_run(int argc, char **argv)
{
	struct vm_record_live *rec;
	struct opts o = {0};
	int ret;

	ret = parse_run(argc, argv, &o);
	if (ret)
		return ret;
	if (record_begin(&o, &rec))
		return VM_EXIT_ERROR;
	/* from here on the VMM is a child process; this one is its keeper */
	if (vfvm_keeper_fork(rec ? vm_record_name(rec) : NULL, o.api_socket,
			     (const char *const *)o.dev, o.nr_dev,
			     o.confine.user || o.confine.chroot) < 0) {
		vm_record_end(rec);
		return VM_EXIT_ERROR;
	}
	vfvm_host_set_record(rec);
	ret = run_vm(&o);
	record_end(rec);
	return ret;
}

static int run_vm(struct opts *op)
{
	struct opts o = *op;
	struct vm_config cfg = {0};
	struct errinfo e = {0};
	struct termios saved_tty;
	struct irq_watch irqw = {.fd = -1};
	struct vfio_pci *claim[MAX_DEVS] = {0};
	static struct mmio_plan_dev mmio_devs[MAX_DEVS];
	struct vfvm_devices devs = {0};
	struct api_hooks hooks;
	struct vfvm_restore *rs = NULL;
	struct vfvm_dma_progress dma_progress = {0};
	char numa_cpus[1024];
	struct numa_plan numa;
	int dev_node[MAX_DEVS];
	int in_fd = -1;
	bool tty = false;
	struct vm *vm;
	sigset_t set;
	int ret, sfd;

	if (o.restore) {
		/* the snapshot is checked whole before anything is made */
		rs = calloc(1, sizeof(*rs));
		if (!rs || vfvm_restore_open(rs, o.restore, &e) < 0) {
			if (!rs)
				err_set(&e, ENOMEM, "--restore %s: out of memory", o.restore);
			report(&e);
			if (rs)
				vfvm_restore_close(rs);
			free(rs);
			return VM_EXIT_ERROR;
		}
	} else if (o.incoming) {
		struct errinfo ue = {0};

		if (migrate_uri_check(o.incoming, &ue) < 0)
			return usage_error("--incoming %s", ue.msg);
		/* the source's machine, checked whole before anything is made */
		rs = calloc(1, sizeof(*rs));
		if (!rs || vfvm_incoming_open(o.incoming, rs, &in_fd, &e) < 0) {
			if (!rs)
				err_set(&e, ENOMEM, "--incoming %s: out of memory", o.incoming);
			report(&e);
			if (rs)
				vfvm_restore_close(rs);
			free(rs);
			return VM_EXIT_ERROR;
		}
	}
	if (rs) {
		o.mem = rs->mem_size;
		o.cpus = rs->nr_cpus;
		o.hugetlb = rs->hugetlb;
		o.hugepage_size = rs->hugepage_size;
		o.debug_exit = rs->debug_exit;
	}
	cfg.mem_size = o.mem;
	cfg.nr_cpus = o.cpus;
	if (rs && rs->mem_fd >= 0) {
		/* upgrade: the VM takes the source's guest RAM over */
		cfg.mem_fd_given = true;
		cfg.mem_fd = rs->mem_fd;
	}
	cfg.hugetlb = o.hugetlb;
	cfg.hugepage_size = o.hugepage_size;
	cfg.cpu_affinity = o.affinity;
	/* a local choice, also with --restore and --incoming: the VM may migrate on */
	cfg.dirty_track = o.dirty_track;
	if (o.numa) {
		struct vfvm_numa_req req = {
			.dev = (const char *const *)o.dev,
			.nr_dev = o.nr_dev,
			.mem = o.mem,
			.hugepage_size =
				o.hugetlb ? (o.hugepage_size ? o.hugepage_size : HUGEPAGE_2M) : 0,
			.cpus = o.cpus,
			.affinity = o.affinity,
		};

		if (vfvm_numa_plan(&req, &numa, dev_node, "vfvm") ||
		    numa_plan_affinity(&numa, numa_cpus, sizeof(numa_cpus)))
			return VM_EXIT_ERROR;
		vfvm_numa_print(stderr, &numa, "vfvm: ");
		/* each vCPU on a CPU of its node; the other threads off them */
		cfg.cpu_affinity = numa_cpus;
		cfg.numa = &numa;
	} else if (!o.affinity && o.nr_dev) {
		cfg.cpu_affinity = numa_default_affinity(o.dev[0], numa_cpus, sizeof(numa_cpus));
	}

	/* signals are taken by the I/O thread through a signalfd; block them everywhere */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Passed-through devices first, before any VM exists: a device that is
	 * missing, busy or on the wrong driver is refused without touching KVM,
	 * and a managed device is taken here and given back on every way out.
	 */
	for (int i = 0; i < o.nr_dev; i++)
		if (vfio_pci__claim(vfvm_host(), o.dev[i], &claim[i], &e) < 0) {
			err_prefix(&e, "--device %s", o.dev[i]);
			unclaim_devices(claim, o.nr_dev);
			report(&e);
			return VM_EXIT_ERROR;
		}
	/* their 64-bit BARs size and fill the 64-bit MMIO window (mmio_plan.h) */
	for (int i = 0; i < o.nr_dev; i++)
		if (vfio_pci__mmio_dev(vfvm_host(), o.dev[i], &mmio_devs[i], &e) < 0) {
			err_prefix(&e, "--device %s", o.dev[i]);
			unclaim_devices(claim, o.nr_dev);
			report(&e);
			return VM_EXIT_ERROR;
		}
	cfg.mmio_devs = mmio_devs;
	cfg.nr_mmio_devs = (unsigned int)o.nr_dev;
	cfg.mmio64_size = o.mmio64;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		fprintf(stderr, "vfvm: out of memory\n");
		unclaim_devices(claim, o.nr_dev);
		return VM_EXIT_ERROR;
	}
	ret = vm_create(vm, &cfg, &e);
	if (ret)
		goto err_free;
	if (o.sandbox.on && sandbox_prepare(&e))
		goto err;
	vm->sandbox = &o.sandbox;
	vm->log.cb = vfvm_log_print;
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || vm_io_add(vm, sfd, EPOLLIN, on_signal, vm, &e)) {
		if (sfd < 0)
			err_sys(&e, errno, "signalfd");
		goto err;
	}
	if (serial__add(vm, 0, 1, o.serial_escape < 0 ? isatty(1) : o.serial_escape, &e) ||
	    platform__add(vm, o.debug_exit, &e) || pci_hotplug__add(vm, &e))
		goto err;
	devs.vm = vm;
	devs.incoming = o.incoming != NULL;
	devs.debug_exit = o.debug_exit;
	devs.pit = rs ? rs->pit : o.kernel != NULL;
	devs.firmware = rs ? (rs->firmware[0] ? rs->firmware : NULL) : o.firmware;
	if (rs) {
		const char *over[2 * MAX_DEVS];

		memcpy(over, o.disk, sizeof(*over) * (size_t)o.nr_disk);
		memcpy(over + o.nr_disk, o.net, sizeof(*over) * (size_t)o.nr_net);
		if (vfvm_restore_devices(&devs, rs, over, o.nr_disk + o.nr_net, &e))
			goto err;
	}
	for (int i = 0; !rs && i < o.nr_disk; i++)
		if (vfvm_add_device(&devs, API_DEV_DISK, o.disk[i], NULL, &e))
			goto err;
	for (int i = 0; !rs && i < o.nr_net; i++)
		if (vfvm_add_device(&devs, API_DEV_NET, o.net[i], NULL, &e))
			goto err;
	if (o.rng && vfvm_add_rng(&devs, "", &e))
		goto err;
	if (o.nr_dev && vm->mem.total >= VFVM_DMA_PROGRESS_MIN) {
		fprintf(stderr, "vfvm: pinning and DMA-mapping %llu GiB of guest RAM for %s...\n",
			(unsigned long long)(vm->mem.total >> 30), o.dev[0]);
		vm->dma_progress = vfvm_dma_progress_print;
		vm->dma_progress_opaque = &dma_progress;
	}
	for (int i = 0; i < o.nr_dev; i++) {
		struct vfio_pci *c = claim[i];
		bool failover = *vfio_pci__failover(c);

		claim[i] = NULL; /* vfio_pci__add() owns it now, whatever happens */
		/* a failover primary waits for the guest to accept STANDBY */
		if (failover ? vfvm_failover_add(&devs, c, &e) : vfio_pci__add(vm, c, &e))
			goto err;
		/* its slot in the DSDT says its node (a later hot-plug gets none) */
		if (o.numa && !failover && dev_node[i] >= 0)
			numa_plan_add_pxm(&numa, (unsigned int)vfio_pci__slot(c), dev_node[i]);
	}
	if (o.nr_dev)
		vfvm_dma_stats_print(vm);
	if (o.irq_report && irq_watch_start(vm, &irqw, &e))
		goto err;
	vfvm_devices_hooks(&devs, &hooks);
	if (o.api_socket && api_server_start(vm, o.api_socket, &hooks, &e))
		goto err;
	if (rs) {
		/* no boot: the vCPUs go on where the snapshot stopped them */
		if ((rs->pit && vm_create_pit(vm, &e)) ||
		    (rs->firmware[0] && firmware_load(vm, rs->firmware, &e)))
			goto err;
		if (in_fd >= 0 ? vfvm_incoming_finish(&devs, rs, in_fd, &e)
			       : vfvm_restore_state(&devs, rs, &e))
			goto err;
		if (in_fd >= 0) {
			close(in_fd);
			in_fd = -1;
		}
		/* the saved state is in; rs itself stays (devs.firmware points into it) */
		vfvm_restore_close(rs);
	} else if (o.firmware) {
		if (firmware_load(vm, o.firmware, &e))
			goto err;
	} else {
		struct linux_boot lb = {o.kernel, o.initrd, o.cmdline};

		if (vm_create_pit(vm, &e) || linux_boot(vm, &lb, &e))
			goto err;
	}
	if ((o.confine.user || o.confine.chroot) &&
	    (vfvm_keeper_seal(&e) || vfvm_confine(&o.confine, &e)))
		goto err;
	tty = tty_raw(&saved_tty);
	ret = vm_run(vm, &e);
	if (tty)
		tcsetattr(0, TCSANOW, &saved_tty);
	if (ret < 0)
		goto err;
	/* a guest that never had live vectors: show what it left */
	if (o.irq_report && !irqw.printed)
		vfvm_irq_report_print(vm, "at exit");
	if (ret == VM_EXIT_ERROR || ret == VM_EXIT_CRASH)
		report(&e);
	if (ret == VM_EXIT_CRASH) {
		/* the host's log keeps it when the console and stderr are gone */
		openlog("vfvm", LOG_PID, LOG_DAEMON);
		syslog(LOG_ERR, "guest crashed: %s", vm->exit_reason);
		closelog();
	} else if (ret == VM_EXIT_SIGNAL)
		fprintf(stderr, "vfvm: %s\n", vm->exit_reason);
	vfvm_irq_steer_warning_print(vm);
	vfvm_p2p_print(vm);
	if (destroy_vm(vm, &devs) < 0)
		ret = VM_EXIT_ERROR;
	if (irqw.fd >= 0)
		close(irqw.fd);
	free(vm);
	free(rs);
	return ret;
err:
	destroy_vm(vm, &devs);
err_free:
	report(&e);
	if (in_fd >= 0)
		close(in_fd);
	if (rs)
		vfvm_restore_close(rs);
	free(rs);
	unclaim_devices(claim, o.nr_dev);
	if (irqw.fd >= 0)
		close(irqw.fd);
	free(vm);
	return VM_EXIT_ERROR;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return VM_EXIT_USAGE;
	}
	if (vfvm_host_init() < 0)
		return VM_EXIT_USAGE;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	fprintf(stderr, "vfvm: unknown command '%s'\nTry 'vfvm --help'.\n", argv[1]);
	return VM_EXIT_USAGE;
}
