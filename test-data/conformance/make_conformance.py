"""Writes the conformance files beside itself: HDF5 files in the forms older
or other writers use, which current h5py does not write, and zipped Zarr
stores held under one top-level folder.

Run from the repository root with the `latest` peer (h5py 3.16, zarr 3.4)
and Debian's hdf5-tools (h5jam) on PATH:

    /opt/cellfolio-peers/latest/bin/python test-data/conformance/make_conformance.py

HDF5 1.8 and later no longer write version 1 / 2 layout messages, version 1
fill value messages or version 1 shared messages (HDF5 1.6 did), so those
files are written by h5py with libver="earliest" (version 1 object headers)
and then the one message is re-encoded in the older version, as the HDF5
file format specification describes it, in place: the object header keeps
its size, the bytes a longer message needs come out of the null (free)
message h5py leaves at the end of every header. libhdf5 (h5py) reads every
edited file; the tests compare our reads with h5py's.
"""

import ctypes
import glob
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import h5py
import numpy as np
import zarr

HERE = os.path.dirname(os.path.abspath(__file__))
NIL = 0x0


def header_messages(buf, addr):
    """The messages of the first block of a version 1 object header: [type, flags, data]."""
    version, _, _, _, size = struct.unpack_from("<BBHII", buf, addr)
    assert version == 1, f"object header at {addr} is version {version}, expected 1"
    out, p, end = [], addr + 16, addr + 16 + size
    while p < end:
        t, s, fl = struct.unpack_from("<HHB", buf, p)
        out.append([t, fl, bytes(buf[p + 8 : p + 8 + s])])
        p += 8 + s
    return out, size


def rewrite_message(path, obj_path, mtype, encode):
    """Replaces the data of the `mtype` message of `obj_path`'s header with encode(old data).

    The header keeps its size: the growth (padded to 8 bytes) is taken from its null message.
    """
    with h5py.File(path, "r") as f:
        addr = h5py.h5o.get_info(f[obj_path].id).addr
    buf = bytearray(open(path, "rb").read())
    msgs, size = header_messages(buf, addr)
    target = next(m for m in msgs if m[0] == mtype)
    new = encode(target[2])
    new += b"\0" * (-len(new) % 8)
    grow = len(new) - len(target[2])
    target[2] = new
    if grow:
        nil = next(m for m in msgs if m[0] == NIL and len(m[2]) >= grow)
        nil[2] = nil[2][grow:]
    body = b"".join(struct.pack("<HHB3x", t, len(d), fl) + d for t, fl, d in msgs)
    assert len(body) == size
    buf[addr + 16 : addr + 16 + size] = body
    open(path, "wb").write(buf)


