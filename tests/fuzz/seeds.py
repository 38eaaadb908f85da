#!/usr/bin/env python3
# Writes the binary seed inputs of the fuzz targets into corpus/<target>/
# (the text ones - API requests, SPECs, configs, ledgers - are written by
# hand).  Each seed is a meaningful input in the target's own input format
# (see the comment at the top of tests/fuzz/fuzz_<target>.c).  Only needed
# to regenerate them; the seeds are committed:
#   python3 tests/fuzz/seeds.py
import os
import re
import struct
import zlib

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus'))

F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
EVENT_IDX, INDIRECT, DEVICE_FEATURE, RESET_AGAIN = 1, 2, 4, 8


def layout(qs, nq):
    """Ring addresses as fv_bringup() packs them."""
    base, out = 0, []
    for _ in range(nq):
        desc = base
        avail = desc + 16 * qs
        used = (avail + 6 + 2 * qs + 3) & ~3
        base = (used + 6 + 8 * qs + 15) & ~15
        out.append((desc, avail, used))
    return out


class Ram:
    def __init__(self, size=0x2000):
        self.b = bytearray(size)

    def put(self, addr, data):
        self.b[addr:addr + len(data)] = data

    def desc(self, table, i, addr, ln, flags, nxt):
        self.put(table + 16 * i, struct.pack('<QIHH', addr, ln, flags, nxt))

    def avail(self, avail, heads, flags=0):
        self.put(avail, struct.pack('<HH', flags, len(heads)))
        for i, h in enumerate(heads):
            self.put(avail + 4 + 2 * i, struct.pack('<H', h))


# ---- virtio: a plan (fuzz_virtio.h) then guest RAM with rings and requests ----


def plan(flags, qlog, kicks=0, bump=0):
    # qsize = 2^(1 + qlog % 8)
    return bytes([flags, qlog, kicks, bump])


def write(target, name, data):
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, name), 'wb') as f:
        f.write(data)


def blk():
    qs = 8
    (d, a, _), = layout(qs, 1)
    # read sector 1 into 512 bytes, status after
    r = Ram()
    r.put(0x1000, struct.pack('<IIQ', 0, 0, 1))
    r.desc(d, 0, 0x1000, 16, F_NEXT, 1)
    r.desc(d, 1, 0x1100, 512, F_WRITE | F_NEXT, 2)
    r.desc(d, 2, 0x1400, 1, F_WRITE, 0)
    r.avail(a, [0])
    write('virtio_blk', 'read', plan(0, 2) + bytes(r.b))
    # write, flush, GET_ID, an unknown type
    r = Ram()
    r.put(0x1000, struct.pack('<IIQ', 1, 0, 2))
    r.put(0x1010, struct.pack('<IIQ', 4, 0, 0))
    r.put(0x1020, struct.pack('<IIQ', 8, 0, 0))
    r.put(0x1030, struct.pack('<IIQ', 99, 0, 0))
    r.desc(d, 0, 0x1000, 16, F_NEXT, 1)
    r.desc(d, 1, 0x1100, 1024, F_NEXT, 2)
    r.desc(d, 2, 0x1500, 1, F_WRITE, 0)
    r.desc(d, 3, 0x1010, 16, F_NEXT, 4)
    r.desc(d, 4, 0x1501, 1, F_WRITE, 0)
    r.desc(d, 5, 0x1020, 16, F_NEXT, 6)
    r.desc(d, 6, 0x1600, 21, F_WRITE, 0)
    r.desc(d, 7, 0x1030, 16, 0, 0)
    r.avail(a, [0, 3, 5, 7])
    write('virtio_blk', 'write-flush-id', plan(EVENT_IDX, 2, 1, 0) + bytes(r.b))
    # read through an indirect table, read-only device, reset and again
    r = Ram()
    r.put(0x1000, struct.pack('<IIQ', 0, 0, 127))
    r.put(0x1800, struct.pack('<QIHH', 0x1000, 16, F_NEXT, 1))
    r.put(0x1810, struct.pack('<QIHH', 0x1100, 512, F_WRITE | F_NEXT, 2))
    r.put(0x1820, struct.pack('<QIHH', 0x1400, 1, F_WRITE, 0))
    r.desc(d, 0, 0x1800, 48, F_INDIRECT, 0)
    r.avail(a, [0])
    write('virtio_blk', 'indirect-ro',
          plan(INDIRECT | DEVICE_FEATURE | RESET_AGAIN, 2, 1, 1) + bytes(r.b))


