// Training batches: shuffled (seeded) rows, read ahead `prefetch` batches so
// that the consumer finds the next batch decoded when it asks for it; and a
// split of the rows into train / val / test.

import { itemSize, product } from "@cellfolio/format";
import type { ChannelSelector, Crop, Dataset } from "./dataset.js";
import type { Column } from "./elements.js";
import { DatasetError } from "./errors.js";
import { mulberry32, shuffleInPlace } from "./prng.js";

export interface BatchOptions {
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  channels?: ChannelSelector[];
  crop?: Crop;
  /**
   * obs column whose values become `labels`: categoricals as their codes,
   * strings as indices into their sorted distinct values, integers and bools
   * as they are, floats as float32. A missing value (see `Frame.missing`)
   * becomes -1, as a categorical's code does.
   */
  labelColumn?: string;
  /** Drop the last batch when it is short (default false). */
  dropLast?: boolean;
  /** Batches read ahead in the background (default 2). */
  prefetch?: number;
  /** Only these rows (for instance one part of `split`). */
  rows?: ArrayLike<number>;
  /**
   * Reuse a few image buffers in turn (prefetch + 2) instead of fresh memory
   * for every batch: a batch's `images` stay valid until the batch after the
   * next is asked for, so copy them (or hand them to the model) before that.
   * Fresh batch memory costs page faults, on this VM ~5 us a 4 KB page.
   */
  reuseBuffers?: boolean;
}

export interface Batch {
  /** (B, C, S, S) row-major, as onnxruntime-node / tfjs-node take tensors. */
  images: Float32Array;
  shape: [number, number, number, number];
  /** Int32Array for categorical, string, integer and bool columns (-1: missing); Float32Array for floats; null without labelColumn. */
  labels: Int32Array | Float32Array | null;
  cellIds: number[];
  rows: number[];
}

/** The label of a cell whose label column has no value there (a categorical's code for it). */
const MISSING_LABEL = -1;

/**
 * The label column as numbers (-1 where the value is missing), and its
 * category names where it is categorical or strings.
 */
export function labelsOf(ds: Dataset, column: string): { values: Int32Array | Float32Array; categories?: string[] } {
  const cat = ds.obs.categorical[column];
  if (cat) return { values: cat.codes, categories: cat.categories };
  const col: Column = ds.column(column);
  const missing: Uint8Array | undefined = ds.obs.missing[column];
  if (Array.isArray(col)) {
    // Strings: codes are indices into the sorted distinct values present.
    const categories = [...new Set(missing ? col.filter((_, r) => !missing[r]) : col)].sort();
    const code = new Map(categories.map((c, i) => [c, i]));
    return { values: Int32Array.from(col, (v, r) => (missing?.[r] ? MISSING_LABEL : code.get(v)!)), categories };
  }
  // anndata has no nullable floats: a float column's NaN stays NaN
  if (col instanceof Float32Array || col instanceof Float64Array) return { values: Float32Array.from(col) };
  const values = Int32Array.from(col as ArrayLike<number | bigint>, (v) => Number(v));
  if (missing) {
    const first = missing.indexOf(1);
    for (let r = 0; r < values.length; r++) {
      if (missing[r]) values[r] = MISSING_LABEL;
      else if (first >= 0 && values[r] === MISSING_LABEL) {
        throw new DatasetError(
          ds.source,
          `obs/${column}`,
          `row ${r} holds ${MISSING_LABEL}, the label of a missing value (row ${first} is missing): as labels the two would be one; recode the column (e.g. as a categorical) or choose another labelColumn`,
        );
      }
    }
  }
  return { values };
}

