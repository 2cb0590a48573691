"""The fuzzer's judge (scripts/fuzz.mjs): reads an AnnData store with h5py
(HDF5) or zarr-python (Zarr directory or .zip), every array in full.

    fuzz_oracle.py INPUT [OUTPUT]

Exit 0: every array of INPUT reads (and, given OUTPUT, cellfolio's copy
holds the same arrays with equal values); 3: h5py / zarr-python refuse
INPUT (the reason on stderr); 4: OUTPUT differs from INPUT (what differs on
stderr); 5: h5py's reading of INPUT is undefined, so it must be refused: a
chunk index whose chunks are not in order (the HDF5 library finds chunks by
binary search, so it reads some present chunks as fill values, which ones
depending on the search path). Run with the `latest` peers venv
(/opt/cellfolio-peers/latest).
"""

import sys
import warnings

import numpy as np

warnings.simplefilter("ignore")


class Undefined(Exception):
    """h5py reads the input, but what it reads is not defined by the file."""


def arrays(path):
    """{element path: numpy array} of every array in the store at `path`."""
    out = {}
    if path.endswith((".h5sc", ".h5ad", ".h5")):
        import h5py

        with h5py.File(path, "r") as f:

            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    if obj.chunks is not None and obj.id.get_offset() is None:
                        offsets = []
                        obj.id.chunk_iter(lambda c: offsets.append(c.chunk_offset))  # in index order
                        if any(a >= b for a, b in zip(offsets, offsets[1:])):
                            raise Undefined(f"{name}: chunk index out of order")
                    v = np.asarray(obj[()])
                    if v.dtype.kind in "OSU":
                        v = np.array([x.decode() if isinstance(x, bytes) else x for x in np.ravel(v)], dtype=object).reshape(np.shape(v))
                    out[name] = v

            f.visititems(visit)
        return out
    import zarr

    store = zarr.storage.ZipStore(path, mode="r") if path.endswith(".zip") else path
    root = zarr.open_group(store, mode="r")

    def walk(g, prefix):
        for name, member in g.members():
            p = f"{prefix}{name}"
            if isinstance(member, zarr.Array):
                v = np.asarray(member[...])
                if v.dtype.kind in "OSUT":
                    v = np.array([str(x) for x in np.ravel(v)], dtype=object).reshape(np.shape(v))
                out[p] = v
            else:
                walk(member, p + "/")

    walk(root, "")
    return out


def same(a, b):
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "OU" or b.dtype.kind in "OU":
        return [str(x) for x in np.ravel(a)] == [str(x) for x in np.ravel(b)]
    return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def main():
    try:
        src = arrays(sys.argv[1])
    except Undefined as e:
        print(f"h5py's reading is undefined: {e}", file=sys.stderr)
        return 5
    except Exception as e:  # the peer refuses the input: any reason
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 3
    if len(sys.argv) < 3:
        return 0
    dst = arrays(sys.argv[2])
    for k, v in src.items():
        if k not in dst:
            print(f"{k}: missing from the copy", file=sys.stderr)
            return 4
        if not same(v, dst[k]):
            print(f"{k}: values differ", file=sys.stderr)
            return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