def layout_old(version, rank_dims):
    """Re-encodes a version 3 layout message as version 1 or 2 (rank_dims: the dataset's shape)."""

    def encode(old):
        v, cls = old[0], old[1]
        assert v == 3
        if cls == 2:  # chunked: ndims (chunk dims + element size), B-tree address, the sizes
            ndims = old[2]
            addr = old[3:11]
            dims = old[11 : 11 + 4 * ndims]
            return bytes([version, ndims, 2]) + b"\0" * 5 + addr + dims
        if cls == 1:  # contiguous: the dataset's dims and the element size as the sizes
            addr = old[2:10]
            size = struct.unpack_from("<Q", old, 10)[0]
            n = int(np.prod(rank_dims)) if rank_dims else 1
            es = size // n
            dims = b"".join(struct.pack("<I", d) for d in [*rank_dims, es])
            return bytes([version, len(rank_dims) + 1, 1]) + b"\0" * 5 + addr + dims
        if cls == 0:  # compact: the sizes, then the data's size and the data
            size = struct.unpack_from("<H", old, 2)[0]
            data = old[4 : 4 + size]
            n = int(np.prod(rank_dims))
            dims = b"".join(struct.pack("<I", d) for d in [*rank_dims, size // n])
            return bytes([version, len(rank_dims) + 1, 0]) + b"\0" * 5 + dims + struct.pack("<I", size) + data
        raise ValueError(cls)

    return encode


def make_layouts():
    path = os.path.join(HERE, "layout-v1-v2.h5")
    with h5py.File(path, "w", libver="earliest") as f:
        f.create_dataset("chunked_v1", data=np.arange(35, dtype="<i4").reshape(5, 7), chunks=(2, 3))
        f.create_dataset(
            "chunked_v2_gzip",
            data=np.linspace(-1, 1, 3 * 10 * 4).reshape(3, 10, 4),
            chunks=(2, 4, 3),
            compression="gzip",
            shuffle=True,
        )
        f.create_dataset("contiguous_v2", data=np.arange(12, dtype="<i2").reshape(3, 4) * -3)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        small = np.arange(10, dtype="u1").reshape(2, 5)
        sid = h5py.h5s.create_simple(small.shape)
        did = h5py.h5d.create(f.id, b"compact_v1", h5py.h5t.NATIVE_UINT8, sid, dcpl=dcpl)
        did.write(h5py.h5s.ALL, h5py.h5s.ALL, small)
        did.close()
    rewrite_message(path, "chunked_v1", 0x8, layout_old(1, [5, 7]))
    rewrite_message(path, "chunked_v2_gzip", 0x8, layout_old(2, [3, 10, 4]))
    rewrite_message(path, "contiguous_v2", 0x8, layout_old(2, [3, 4]))
    rewrite_message(path, "compact_v1", 0x8, layout_old(1, [2, 5]))


def make_fill_values():
    path = os.path.join(HERE, "fill-value-v1.h5")
    with h5py.File(path, "w", libver="earliest") as f:
        for name in ("undefined", "seven"):
            d = f.create_dataset(name, shape=(6, 4), dtype="<i4", chunks=(2, 2), fillvalue=7)
            d[0:2, 0:2] = [[1, 2], [3, 4]]  # one chunk written, the other five never are

    def v1(size):
        def encode(old):
            version, alloc, when, defined = old[:4]
            assert version == 2 and defined == 1
            return bytes([1, alloc, when, defined]) + struct.pack("<i", size) + old[8:]

        return encode

    # HDF5 1.6 wrote version 1 with size -1 for "no fill value": h5py then reads zeros where nothing was written.
    rewrite_message(path, "undefined", 0x5, v1(-1))
    rewrite_message(path, "seven", 0x5, v1(4))


def make_committed_datatype():
    path = os.path.join(HERE, "committed-datatype.h5")
    pair = np.dtype([("x", "<f4"), ("n", "<i2")])
    with h5py.File(path, "w", libver="earliest") as f:
        f["pair"] = pair
        f["pair"].attrs["unit"] = "metres"
        f["pair"].attrs["scale"] = np.float64(0.5)
        data = np.array([(1.5, 1), (-2.25, 2), (3.0, -3)], dtype=pair)
        for name in ("shared_v1", "shared_v2"):
            d = f.create_dataset(name, shape=(3,), dtype=f["pair"])
            d[...] = data

    def v1(old):
        version, kind = old[0], old[1]
        assert version == 2
        addr = old[2:10]
        # Version 1 holds a symbol table entry: name offset (length-sized), header address, cache type, reserved, scratch pad.
        return bytes([1, kind]) + b"\0" * 6 + struct.pack("<Q", 0) + addr + b"\0" * 24

    rewrite_message(path, "shared_v1", 0x3, v1)


def make_userblock():
    plain = os.path.join(tempfile.mkdtemp(), "plain.h5")
    with h5py.File(plain, "w") as f:
        f.create_dataset("cells/images", data=np.arange(4 * 8 * 8, dtype="<u2").reshape(4, 8, 8), chunks=(1, 8, 8), compression="gzip")
        f["cells"].attrs["note"] = "with a user block"
        f["ids"] = np.array([b"a", b"bb", b"ccc"], dtype=object)
    ub = plain + ".ub"
    open(ub, "w").write("a user block, as h5jam writes one in front of an HDF5 file\n")
    out = os.path.join(HERE, "userblock.h5")
    if os.path.exists(out):
        os.remove(out)
    subprocess.run(["h5jam", "-i", plain, "-u", ub, "-o", out], check=True)


def hdf5_lib():
    return ctypes.CDLL(glob.glob(os.path.join(os.path.dirname(h5py.__file__), "..", "h5py.libs", "libhdf5-*.so*"))[0])


def make_unsupported():
    # Dataspaces kept in the shared object header message table (h5py has no call for it: libhdf5's own, through ctypes).
    lib = hdf5_lib()
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    assert lib.H5Pset_shared_mesg_nindexes(ctypes.c_int64(fcpl.id), ctypes.c_uint(1)) >= 0
    sdspace_flag = 1 << 1  # H5O_SHMESG_SDSPACE_FLAG
    assert lib.H5Pset_shared_mesg_index(ctypes.c_int64(fcpl.id), ctypes.c_uint(0), ctypes.c_uint(sdspace_flag), ctypes.c_uint(0)) >= 0
    path = os.path.join(HERE, "shared-dataspace.h5")
    fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl)
    with h5py.File(fid) as f:
        # The first dataset keeps its dataspace (marked shareable); the second refers to it in the table.
        f["a"] = np.arange(6).reshape(2, 3)
        f["b"] = np.arange(6).reshape(2, 3) * 2
    # A user-defined link (type 65): a soft link whose link type byte is changed; h5py lists it and cannot follow it.
    # Its group tracks link creation order, so its links are link messages in a version 1 object header.
    path = os.path.join(HERE, "user-defined-link.h5")
    with h5py.File(path, "w", libver="earliest") as f:
        f["data"] = np.arange(3)
        gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
        gcpl.set_link_creation_order(h5py.h5p.CRT_ORDER_TRACKED)
        h5py.h5g.create(f.id, b"g", gcpl=gcpl)
        f["g/udlink"] = h5py.SoftLink("/data")

    def user_defined(old):
        version, flags, kind = old[:3]
        assert version == 1 and flags & 0x08 and kind == 1, "expected a soft link message with its type byte"
        return old[:2] + bytes([65]) + old[3:]

    rewrite_message(path, "g", 0x6, user_defined)


def make_zips():
    for fmt in (2, 3):
        tmp = tempfile.mkdtemp()
        store = os.path.join(tmp, f"cells-v{fmt}.zarr")
        root = zarr.open_group(store, mode="w", zarr_format=fmt)
        root.attrs["title"] = "a store zipped with its folder"
        a = root.create_array("images", shape=(3, 5, 6), chunks=(1, 5, 3), dtype="<u2")
        a[...] = np.arange(90, dtype="<u2").reshape(3, 5, 6)
        g = root.create_group("obs")
        b = g.create_array("score", shape=(7,), chunks=(4,), dtype="<f8")
        b[...] = np.linspace(0, 1, 7)
        out = os.path.join(HERE, f"top-folder-v{fmt}.zarr.zip")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            for dirpath, _, files in sorted(os.walk(store)):
                rel = os.path.relpath(dirpath, tmp)
                z.write(dirpath, rel + "/")  # the folder entries, as `zip -r` writes them
                for name in sorted(files):
                    z.write(os.path.join(dirpath, name), f"{rel}/{name}")


if __name__ == "__main__":
    make_layouts()
    make_fill_values()
    make_committed_datatype()
    make_userblock()
    make_unsupported()
    make_zips()
    print("wrote", sorted(f for f in os.listdir(HERE) if not f.endswith(".py")), file=sys.stderr)
