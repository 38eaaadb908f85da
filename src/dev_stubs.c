// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stand-ins for device models built in other parts of the tree, so vfvm
 * links (and says clearly what is missing) before they exist.
 *
 * Weak symbols alone do not work with static archives: the linker takes
 * the first archive member that defines a symbol, weak or not, and never
 * replaces it.  So each stub is compiled only while the file that holds
 * the real definition does not exist (src/virtio_blk.c, src/virtio_net.c,
 * src/virtio_rng.c, vfio/vfio_pci.c); tests/guests/guests.mk makes this
 * object depend on those files so it is rebuilt when one appears.
 */
#include <errno.h>

#include "devices.h"
#include "vfio_pci.h"

static __attribute__((unused)) int not_built(struct errinfo *e, const char *what, const char *flag)
{
	err_set(e, ENOSYS, "%s is not built into this vfvm", what);
	err_hint(e, "rebuild vfvm with the %s device model, or drop %s", what, flag);
	return -ENOSYS;
}

#if !__has_include("virtio_blk.c")
__attribute__((weak)) int virtio_blk__add(struct vm *vm, const char *spec, struct errinfo *e)
{
	(void)vm;
	(void)spec;
	return not_built(e, "virtio-blk", "--disk");
}
#endif

#if !__has_include("virtio_net.c")
__attribute__((weak)) int virtio_net__add(struct vm *vm, const char *spec, struct errinfo *e)
{
	(void)vm;
	(void)spec;
	return not_built(e, "virtio-net", "--net");
}
#endif

#if !__has_include("virtio_rng.c")
__attribute__((weak)) int virtio_rng__add(struct vm *vm, const char *spec, struct errinfo *e)
{
	(void)vm;
	(void)spec;
	return not_built(e, "virtio-rng", "--rng");
}
#endif

#if !__has_include("vfio_pci.c")
__attribute__((weak)) int vfio_pci__add(struct vm *vm, const char *spec, struct errinfo *e)
{
	(void)vm;
	(void)spec;
	return not_built(e, "VFIO passthrough", "--device");
}

__attribute__((weak)) void vfio_pci__release_all(struct vm *vm)
{
	(void)vm;
}
#endif
