// Compares a StoreReader (openHdf5) with what h5py read (the HDF5 package's
// oracle-dump.py JSON): tree, attributes and values; returns the differences.
import { readFileSync } from "node:fs";
import path from "node:path";
import { float16ToFloat32 } from "../../src/float16.js";
import type { AttrValue, NDArray, StoreReader } from "../../src/types.js";

const HDF5_TEST = path.resolve(import.meta.dirname, "../../../hdf5/test");
export const DUMP_SCRIPT = readFileSync(path.join(HDF5_TEST, "reader/oracle-dump.py"), "utf8");
export const FIXTURE_SCRIPT = readFileSync(path.join(HDF5_TEST, "fixtures/make-fixtures.py"), "utf8");

type Enc = { empty?: true; str?: string; strs?: string[]; refs?: string[]; fields?: Record<string, Enc>; b64?: string; dtype?: string; shape?: number[] };

function typed(e: Enc): ArrayLike<number | bigint> {
  const b = Buffer.from(e.b64!, "base64");
  const buf = new Uint8Array(b).buffer;
  const kind = e.dtype!.slice(1, 2);
  const size = Number(e.dtype!.slice(2));
  if (kind === "f") return size === 2 ? float16ToFloat32(new Uint16Array(buf)) : size === 4 ? new Float32Array(buf) : new Float64Array(buf);
  if (size === 8) return kind === "i" ? new BigInt64Array(buf) : new BigUint64Array(buf);
  const ctors = { i1: Int8Array, u1: Uint8Array, i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array };
  const C = ctors[`${kind}${size}` as keyof typeof ctors];
  return new C(buf);
}

function sameNumber(a: unknown, b: number | bigint): boolean {
  const x = typeof a === "boolean" ? Number(a) : a;
  if (typeof x === "bigint" || typeof b === "bigint") return BigInt(x as any) === BigInt(b);
  return Object.is(x, b) || x === b;
}

function bytesOf(a: NDArray): Buffer | undefined {
  const d = a.data as any;
  return ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : undefined;
}

export function compareAttr(where: string, ours: AttrValue, e: Enc, diffs: string[]): void {
  if (e.refs) {
    const want = e.shape!.length === 0 ? e.refs[0] : e.refs;
    if (JSON.stringify(ours) !== JSON.stringify(want)) diffs.push(`${where}: reference ${JSON.stringify(ours)} vs ${JSON.stringify(want)}`);
  } else if (e.empty) {
    if (ours !== null) diffs.push(`${where}: expected null for an empty attribute`);
  } else if (e.str !== undefined) {
    if (ours !== e.str) diffs.push(`${where}: ${JSON.stringify(ours)} vs ${JSON.stringify(e.str)}`);
  } else if (e.strs) {
    if (JSON.stringify(ours) !== JSON.stringify(e.strs)) diffs.push(`${where}: ${JSON.stringify(ours)} vs ${JSON.stringify(e.strs)}`);
  } else if (e.b64 !== undefined) {
    if (e.shape!.length === 0) {
      if (!sameNumber(ours, typed(e)[0])) diffs.push(`${where}: ${String(ours)} vs ${String(typed(e)[0])}`);
    } else {
      const a = ours as NDArray;
      const b = a && typeof a === "object" && "data" in a ? bytesOf(a) : undefined;
      if (!b?.equals(Buffer.from(e.b64, "base64")) || JSON.stringify(a.shape) !== JSON.stringify(e.shape)) {
        diffs.push(`${where}: numeric attribute differs (${JSON.stringify(ours, (_k, v) => (typeof v === "bigint" ? String(v) : v)).slice(0, 120)})`);
      }
    }
  }
}

export function compareArray(where: string, ours: NDArray, e: Enc, diffs: string[]): void {
  if (e.refs) {
    if (JSON.stringify(ours.data) !== JSON.stringify(e.refs)) diffs.push(`${where}: references ${JSON.stringify(ours.data)} vs ${JSON.stringify(e.refs)}`);
  } else if (e.empty) {
    if (ours.shape[0] !== 0) diffs.push(`${where}: expected an empty array`);
  } else if (e.str !== undefined) {
    if (ours.dtype !== "string" || (ours.data as string[])[0] !== e.str) diffs.push(`${where}: scalar string differs`);
  } else if (e.strs) {
    if (ours.dtype !== "string" || JSON.stringify(ours.data) !== JSON.stringify(e.strs)) diffs.push(`${where}: strings differ`);
  } else if (e.b64 !== undefined) {
    const b = bytesOf(ours);
    if (!b?.equals(Buffer.from(e.b64, "base64"))) diffs.push(`${where}: values differ (${ours.dtype} vs ${e.dtype})`);
    if (JSON.stringify(ours.shape) !== JSON.stringify(e.shape)) diffs.push(`${where}: shape ${ours.shape} vs ${e.shape}`);
  }
}

export async function compareStore(r: StoreReader, dump: Record<string, any>, diffs: string[]): Promise<number> {
  let checked = 0;
  for (const [name, e] of Object.entries(dump)) {
    const info = await r.get(name);
    if (!info) {
      diffs.push(`/${name}: missing`);
      continue;
    }
    if ((info.kind === "group") !== (e.kind === "group")) diffs.push(`/${name}: kind ${info.kind} vs ${e.kind}`);
    const attrNames = Object.keys(info.attrs).sort();
    if (JSON.stringify(attrNames) !== JSON.stringify(Object.keys(e.attrs).sort())) diffs.push(`/${name}: attrs ${attrNames} vs ${Object.keys(e.attrs)}`);
    for (const [k, v] of Object.entries(e.attrs)) if (k in info.attrs) compareAttr(`/${name}@${k}`, info.attrs[k], v as Enc, diffs);
    if (info.kind === "group") {
      const keys = await r.list(name);
      if (JSON.stringify(keys) !== JSON.stringify(e.keys)) diffs.push(`/${name}: members ${keys} vs ${e.keys}`);
    } else if (e.values) {
      if (info.fields) {
        const rec = await r.readRecords!(name);
        for (const [f, fe] of Object.entries(e.values.fields as Record<string, Enc>)) compareArray(`/${name}.${f}`, rec[f], fe, diffs);
      } else {
        compareArray(`/${name}`, await r.readArray(name), e.values, diffs);
      }
    }
    checked++;
  }
  return checked;
}
