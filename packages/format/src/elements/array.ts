// Dense arrays (encoding "array" 0.2.0) and string arrays ("string-array" 0.2.0).
// Large numeric arrays are handed out as ArrayHandles and written back block
// by block, so converting a dataset never holds more than a few blocks.
import { itemSize, product, typedArrayFor } from "../dtype.js";
import { FormatError } from "../errors.js";
import type { ArrayHandle, Elem } from "../model.js";
import type { ArrayInfo, NDArray, NodeInfo } from "../types.js";
import { letOthersRun } from "../yield.js";
import {
  arrayBytes,
  type CheckContext,
  chunksFor,
  expectArray,
  isHandle,
  type ReadContext,
  setExtraAttrs,
  type WriteContext,
} from "./context.js";

/** Bytes per block handed from reader to writer when streaming an array. */
const BLOCK_BYTES = 32 * 1024 * 1024;

export async function readDenseArray(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  const info = expectArray(ctx, path, node, "a dense array");
  if (info.fields) throw new FormatError(ctx.reader.source, path, "a compound array where a dense array was expected");
  let elem: Elem;
  if (info.dtype !== "string" && info.shape.length > 0 && arrayBytes(info) >= ctx.handleThreshold) {
    elem = { kind: "array-handle", reader: ctx.reader, path, info } satisfies ArrayHandle;
  } else {
    elem = await ctx.reader.readArray(path);
  }
  return setExtraAttrs(elem, info.attrs);
}

export async function readStringArray(ctx: ReadContext, path: string, node: NodeInfo): Promise<Elem> {
  const info = expectArray(ctx, path, node, "a string array");
  const arr = await ctx.reader.readArray(path);
  if (arr.dtype !== "string") throw new FormatError(ctx.reader.source, path, `string-array holds ${arr.dtype}, expected strings`);
  return setExtraAttrs(arr, info.attrs);
}

export async function checkStringArray(ctx: CheckContext, path: string, node: NodeInfo): Promise<void> {
  if (node.kind === "array" && node.dtype !== "string") ctx.error(path, `string-array of dtype ${node.dtype}, expected strings`);
}

/** Writes a dense NDArray or streams an ArrayHandle (`array` or `string-array`, as the registry chose). */
export async function writeDenseArray(ctx: WriteContext, path: string, elem: Elem, attrs: ArrayInfo["attrs"]): Promise<void> {
  if (isHandle(elem)) return copyHandle(ctx, path, elem, attrs);
  await writePlainArray(ctx, path, elem as NDArray, attrs);
}

/** Writes an in-memory array with the given attributes, in unit-sized pieces for progress. */
export async function writePlainArray(ctx: WriteContext, path: string, arr: NDArray, attrs: ArrayInfo["attrs"]): Promise<void> {
  const chunks = chunksFor(ctx, path, arr.shape, arr.dtype);
  const compression = arr.shape.length === 0 ? undefined : ctx.compression;
  await ctx.writer.writeArray(path, arr, { attrs, ...(chunks ? { chunks } : {}), ...(compression ? { compression } : {}) });
  ctx.onBytes?.(product(arr.shape) * (arr.dtype === "string" ? 0 : itemSize(arr.dtype)));
}

/**
 * Copies an array left on disk: blocks of whole write units along axis 0
 * (about BLOCK_BYTES each), reading the next block while the last is written.
 */
export async function copyHandle(ctx: WriteContext, path: string, handle: ArrayHandle, attrs: ArrayInfo["attrs"]): Promise<void> {
  const { info, reader } = handle;
  const { shape, dtype } = info;
  if (dtype === "string" || shape.length === 0 || product(shape) === 0) {
    const arr = await reader.readArray(handle.path);
    return writePlainArray(ctx, path, arr, attrs);
  }
  const chunks = chunksFor(ctx, path, shape, dtype, info.chunks);
  const w = await ctx.writer.createArray(path, {
    shape,
    dtype,
    attrs,
    ...(chunks ? { chunks } : {}),
    ...(ctx.compression ? { compression: ctx.compression } : {}),
  });
  const rowBytes = product(shape.slice(1)) * itemSize(dtype);
  const unitRowBytes = w.unit[0] * rowBytes;
  const blocks: { start: number[]; count: number[] }[] = [];
  if (unitRowBytes <= BLOCK_BYTES * 2) {
    // Whole rows: a block spans every other axis, so it covers whole units.
    const rows = w.unit[0] * Math.max(1, Math.floor(BLOCK_BYTES / Math.max(1, unitRowBytes)));
    for (let r = 0; r < shape[0]; r += rows) {
      blocks.push({ start: [r, ...shape.slice(1).map(() => 0)], count: [Math.min(rows, shape[0] - r), ...shape.slice(1)] });
    }
  } else {
    // Units are large in the other axes: one unit at a time, in C order.
    const grid = shape.map((s, i) => Math.ceil(s / w.unit[i]));
    const idx = new Array(shape.length).fill(0);
    for (;;) {
      const start = idx.map((k, i) => k * w.unit[i]);
      blocks.push({ start, count: start.map((s, i) => Math.min(w.unit[i], shape[i] - s)) });
      let a = shape.length - 1;
      while (a >= 0 && ++idx[a] >= grid[a]) idx[a--] = 0;
      if (a < 0) break;
    }
  }
  // The next block is read while one is written, each into one of two
  // buffers in turn where the reader fills one in place (writers copy or
  // write out what they keep before setBlock returns, so a buffer is free
  // again then). Two reads ahead measured slower.
  const most = Math.max(...blocks.map((b) => product(b.count)));
  const buffers = reader.backend === "zarr" ? [0, 1].map(() => new (typedArrayFor(dtype))(most)) : [];
  const read = (i: number) => {
    const p = reader.readBlock(handle.path, blocks[i].start, blocks[i].count, buffers.length ? { into: buffers[i % 2] } : {});
    p.catch(() => {}); // awaited in its round; a failure must not surface as unhandled meanwhile
    return p;
  };
  let next = read(0);
  for (let i = 0; i < blocks.length; i++) {
    const block = await next;
    if (i + 1 < blocks.length) next = read(i + 1);
    await w.setBlock(blocks[i].start, block);
    ctx.onBytes?.(product(blocks[i].count) * itemSize(dtype));
    await letOthersRun();
  }
  await w.close();
}