def rng():
    qs = 4
    (d, a, _), = layout(qs, 1)
    r = Ram()
    r.desc(d, 0, 0x1000, 64, F_WRITE | F_NEXT, 1)
    r.desc(d, 1, 0x1100, 4096, F_WRITE, 0)
    r.desc(d, 2, 0x1000, 16, 0, 0)
    r.avail(a, [0, 2])
    write('virtio_rng', 'two-requests', plan(EVENT_IDX, 1) + bytes(r.b))


def net():
    qs = 8
    (rd, ra, _), (td, ta, _) = layout(qs, 2)
    # rx: two 2 KiB buffers; tx: header + frame in two buffers; rx packet of 60 bytes
    r = Ram()
    r.desc(rd, 0, 0x1000, 2048, F_WRITE, 0)
    r.desc(rd, 1, 0x1800, 2048, F_WRITE, 0)
    r.avail(ra, [0, 1])
    r.put(0x1f00, bytes(12) + bytes(range(60)))
    r.desc(td, 0, 0x1f00, 12, F_NEXT, 1)
    r.desc(td, 1, 0x1f0c, 60, 0, 0)
    r.avail(ta, [0])
    write('virtio_net', 'rx-tx', plan(0, 2) + struct.pack('<H', 72) + bytes(r.b))
    # mergeable rx buffers over small buffers for a 1500-byte packet
    r = Ram()
    for i in range(8):
        r.desc(rd, i, 0x1000 + 0x100 * i, 256, F_WRITE, 0)
    r.avail(ra, list(range(8)))
    r.avail(ta, [])
    write('virtio_net', 'mrg-rxbuf', plan(DEVICE_FEATURE | EVENT_IDX, 2, 1) +
          struct.pack('<H', 1512) + bytes(r.b))


def virtio_pci():
    # virtio_pci_common_cfg offsets
    DFS, DF, GFS, GF, STATUS, GEN, QSEL, QSIZE, QEN = 0, 4, 8, 0xc, 0x14, 0x15, 0x16, 0x18, 0x1c
    QDESC, QAVAIL, QUSED = 0x20, 0x28, 0x30
    L = {1: 0, 2: 1, 4: 2, 8: 3}

    def acc(w, off, ln, val):
        return bytes([(1 if w else 0) | (L[ln] << 1)]) + struct.pack('<HQ', off, val)

    def queue(q, base):
        return [acc(1, QSEL, 2, q), acc(1, QSIZE, 2, 8), acc(1, QDESC, 8, base),
                acc(1, QAVAIL, 8, base + 0x80), acc(1, QUSED, 8, base + 0x98), acc(1, QEN, 2, 1)]

    ops = [acc(0, STATUS, 1, 0), acc(1, STATUS, 1, 0), acc(1, STATUS, 1, 1), acc(1, STATUS, 1, 3),
           acc(1, DFS, 4, 0), acc(0, DF, 4, 0), acc(1, DFS, 4, 1), acc(0, DF, 4, 0),
           acc(1, GFS, 4, 1), acc(1, GF, 4, 1), acc(1, STATUS, 1, 11), acc(0, STATUS, 1, 0)]
    ops += queue(0, 0) + queue(1, 0x100)
    ops += [acc(1, STATUS, 1, 15), acc(0, 0x1000, 1, 0), acc(0, 0x2000, 4, 0),
            acc(0, 0x2004, 2, 0), acc(1, 0x3000, 2, 0), acc(1, 0x3004, 2, 1),
            acc(1, 0x4000, 4, 0xfee00000), acc(0, 0x5000, 8, 0), acc(1, STATUS, 1, 0),
            acc(0, STATUS, 1, 0)]
    write('virtio_pci', 'bringup-kick-reset', bytes([len(ops)]) + b''.join(ops))
    ops = [acc(1, STATUS, 1, 0xff), acc(1, QSEL, 2, 7), acc(1, QEN, 2, 1), acc(1, QSEL, 2, 0xffff),
           acc(0, QSIZE, 2, 0), acc(1, STATUS, 1, 4), acc(1, GEN, 1, 9)]
    write('virtio_pci', 'out-of-order', bytes([len(ops)]) + b''.join(ops))


# ---- the MSI-X model: vector count, sources flag, operations ----


