"""Everything h5py reads from an HDF5 file, as JSON: the tree, attributes,
dataset shape/dtype/chunks, the chunk index (get_chunk_info) and the values.
Numbers travel as base64 of their little-endian bytes so that comparisons are
exact (NaN, int64). Input: {"file": path, "values": bool, "chunks": bool}."""
import base64, json, sys
import numpy as np
import h5py

args = json.loads(sys.stdin.read())

def enc(v):
    if isinstance(v, h5py.Empty):
        return {"empty": True}
    if isinstance(v, (bytes, np.bytes_)):
        return {"str": v.decode("utf-8", "replace")}
    if isinstance(v, str):
        return {"str": v}
    if isinstance(v, h5py.Reference):
        return {"refs": [f[v].name], "shape": []}
    a = np.asarray(v)
    if h5py.check_ref_dtype(a.dtype) is not None or (a.dtype.kind == "O" and a.size and isinstance(a.ravel()[0], h5py.Reference)):
        return {"refs": [f[r].name for r in a.ravel()], "shape": list(a.shape)}
    if a.dtype.kind == "O" or a.dtype.kind in "SU":
        return {"strs": [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in a.ravel().tolist()], "shape": list(a.shape)}
    if a.dtype.names:
        return {"fields": {n: enc(a[n]) for n in a.dtype.names}, "shape": list(a.shape)}
    if a.dtype.kind == "b":
        a = a.astype("u1")
    le = a.astype(a.dtype.newbyteorder("<"))
    return {"b64": base64.b64encode(np.ascontiguousarray(le).tobytes()).decode(), "dtype": a.dtype.newbyteorder("<").str, "shape": list(a.shape)}

out = {}
with h5py.File(args["file"], "r") as f:
    def visit(name, obj):
        e = {"attrs": {k: enc(obj.attrs[k]) for k in obj.attrs.keys()}}
        if isinstance(obj, h5py.Group):
            e["kind"] = "group"
            e["keys"] = sorted(obj.keys())
        else:
            e["kind"] = "dataset"
            e["shape"] = list(obj.shape) if obj.shape is not None else None
            e["dtype"] = obj.dtype.str
            e["chunks"] = list(obj.chunks) if obj.chunks else None
            if args.get("chunks") and obj.chunks and obj.shape is not None:
                infos = []
                if hasattr(obj.id, "chunk_iter"):
                    # HDF5 >= 1.12.3: one pass (get_chunk_info(i) walks the index each time).
                    obj.id.chunk_iter(infos.append)
                else:
                    infos = [obj.id.get_chunk_info(i) for i in range(obj.id.get_num_chunks())]
                e["chunk_info"] = [{"offset": list(ci.chunk_offset), "address": ci.byte_offset, "size": ci.size, "mask": ci.filter_mask} for ci in infos]
            if args.get("values"):
                e["values"] = enc(obj[()])
        out[name] = e
    visit("", f)
    f.visititems(visit)
print(json.dumps(out))
