// One batch of cells of one band: what a worker thread (or the main thread,
// with threads: 0) runs. Cells travel as a flat Float64Array, CELL_FIELDS
// numbers each, so a task message is one copy, not an array of objects.

import { extractCell, type Scratch, type Window } from "./extract-cell.js";
import type { CellInfo } from "./kernels/cells.js";
import type { ExtractionParams } from "./presets.js";

export const CELL_FIELDS = 10;

export function packCells(cells: readonly CellInfo[]): Float64Array {
  const out = new Float64Array(cells.length * CELL_FIELDS);
  cells.forEach((c, k) => {
    out.set([c.id, c.cy, c.cx, c.centroidY, c.centroidX, c.y0, c.x0, c.y1, c.x1, c.area], k * CELL_FIELDS);
  });
  return out;
}

function unpackCell(packed: Float64Array, k: number, cell: CellInfo): CellInfo {
  const o = k * CELL_FIELDS;
  cell.id = packed[o];
  cell.cy = packed[o + 1];
  cell.cx = packed[o + 2];
  cell.centroidY = packed[o + 3];
  cell.centroidX = packed[o + 4];
  cell.y0 = packed[o + 5];
  cell.x0 = packed[o + 6];
  cell.y1 = packed[o + 7];
  cell.x1 = packed[o + 8];
  cell.area = packed[o + 9];
  return cell;
}

/**
 * Extracts the packed cells of a batch into `out` (stackLength float16 values
 * per cell, in batch order); returns 1 per cell whose id is not in the cytosol mask.
 */
export function extractBatch(
  win: Window,
  packed: Float64Array,
  params: ExtractionParams,
  scratch: Scratch,
  out: Uint16Array,
  stackLength: number,
): Uint8Array {
  const n = packed.length / CELL_FIELDS;
  const missing = new Uint8Array(n);
  const cell = {} as CellInfo;
  for (let k = 0; k < n; k++) {
    const r = extractCell(win, unpackCell(packed, k, cell), params, scratch, out.subarray(k * stackLength, (k + 1) * stackLength));
    if (r.cytosolMissing) missing[k] = 1;
  }
  return missing;
}

/** A result buffer of `bytes` bytes: a view of `reuse` when that is large enough (no allocation). */
export function resultBuffer(bytes: number, reuse?: ArrayBuffer): Uint16Array {
  return reuse && reuse.byteLength >= bytes ? new Uint16Array(reuse, 0, bytes / 2) : new Uint16Array(bytes / 2);
}