def msix():
    def op(kind, off, lenlog, val, far=False):
        o = struct.pack('<Q', off) if far else struct.pack('<H', off)
        return bytes([kind | (0x80 if far else 0)]) + o + bytes([lenlog]) + struct.pack('<Q', val)

    # 4 vectors with sources: program 0 and 1, enable, unmask, notify, read the PBA
    s = struct.pack('<H', 3) + b'\x01'
    s += op(1, 0, 2, 0xfee00000) + op(1, 4, 2, 0) + op(1, 8, 2, 0x4041)
    s += op(1, 16, 3, 0x00000000fee01000) + op(1, 24, 3, 0x0000000000004042)
    s += op(4, 0, 0, 1) + op(1, 12, 2, 0) + op(5, 0, 0, 1) + op(2, 0, 3, 0) + op(1, 28, 2, 0)
    s += op(0, 0, 2, 0) + op(0, 16, 3, 0) + op(6, 0, 0, 1) + op(4, 0, 0, 3) + op(7, 0, 0, 0)
    write('msix', 'program-enable', s)
    # 2048 vectors, no sources: offsets at the edges
    s = struct.pack('<H', 2047) + b'\x00'
    s += op(1, 2047 * 16, 2, 0xfee00003) + op(0, 2047 * 16, 2, 0) + op(0, 2048 * 16, 2, 0)
    s += op(0, 6, 1, 0) + op(0, 4, 3, 0) + op(2, 255, 0, 0) + op(2, 256, 0, 0)
    s += op(0, 1 << 63, 2, 0, True) + op(2, (1 << 64) - 4, 2, 0, True)
    write('msix', 'edges', s)
    # one vector, unmasked under the function mask
    s = struct.pack('<H', 0) + b'\x01' + op(4, 0, 0, 3) + op(1, 12, 2, 0) + op(5, 0, 0, 0)
    s += op(2, 0, 0, 0) + op(4, 0, 0, 1)
    write('msix', 'func-mask', s)


# ---- the PCI host: operations (kind | write | size), address, value ----


def pci_host():
    L = {1: 0, 2: 1, 4: 2, 8: 3}

    def op(kind, addr, ln, val, w):
        b = bytes([kind | (8 if w else 0) | (L[ln] << 4)])
        if kind == 0 or kind in (4, 5):
            b += struct.pack('<I', addr)
        elif kind == 2:
            b += bytes([addr])
        elif kind == 3:
            b += struct.pack('<H', addr)
        elif kind >= 6:
            b += struct.pack('<Q', addr)
        return b + struct.pack('<Q', val)

    def ecam(slot, reg):
        return (slot << 15) | reg

    # ids of slots 0-3, BAR0 of slot 1 sized and placed, decode on, the MSI-X table read
    s = b''.join(op(0, ecam(sl, 0), 4, 0, False) for sl in range(4))
    s += op(0, ecam(1, 0x10), 4, 0xffffffff, True) + op(0, ecam(1, 0x10), 4, 0, False)
    s += op(0, ecam(1, 0x10), 4, 0xc0000000, True) + op(0, ecam(1, 4), 2, 7, True)
    s += op(4, 0, 4, 0, False) + op(4, 0, 4, 0xfee00000, True) + op(4, 0x800, 8, 0, False)
    s += op(0, ecam(1, 0x34), 1, 0, False)
    write('pci_host', 'ecam-scan', s)
    # the same through CF8/CFC, and CF9
    s = op(1, 0, 4, 0x80000800, True) + op(2, 4, 4, 0, False) + op(1, 0, 4, 0x80001000, True)
    s += op(2, 4, 4, 0, False) + op(1, 0, 4, 0x80000804, True) + op(2, 4, 2, 3, True)
    s += op(2, 6, 2, 0, False) + op(2, 1, 1, 0, False)
    write('pci_host', 'cf8-cfc', s)
    # the 64-bit BAR moved over ECAM, the I/O BAR onto CF8
    s = op(0, ecam(1, 0x18), 4, 0xe0000000, True) + op(0, ecam(1, 0x1c), 4, 0, True)
    s += op(0, ecam(1, 0x20), 4, 0xcf9, True) + op(0, ecam(1, 4), 2, 3, True)
    s += op(0, ecam(1, 0), 4, 0, False) + op(3, 0xcf8, 4, 0, False) + op(6, 0xe0000000, 8, 0, False)
    write('pci_host', 'bar-overlap', s)
    # virtio-rng in slot 2: BAR0 placed, decode on, status written through the BAR
    s = op(0, ecam(2, 0x10), 4, 0xc0100000, True) + op(0, ecam(2, 4), 2, 2, True)
    s += op(4, 0x100014, 1, 0, True) + op(4, 0x100014, 1, 1, True) + op(4, 0x100014, 1, 3, True)
    s += op(4, 0x100016, 2, 0, True) + op(4, 0x100018, 2, 0, False) + op(4, 0x103000, 2, 0, True)
    write('pci_host', 'virtio-rng', s)