/** The batches of `ds` as an async iterator, reading ahead. */
export async function* batches(ds: Dataset, options: BatchOptions = {}): AsyncGenerator<Batch> {
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DatasetError(ds.source, "", `batchSize must be an integer >= 1, got ${batchSize}`);
  const prefetch = Math.max(0, options.prefetch ?? 2);
  const order = options.rows ? Int32Array.from(options.rows) : Int32Array.from({ length: ds.nCells }, (_, i) => i);
  if (options.shuffle ?? true) shuffleInPlace(order, mulberry32(options.seed ?? 0));
  await (options.labelColumn ? ds.load() : ds.loadIndex());
  const labels = options.labelColumn ? labelsOf(ds, options.labelColumn).values : null;
  ds.resolveChannels(options.channels); // fail now, not in the first read
  const nBatches = options.dropLast ? Math.floor(order.length / batchSize) : Math.ceil(order.length / batchSize);
  // The chunk cache pays from the second epoch only if all the images fit in it; otherwise an epoch just churns it.
  const cache = product(ds.shape) * itemSize(ds.images.dtype) <= ds.cache.maxBytes;

  // Batch b is loaded once the consumer asks for batch b - prefetch - 1, which
  // releases batch b - prefetch - 2: prefetch + 2 buffers in turn suffice.
  const buffers: Float32Array[] = [];
  const load = async (b: number): Promise<Batch> => {
    const rows = order.subarray(b * batchSize, Math.min(order.length, (b + 1) * batchSize));
    let into: Float32Array | undefined;
    if (options.reuseBuffers) {
      const k = b % (prefetch + 2);
      into = buffers[k] ??= new Float32Array(batchSize * ds.resolveChannels(options.channels).length * ds.cropWindow(options.crop).size ** 2);
    }
    const cells = await ds.getCells(rows, { channels: options.channels, crop: options.crop, cache, into });
    let lab: Int32Array | Float32Array | null = null;
    if (labels) {
      lab = labels instanceof Int32Array ? new Int32Array(rows.length) : new Float32Array(rows.length);
      for (let i = 0; i < rows.length; i++) lab[i] = labels[rows[i]];
    }
    return { images: cells.data as Float32Array, shape: cells.shape, labels: lab, cellIds: cells.cellIds, rows: cells.rows };
  };

  // A window of batches under way; a failed one surfaces when it is consumed.
  const ahead: Promise<Batch>[] = [];
  let next = 0;
  const fill = () => {
    while (next < nBatches && ahead.length <= prefetch) {
      const p = load(next++);
      p.catch(() => {}); // handled when awaited below
      ahead.push(p);
    }
  };
  fill();
  try {
    while (ahead.length) {
      const batch = await ahead.shift()!;
      fill();
      yield batch;
    }
  } finally {
    // A consumer that stops early (break, return, a throw) gets control back
    // only once the reads ahead have settled: a close() right after would
    // otherwise close the file or end the workers under them.
    await Promise.allSettled(ahead);
  }
}

export interface SplitOptions {
  /** Fractions of the rows per part, e.g. { train: 0.8, val: 0.1, test: 0.1 } (normalised to sum 1). */
  fractions?: Record<string, number>;
  /**
   * Or: one part per distinct value of this obs column. Cells whose value is
   * missing (a nullable column's <NA>, a categorical's NaN; see
   * `Frame.missing`) are in no part.
   */
  column?: string;
  seed?: number;
}

/**
 * Rows split into named parts (each sorted ascending), by seeded fractions or
 * by an obs column (leaving out the cells whose value is missing).
 */
export function split(ds: Dataset, options: SplitOptions): Record<string, Int32Array> {
  if (options.column) {
    const col = ds.column(options.column);
    const missing: Uint8Array | undefined = ds.obs.missing[options.column];
    const parts = new Map<string, number[]>();
    for (let r = 0; r < ds.nCells; r++) {
      if (missing?.[r]) continue; // its value is a placeholder, no group
      const v = String((col as ArrayLike<unknown>)[r]);
      const l = parts.get(v);
      if (l) l.push(r);
      else parts.set(v, [r]);
    }
    return Object.fromEntries([...parts].map(([k, v]) => [k, Int32Array.from(v)]));
  }
  const fractions = options.fractions ?? { train: 0.8, val: 0.1, test: 0.1 };
  const names = Object.keys(fractions);
  const total = names.reduce((a, k) => a + fractions[k], 0);
  if (!(total > 0) || names.some((k) => !(fractions[k] >= 0))) {
    throw new DatasetError(ds.source, "", `split fractions must be >= 0 with a positive sum: ${JSON.stringify(fractions)}`);
  }
  const order = shuffleInPlace(
    Int32Array.from({ length: ds.nCells }, (_, i) => i),
    mulberry32(options.seed ?? 0),
  );
  const out: Record<string, Int32Array> = {};
  let acc = 0;
  let start = 0;
  names.forEach((k, i) => {
    acc += fractions[k];
    const end = i === names.length - 1 ? order.length : Math.round((acc / total) * order.length);
    out[k] = order.slice(start, end).sort();
    start = end;
  });
  return out;
}
