// Compares what our reader gives with what h5py read (oracle-dump.py's JSON):
// returns a list of differences, empty when everything is equal.
import { readFileSync } from "node:fs";
import path from "node:path";
import { type Attribute, type Dataset, type Datatype, type Hdf5File, isBoolEnum, type Values } from "../../src/reader/index.js";

export const DUMP_SCRIPT = readFileSync(path.join(import.meta.dirname, "oracle-dump.py"), "utf8");
export const FIXTURE_SCRIPT = readFileSync(path.join(import.meta.dirname, "../fixtures/make-fixtures.py"), "utf8");

type Enc =
  | { empty: true }
  | { str: string }
  | { strs: string[]; shape: number[] }
  | { fields: Record<string, Enc>; shape: number[] }
  | { b64: string; dtype: string; shape: number[] }
  | { refs: string[]; shape: number[] };

/** numpy's dtype.str for our datatype, as h5py maps HDF5 types. */
export function numpyStr(t: Datatype): string {
  switch (t.class) {
    case "integer":
      return `${t.size === 1 ? "|" : t.littleEndian ? "<" : ">"}${t.signed ? "i" : "u"}${t.size}`;
    case "float":
      return `${t.littleEndian ? "<" : ">"}f${t.size}`;
    case "enum":
      return isBoolEnum(t) ? "|b1" : numpyStr(t.base);
    case "string":
      return `|S${t.size}`;
    case "vlen-string":
    case "reference":
      return "|O";
    case "compound":
      return `|V${t.size}`;
    default:
      return `?${t.class}`;
  }
}

function bytesOf(v: Values): Uint8Array | undefined {
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return undefined;
}

export async function compareValues(where: string, ours: Values, shape: number[] | null, exp: Enc, diffs: string[], file?: Hdf5File): Promise<void> {
  if ("refs" in exp) {
    const paths = ours instanceof BigUint64Array && file ? await Promise.all(Array.from(ours, (a) => file.pathOf(Number(a)))) : [];
    if (JSON.stringify(paths) !== JSON.stringify(exp.refs)) diffs.push(`${where}: references to ${paths} vs ${exp.refs}`);
    return;
  }
  if ("empty" in exp) {
    if (shape !== null) diffs.push(`${where}: expected an empty (null dataspace) value, got shape [${shape}]`);
    return;
  }
  if ("str" in exp) {
    if (!Array.isArray(ours) || ours.length !== 1 || ours[0] !== exp.str) diffs.push(`${where}: expected string ${JSON.stringify(exp.str)}, got ${JSON.stringify(ours).slice(0, 200)}`);
    return;
  }
  if ("strs" in exp) {
    if (JSON.stringify(ours) !== JSON.stringify(exp.strs)) diffs.push(`${where}: strings differ: ${JSON.stringify(ours).slice(0, 200)} vs ${JSON.stringify(exp.strs).slice(0, 200)}`);
    return;
  }
  if ("fields" in exp) {
    if (typeof ours !== "object" || Array.isArray(ours) || ArrayBuffer.isView(ours)) {
      diffs.push(`${where}: expected a compound record`);
      return;
    }
    const rec = ours as Record<string, Values>;
    for (const [k, e] of Object.entries(exp.fields)) {
      if (!(k in rec)) diffs.push(`${where}: missing field ${k}`);
      else await compareValues(`${where}.${k}`, rec[k], (e as any).shape ?? [], e, diffs, file);
    }
    return;
  }
  const b = bytesOf(ours);
  const e = Buffer.from(exp.b64, "base64");
  if (!b) {
    diffs.push(`${where}: expected numbers (${exp.dtype}), got ${typeof ours}`);
    return;
  }
  if (!Buffer.from(b).equals(e)) {
    diffs.push(`${where}: ${exp.dtype} values differ (${b.length} vs ${e.length} bytes)`);
  }
}

async function compareAttrs(where: string, ours: Attribute[], exp: Record<string, Enc>, diffs: string[], file: Hdf5File): Promise<void> {
  const names = ours.map((a) => a.name).sort();
  const expNames = Object.keys(exp).sort();
  if (JSON.stringify(names) !== JSON.stringify(expNames)) diffs.push(`${where}: attribute names ${names} vs ${expNames}`);
  for (const a of ours) {
    if (exp[a.name]) await compareValues(`${where}@${a.name}`, a.value, a.shape, exp[a.name], diffs, file);
  }
}

/** Walks every object h5py saw and compares it with ours. */
export async function compareFile(file: Hdf5File, dump: Record<string, any>, diffs: string[]): Promise<void> {
  for (const [name, e] of Object.entries(dump)) {
    const node = await file.get(name);
    if (!node) {
      diffs.push(`/${name}: missing`);
      continue;
    }
    if (node.kind !== e.kind) {
      diffs.push(`/${name}: is a ${node.kind}, h5py says ${e.kind}`);
      continue;
    }
    if (node.kind === "group") {
      await compareAttrs(`/${name}`, await node.attributes(), e.attrs, diffs, file);
      const keys = await node.keys();
      if (JSON.stringify(keys) !== JSON.stringify(e.keys)) diffs.push(`/${name}: members ${keys} vs ${e.keys}`);
      continue;
    }
    const ds = node as Dataset;
    await compareAttrs(`/${name}`, await ds.attributes(), e.attrs, diffs, file);
    const shape = ds.dataspace.kind === "null" ? null : ds.shape;
    if (JSON.stringify(shape) !== JSON.stringify(e.shape)) diffs.push(`/${name}: shape ${shape} vs ${e.shape}`);
    if (numpyStr(ds.datatype) !== e.dtype) diffs.push(`/${name}: dtype ${numpyStr(ds.datatype)} vs ${e.dtype}`);
    if (JSON.stringify(ds.chunks) !== JSON.stringify(e.chunks)) diffs.push(`/${name}: chunks ${ds.chunks} vs ${e.chunks}`);
    if (e.chunk_info) {
      const ours = (await ds.chunkIndex()).map((c) => ({ offset: c.offset, address: c.address, size: c.size, mask: c.filterMask }));
      const exp = [...e.chunk_info].sort((a: any, b: any) => {
        for (let i = 0; i < a.offset.length; i++) if (a.offset[i] !== b.offset[i]) return a.offset[i] - b.offset[i];
        return 0;
      });
      // HDF5's chunk iteration reports wrong offsets for an extensible array
      // whose unlimited dimension is not the first (it does not undo the
      // swizzle): there compare where the chunks are, and let the values
      // (read through HDF5's lookup) show that our offsets are right.
      const unswizzled = ds.layout.class === "chunked" && ds.layout.index === "extensible-array" && ds.maxShape.indexOf(-1) > 0;
      const key = (c: any) => (unswizzled ? `${c.address}/${c.size}/${c.mask}` : JSON.stringify(c));
      const a = ours.map(key).sort();
      const b = exp.map(key).sort();
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        diffs.push(`/${name}: chunk index differs: ${ours.length} vs ${exp.length} chunks; first ours ${JSON.stringify(ours.slice(0, 3))} h5py ${JSON.stringify(exp.slice(0, 3))}`);
      }
    }
    if (e.values) {
      try {
        const v = await ds.read();
        await compareValues(`/${name}`, v, shape, e.values, diffs, file);
      } catch (err) {
        diffs.push(`/${name}: read failed: ${(err as Error).message}`);
      }
    }
  }
}