# ---- VFIO config: ROM mode, config bytes over the NVMe VF, operations ----


def vfio_config():
    def op(kind, off, lenf, val, extra=0):
        return bytes([kind | (lenf << 3) | extra]) + struct.pack('<HQ', off, val)

    # the NVMe VF as it is: BAR sizing, decode, MSI-X table write, PBA and ROM reads
    s = bytes([0]) + struct.pack('<H', 0)
    s += op(0, 0, 4, 0) + op(1, 0x10, 4, 0xffffffff) + op(0, 0x10, 4, 0)
    s += op(1, 0x10, 4, 0xfe000000) + op(1, 4, 2, 6) + op(0, 0x40, 1, 0) + op(0, 0x100, 4, 0)
    s += op(2, 0x2000, 2, 0xfee00000) + op(2, 0x200c, 2, 0) + op(2, 0x3000, 3, 0)
    s += op(3, 0, 2, 0)
    write('vfio_config', 'nvme-vf', s)
    # the device's own ROM
    s = bytes([1]) + struct.pack('<H', 0) + op(1, 0x30, 4, 0xfffff801) + op(0, 0x30, 4, 0)
    s += op(3, 0, 2, 0)
    write('vfio_config', 'rom-device', s)
    # a looping capability chain: MSI-X at 0x40 -> MSI at 0x50 -> 0x40
    cfg = bytearray(256)
    cfg[0:4] = struct.pack('<HH', 0x8086, 0x1520)
    cfg[6:8] = struct.pack('<H', 0x10)
    cfg[0x34] = 0x40
    cfg[0x40:0x4c] = bytes([0x11, 0x50]) + struct.pack('<HII', 2, 0x2000, 0x3000)
    cfg[0x50:0x54] = bytes([0x05, 0x40]) + struct.pack('<H', 0x018a)
    s = bytes([0]) + struct.pack('<H', 256) + bytes(cfg)
    s += op(0, 0x34, 1, 0) + op(1, 0x52, 2, 1) + op(1, 0x42, 2, 0x8000)
    write('vfio_config', 'cap-loop', s)


# ---- rtnetlink replies: the captured igb reply, an error with extack, an ACK ----


def vflink_nlmsg():
    src = open('../../unit/test_vflink_canned.c').read()
    m = re.search(r'igb_newlink\[\][^{]*\{(.*?)\};', src, re.S)
    write('vflink_nlmsg', 'igb-newlink-2vfs',
          bytes(int(x, 16) for x in re.findall(r'0x[0-9a-fA-F]+', m.group(1))))
    NLMSG_ERROR, NLM_F_CAPPED, NLM_F_ACK_TLVS = 2, 0x100, 0x200
    req = struct.pack('<IHHII', 48, 19, 5, 1, 0)  # the RTM_SETLINK's header, echoed
    msg = b'VF trust is not supported\0'
    attr = struct.pack('<HH', 4 + len(msg), 1) + msg
    attr += bytes((4 - len(attr) % 4) % 4)
    body = struct.pack('<i', -95) + req + attr
    write('vflink_nlmsg', 'error-extack', struct.pack(
        '<IHHII', 16 + len(body), NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 1, 0) + body)
    body = struct.pack('<i', 0) + req
    write('vflink_nlmsg', 'ack', struct.pack('<IHHII', 16 + len(body), NLMSG_ERROR, 0, 1, 0) + body)


# ---- Linux boot: RAM MiB - 1, initrd pages, command line, bzImage ----


def bzimage(init_size=8 << 20, pref=0, sects=4, ver=0x20f):
    k = bytearray(512 * (sects + 1) + 4096)
    k[0x1f1] = sects
    k[0x1fe:0x202] = b'\x55\xaa\xeb\x6a'
    k[0x202:0x208] = b'HdrS' + struct.pack('<H', ver)
    k[0x211] = 0x01  # LOADED_HIGH
    k[0x22c:0x230] = struct.pack('<I', 0x7fffffff)  # initrd_addr_max
    k[0x236] = 0x03  # XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
    k[0x238:0x23c] = struct.pack('<I', 2047)  # cmdline_size
    k[0x258:0x264] = struct.pack('<QI', pref, init_size)
    for i in range(512 * (sects + 1), len(k)):
        k[i] = (i * 7) & 0xff
    return bytes(k)


