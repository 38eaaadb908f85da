// SPDX-License-Identifier: GPL-2.0-only
/*
 * lab-vfio-probe: the kernel's view of a running VMM's VFIO type1
 * container, for the peer-to-peer lab case (tests/lab/bigbar/77-*).  The
 * lab's kernels have no IOMMU debugfs, and type1 lists no mappings; what it
 * does answer, asked through the VMM's own container fd (pidfd_getfd; PID
 * or one of its children: `vfvm run`'s keeper forks the VMM):
 *   lab-vfio-probe PID avail          DMA-AVAIL N: mappings the container
 *        may still take (type1's dma_entry_limit less those it holds)
 *   lab-vfio-probe PID probe IOVA...  PROBE IOVA mapped|free: whether the
 *        container maps the 4 KiB page at IOVA.  A 4 KiB map of a page of
 *        this program's own is tried there: type1 refuses it (EEXIST) when
 *        a mapping covers it; when it is taken the page was free, and is
 *        unmapped again at once.
 * Exit 0 when every question was answered, 1 otherwise (the reason on
 * stderr, with errno).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096u

/* The PID's open /dev/vfio/vfio (its type1 container), duplicated here; -1 none. */
static int container_of_pid(int pid)
{
	char dir[64], link[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	int pidfd, fd = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "lab-vfio-probe: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "lab-vfio-probe: pidfd_open(%d): %s\n", pid, strerror(errno));
		closedir(d);
		return -1;
	}
	while (fd < 0 && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "/dev/vfio/vfio"))
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		if (fd < 0)
			fprintf(stderr, "lab-vfio-probe: pidfd_getfd(%d, fd %s): %s\n", pid,
				de->d_name, strerror(errno));
	}
	close(pidfd);
	closedir(d);
	return fd;
}

/* A child of @pid (ppid in /proc/N/stat), or -1 when it has none. */
static int child_of(int pid)
{
	char path[300], buf[512], *p;
	struct dirent *de;
	int child = -1;
	DIR *d = opendir("/proc");

	if (!d)
		return -1;
	while (child < 0 && (de = readdir(d))) {
		FILE *f;
		int ppid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		/* "PID (comm) STATE PPID ..." */
		if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == pid)
			child = atoi(de->d_name);
	}
	closedir(d);
	return child;
}

/*
 * The container of @pid or of its first descendants: `vfvm run` is a
 * keeper whose child is the VMM that holds the container.
 */
static int find_container(int pid)
{
	for (int depth = 0; depth < 3 && pid > 0; depth++) {
		int fd = container_of_pid(pid);

		if (fd >= 0)
			return fd;
		pid = child_of(pid);
	}
	fprintf(stderr, "lab-vfio-probe: no /dev/vfio/vfio open in the process or its children\n");
	return -1;
}

static int dma_avail(int fd)
{
	union {
		struct vfio_iommu_type1_info info;
		char buf[4096];
	} u;
	uint32_t off;

	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u);
	if (ioctl(fd, VFIO_IOMMU_GET_INFO, &u.info) < 0) {
		fprintf(stderr, "lab-vfio-probe: VFIO_IOMMU_GET_INFO: %s\n", strerror(errno));
		return 1;
	}
	if (!(u.info.flags & VFIO_IOMMU_INFO_CAPS) || u.info.argsz > sizeof(u)) {
		fprintf(stderr, "lab-vfio-probe: VFIO_IOMMU_GET_INFO: no capability chain\n");
		return 1;
	}
	for (off = u.info.cap_offset;
	     off && off + sizeof(struct vfio_info_cap_header) <= sizeof(u);) {
		struct vfio_info_cap_header h;

		memcpy(&h, u.buf + off, sizeof(h));
		if (h.id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL &&
		    off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= sizeof(u)) {
			struct vfio_iommu_type1_info_dma_avail a;

			memcpy(&a, u.buf + off, sizeof(a));
			printf("DMA-AVAIL %u\n", a.avail);
			return 0;
		}
		if (h.next <= off)
			break;
		off = h.next;
	}
	fprintf(stderr, "lab-vfio-probe: no DMA-AVAIL capability\n");
	return 1;
}

static int probe(int fd, uint64_t iova, void *page)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ,
		.vaddr = (uintptr_t)page,
		.iova = iova,
		.size = PG,
	};
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = PG};

	if (ioctl(fd, VFIO_IOMMU_MAP_DMA, &m) == 0) {
		if (ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u) < 0) {
			fprintf(stderr, "lab-vfio-probe: unmap of the probe at 0x%" PRIx64 ": %s\n",
				iova, strerror(errno));
			return 1;
		}
		printf("PROBE 0x%" PRIx64 " free\n", iova);
		return 0;
	}
	if (errno == EEXIST) {
		printf("PROBE 0x%" PRIx64 " mapped\n", iova);
		return 0;
	}
	fprintf(stderr, "lab-vfio-probe: 4 KiB map at 0x%" PRIx64 ": %s\n", iova, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	int fd, ret = 0;
	void *page;

	if (argc < 3 || (strcmp(argv[2], "avail") && strcmp(argv[2], "probe"))) {
		fprintf(stderr, "usage: lab-vfio-probe PID avail | PID probe IOVA...\n");
		return 2;
	}
	fd = find_container(atoi(argv[1]));
	if (fd < 0)
		return 1;
	if (!strcmp(argv[2], "avail")) {
		ret = dma_avail(fd);
		close(fd);
		return ret;
	}
	page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		    -1, 0);
	if (page == MAP_FAILED) {
		fprintf(stderr, "lab-vfio-probe: mmap: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	for (int i = 3; i < argc; i++)
		ret |= probe(fd, strtoull(argv[i], NULL, 0), page);
	munmap(page, PG);
	close(fd);
	return ret;
}