def boot_linux():
    def seed(name, ram_mib, pages, cmdline, kernel):
        c = cmdline.encode()
        write('boot_linux', name,
              bytes([ram_mib - 1]) + struct.pack('<HH', pages, len(c)) + c + kernel)

    seed('kernel-initrd', 32, 16, 'console=ttyS0 root=/dev/vda rw', bzimage())
    seed('pref-16m', 63, 1, 'quiet', bzimage(pref=16 << 20))
    seed('small-ram', 4, 0, '', bzimage(init_size=1 << 20))
    seed('old-protocol', 32, 0, 'x', bzimage(ver=0x20b))


def snap_section(name, ver, payload):
    # src/lib/snap_stream.h: name[48] | u32 version | u32 0 | u64 length | payload | u32 crc32
    h = name.encode().ljust(48, b'\0') + struct.pack('<IIQ', ver, 0, len(payload))
    return h + payload + struct.pack('<I', zlib.crc32(h + payload))


SNAP_HEADER = b'VFVMSNAP' + struct.pack('<II', 1, 0)


def snap_stream():
    cfg = struct.pack('<QIBBBII', 16 << 20, 1, 0, 1, 0, 0, 0)
    dev = struct.pack('<I', 4) + b'net0' + bytes(range(32))
    write('snap_stream', 'empty', SNAP_HEADER + snap_section('end', 1, b''))
    write('snap_stream', 'two-sections', SNAP_HEADER + snap_section('config', 1, cfg) +
          snap_section('pci:net0', 1, dev) + snap_section('end', 1, b''))


def migrate_record(kind, payload):
    # src/vmm/migrate_ram.h: u32 type | u32 length | payload | u32 crc32
    b = struct.pack('<II', kind, len(payload)) + payload
    return b + struct.pack('<I', zlib.crc32(b))


def migrate_recv():
    # the target's RAM: 64 KiB at 0 and 64 KiB at 4 GiB
    h = b'VFVMMIGR' + struct.pack('<IIII', 1, 4096, 2, 0)
    h += struct.pack('<QQQQ', 0, 0x10000, 1 << 32, 0x10000)
    s = h + struct.pack('<I', zlib.crc32(h))
    s += migrate_record(1, struct.pack('<I', 1))
    s += migrate_record(2, struct.pack('<QII', 0x1000, 1, 0) + bytes([7]) * 4096)
    s += migrate_record(3, struct.pack('<QQ', 1 << 32, 16))
    s += migrate_record(4, struct.pack('<Q', 17))
    s += migrate_record(5, SNAP_HEADER + snap_section('end', 1, b''))
    write('migrate_recv', 'one-pass', s)


def vfio_info_caps():
    # u64 region size | u32 first cap offset | the info buffer
    def cap(cid, nxt):
        return struct.pack('<HHI', cid, 1, nxt)
    buf = bytes(0x20)
    buf += cap(1, 0x50) + struct.pack('<II', 2, 0)
    buf += struct.pack('<QQQQ', 0, 0x1000, 0x2000, 0x3000)
    buf += cap(3, 0)
    write('vfio_info_caps', 'region-sparse-msix', struct.pack('<QI', 0x100000, 0x20) + buf)
    buf = bytes(0x18)
    buf += cap(1, 0x48) + struct.pack('<II', 2, 0)
    buf += struct.pack('<QQQQ', 0, 0xfedfffff, 0xfef00000, 0xffffffffffff)
    buf += cap(3, 0) + struct.pack('<I', 65535)
    write('vfio_info_caps', 'iommu-ranges-avail', struct.pack('<QI', 0x100000, 0x18) + buf)
    # a chain that points back at itself
    buf = bytes(0x10) + cap(1, 0x10) + struct.pack('<II', 0x7fffffff, 0)
    write('vfio_info_caps', 'loop', struct.pack('<QI', 0x1000, 0x10) + buf)


blk()
rng()
net()
virtio_pci()
msix()
pci_host()
vfio_config()
vflink_nlmsg()
boot_linux()
snap_stream()
migrate_recv()
vfio_info_caps()
