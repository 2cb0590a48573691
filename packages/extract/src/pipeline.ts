// extract(): images + masks -> a single-cell image dataset on disk.
//
// The plan (plan.ts) fixes the rows from the nucleus mask alone. Then the slide
// is read band of rows by band of rows (a band + the crop margin, the next band
// read while the current one is computed), the cells of a band go across
// worker threads in batches, and the finished stacks are written in row
// (cellID) order through the format package's RowAppender, whose backend
// compresses on the libuv threadpool while the workers compute. Memory: two
// bands of the slide, the batches in flight and a bounded queue of finished
// cells (spilled to a temporary file when ids are far from raster order).
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { type ArrayWriter, type ByteCodec, type Compression, createStore, RowAppender, type StoreWriter } from "@cellfolio/format";
import type { H5Filter } from "@cellfolio/hdf5";
import { type ChunkEncoding, packCells, parseEncodedRow } from "./cell-batch.js";
import { ExtractError } from "./errors.js";
import { maskCount, type Window } from "./extract-cell.js";
import { type ImageInput, openImageSource } from "./inputs/index.js";
import { type LabelRows, type Labels, labelObsColumns, readLabels, unknownLabelIds } from "./inputs/labels-csv.js";
import { holdsIntegers, type ImageSource, PIXEL_ARRAYS, type PixelArray } from "./inputs/source.js";
import type { CellInfo } from "./kernels/cells.js";
import { IMAGES_PATH, imagesArrayLayout, type LayoutInfo, writeObsVarUns, writeRootAndObsm } from "./layout.js";
import { type BinaryMasks, type MaskSummary, type MatchMode, prepareMasks, resolveChannelNames } from "./masks.js";
import { extractPart, type PartSpec } from "./parts.js";
import { type ExtractionPlan, hasId } from "./plan.js";
import { type ExtractionParams, ParamError, type Preset, resolveParams } from "./presets.js";
import { InOrderRows } from "./row-order.js";
import { type CellRunner, startRunner } from "./worker-pool.js";

export interface ExtractOptions {
  /** The image: a TIFF / OME-TIFF, a Zarr / OME-Zarr array (C, Y, X), one file per channel, or an ImageSource. */
  image: ImageInput;
  /** The nucleus label mask (integer, same H x W). */
  nucleus: ImageInput;
  /** The cytosol label mask (integer, same H x W); without it one mask is stored. */
  cytosol?: ImageInput | null;
  /** Output: `.h5sc` / `.h5ad` (HDF5) or `.zarr`. */
  out: string;
  preset?: Preset;
  /** Crop size S (even, at most the image's height and width); default 128. */
  size?: number;
  sigma?: number;
  dilation?: number;
  quantiles?: [number, number];
  nuclearChannel?: number;
  /** Cells whose crop leaves the image: "drop" (default; ids reported) or "pad" with zeros. */
  border?: "drop" | "pad";
  /**
   * Names of the image channels; default: the names the file gives them
   * (OME-TIFF Channel Name, OME-Zarr omero.channels label), else channel_0,
   * channel_1, ... Two equal names, or nucleus_mask / cytosol_mask, are refused.
   */
  channelNames?: string[];
  /** A mask of one label over several separate regions (0/255): "label" its connected components (default) or "refuse" it. */
  binaryMasks?: BinaryMasks;
  /**
   * How cytosol labels are paired with nuclei (masks.ts): "overlap" as
   * scPortrait's mask-matching filter does (independent segmentations),
   * "ids" (the same id in both masks), or "auto" (default): ids when they
   * already agree for >= 90% of the nuclei, overlap otherwise.
   */
  match?: MatchMode;
  /** overlap: the share of a nucleus's pixels its cytosol must cover, 0.5 to 1 (default 0.95, scPortrait's). */
  matchThreshold?: number;
  /** Per-cell labels for obs: a CSV/TSV path with a cellID column, or rows. */
  labels?: string | LabelRows;
  /** The labels' id column when not cellID / cell_id / scportrait_cell_id / id / label. */
  labelsIdColumn?: string;
  /** Only these cells (ids of the nucleus mask). */
  cellIds?: Iterable<number>;
  /** Worker threads (default: all cores); 0 computes on the calling thread. */
  threads?: number;
  /** Zarr output: 3 (default, sharded) or 2. */
  zarrFormat?: 2 | 3;
  /** Codec of the stacks; default gzip 1 for HDF5, the Zarr backend's default for Zarr. */
  compression?: Compression;
  /** Replace an existing output (only once the new one is complete). */
  overwrite?: boolean;
  /**
   * Called as cells are done: (cells computed, cells to write). Counted as the
   * workers finish them, not as they are written: rows are written in cellID
   * order, which lags far behind when ids are not in raster order.
   */
  onProgress?: (done: number, total: number) => void;
  /** Called as the work moves on before cells are written (opening, finding the cells, the plan), so a caller can say what is going on. */
  onStage?: (event: ExtractStage) => void;
  /** Bytes of slide held per band (default 32 MiB; three bands are held: the one computed, the next one read ahead, the last batches of the previous one). */
  bandBytes?: number;
  /** Bytes of finished cells held waiting for their turn before spilling (default 64 MiB). */
  queueBytes?: number;
  /** Cells per batch handed to a worker (default 32: fewer, larger messages cost the main thread less). */
  batchSize?: number;
  /** Zarr v3: rows per shard (default about 32 MiB of stacks); parts split along shards. */
  shardRows?: number;
  /** Part I of N of a cluster extraction (parts.ts): only this part's shards of the .zarr store; `finalizeParts` completes it. */
  part?: PartSpec;
}

/** What extract() is doing before its cells flow (ExtractOptions.onStage). */
export type ExtractStage =
  | { stage: "open" }
  | { stage: "scan"; rowsDone: number; rows: number; mask: string }
  | { stage: "planned"; cells: number; droppedAtBorder: number; inMask: number }
  | { stage: "start"; threads: number };

export interface ExtractSummary {
  cellsWritten: number;
  /** Ids of cells not written because their crop leaves the image (border "drop"). */
  droppedAtBorder: number[];
  /** Ids of written cells that the cytosol mask does not hold (their cytosol mask is empty). */
  missingCytosol: number[];
  /** Binary masks labelled, how nucleus and cytosol were matched, the cells and cytosols left unmatched. */
  masks: MaskSummary;
  /** The image channel names stored, and where they came from. */
  channelNames: string[];
  channelNamesFrom: "option" | "file" | "default";
  seconds: number;
  cellsPerSecond: number;
  output: string;
  threads: number;
  /** The stacks' codec pipeline as written. */
  compression: string;
  params: ExtractionParams;
}

const MiB = 1 << 20;

export function resolveOrThrow(o: ExtractOptions, nChannels?: number): ExtractionParams {
  try {
    return resolveParams(
      { preset: o.preset, size: o.size, sigma: o.sigma, dilation: o.dilation, quantiles: o.quantiles, nuclearChannel: o.nuclearChannel, border: o.border },
      nChannels,
    );
  } catch (e) {
    if (e instanceof ParamError) throw new ExtractError(e.param, e.message.replace(/^extraction parameter "[^"]*": /, ""), { cause: e });
    throw e;
  }
}

function checkOutput(o: ExtractOptions): void {
  if (typeof o.out !== "string" || o.out === "") throw new ExtractError("out", "missing; expected an output path ending in .h5sc, .h5ad or .zarr");
  if (!/\.(h5sc|h5ad|h5|hdf5|zarr)\/?$/i.test(o.out)) {
    throw new ExtractError(o.out, "unknown output kind; expected a path ending in .h5sc or .h5ad (HDF5) or .zarr (Zarr)");
  }
  if (existsSync(o.out) && !o.overwrite) throw new ExtractError(o.out, "already exists; expected a new path, or overwrite to replace it");
  if (o.zarrFormat !== undefined && o.zarrFormat !== 2 && o.zarrFormat !== 3) {
    throw new ExtractError("zarrFormat", `${o.zarrFormat}; expected 2 or 3`);
  }
}

/** An input given as one file: its absolute path (recorded in uns). */
function filePath(input: ImageInput): string | undefined {
  return typeof input === "string" ? path.resolve(input) : undefined;
}

/** What uns records of the inputs (single-process runs and parts alike). */
export function inputSources(o: Pick<ExtractOptions, "image" | "nucleus" | "cytosol">, image: ImageSource): NonNullable<LayoutInfo["sources"]> {
  return { image: filePath(o.image), nucleus: filePath(o.nucleus), cytosol: o.cytosol ? filePath(o.cytosol) : undefined, height: image.height, width: image.width };
}

export function checkInputs(image: ImageSource, nucleus: ImageSource, cytosol: ImageSource | null, params: ExtractionParams): void {
  for (const [mask, what] of [
    [nucleus, "nucleus mask"],
    [cytosol, "cytosol mask"],
  ] as const) {
    if (!mask) continue;
    if (mask.height !== image.height || mask.width !== image.width) {
      throw new ExtractError(
        mask.name,
        `${what} is ${mask.height} x ${mask.width} pixels but the image ${image.name} is ${image.height} x ${image.width}; expected the same H x W`,
      );
    }
    if (!holdsIntegers(mask)) throw new ExtractError(mask.name, `${what} holds ${mask.dtype} values; expected an integer label image`);
    if (mask.channels !== 1) throw new ExtractError(mask.name, `${what} has ${mask.channels} channels; expected one label plane`);
  }
  if (params.size > image.height || params.size > image.width) {
    throw new ExtractError("size", `${params.size} is larger than the image ${image.name} (${image.height} x ${image.width}); expected at most ${Math.min(image.height, image.width)}`);
  }
}

/** The masks' options for prepareMasks. */
export function maskOptions(o: ExtractOptions, params: ExtractionParams) {
  return {
    size: params.size,
    border: params.border,
    cellIds: o.cellIds,
    binaryMasks: o.binaryMasks,
    match: o.match,
    matchThreshold: o.matchThreshold,
  };
}

/** The band window: every pixel the crops of `cells` need, clipped to the image, in shared memory. */
/**
 * Shared buffers of one band, reused for band after band: a worker frees a
 * band's memory only when its own GC runs, which a worker that allocates
 * nothing may never do, so bands are not left to the GC.
 */
type BandSlot = SharedArrayBuffer[];

function sharedPlane(slot: BandSlot, k: number, type: keyof typeof PIXEL_ARRAYS, n: number): PixelArray {
  const T = PIXEL_ARRAYS[type];
  const bytes = n * T.BYTES_PER_ELEMENT;
  if (!slot[k] || slot[k].byteLength < bytes) slot[k] = new SharedArrayBuffer(bytes);
  return new (T as unknown as new (b: ArrayBufferLike, o: number, n: number) => PixelArray)(slot[k], 0, n);
}

async function readBand(
  cells: CellInfo[],
  size: number,
  image: ImageSource,
  nucleus: ImageSource,
  cytosol: ImageSource | null,
  slot: BandSlot,
): Promise<Window> {
  const w = size / 2;
  let minY = Infinity;
  let maxY = -Infinity;
  let minX = Infinity;
  let maxX = -Infinity;
  for (const c of cells) {
    if (c.cy < minY) minY = c.cy;
    if (c.cy > maxY) maxY = c.cy;
    if (c.cx < minX) minX = c.cx;
    if (c.cx > maxX) maxX = c.cx;
  }
  const y0 = Math.max(0, minY - w);
  const y1 = Math.min(image.height, maxY + w);
  const x0 = Math.max(0, minX - w);
  const x1 = Math.min(image.width, maxX + w);
  const h = y1 - y0;
  const wd = x1 - x0;
  // Kernels take uint8 / uint16 / float32 channels; other types become float32.
  const channelType = image.dtype === "uint8" || image.dtype === "uint16" ? image.dtype : "float32";
  const C = image.channels;
  const channels = Array.from({ length: C }, (_, k) => sharedPlane(slot, k, channelType, h * wd));
  const nucleusPlane = sharedPlane(slot, C, nucleus.dtype, h * wd);
  const cytosolPlane = cytosol ? sharedPlane(slot, C + 1, cytosol.dtype, h * wd) : null;
  // Sources read straight into the shared planes where they can; otherwise copy.
  const fill = (dst: PixelArray[], got: PixelArray[]) => {
    got.forEach((g, k) => {
      if (g !== dst[k]) dst[k].set(g);
    });
  };
  await Promise.all([
    image.readWindow(y0, x0, h, wd, channels).then((p) => fill(channels, p)),
    nucleus.readWindow(y0, x0, h, wd, [nucleusPlane]).then((p) => fill([nucleusPlane], p)),
    cytosol && cytosolPlane ? cytosol.readWindow(y0, x0, h, wd, [cytosolPlane]).then((p) => fill([cytosolPlane], p)) : null,
  ]);
  return {
    y0,
    x0,
    height: h,
    width: wd,
    imageHeight: image.height,
    imageWidth: image.width,
    channels: channels as Window["channels"],
    nucleus: nucleusPlane as Window["nucleus"],
    cytosol: cytosolPlane as Window["cytosol"],
  };
}

/** Rows of the plan in spatial order, grouped in bands of at most `bandRows` slide rows of centroids. */
function spatialBands(plan: ExtractionPlan, bandRows: number, rowStart: number, rowEnd: number): number[][] {
  const rows: number[] = [];
  for (let r = rowStart; r < rowEnd; r++) rows.push(r);
  rows.sort((a, b) => plan.cells[a].cy - plan.cells[b].cy || plan.cells[a].cx - plan.cells[b].cx || a - b);
  const bands: number[][] = [];
  let current: number[] = [];
  let bandStart = -1;
  for (const r of rows) {
    const cy = plan.cells[r].cy;
    if (current.length > 0 && cy >= bandStart + bandRows) {
      bands.push(current);
      current = [];
    }
    if (current.length === 0) bandStart = cy;
    current.push(r);
  }
  if (current.length > 0) bands.push(current);
  return bands;
}

export async function extract(o: ExtractOptions): Promise<ExtractSummary> {
  if (o.part) return extractPart(o, o.part);
  const started = performance.now();
  checkOutput(o);
  let params = resolveOrThrow(o);
  const threads = o.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 0) throw new ExtractError("threads", `${threads}; expected an integer >= 0`);

  const opened: ImageSource[] = [];
  const open = async (input: ImageInput) => {
    const s = await openImageSource(input);
    opened.push(s);
    return s;
  };
  try {
    o.onStage?.({ stage: "open" });
    const image = await open(o.image);
    const nucleusIn = await open(o.nucleus);
    const cytosolIn = o.cytosol ? await open(o.cytosol) : null;
    params = resolveOrThrow(o, image.channels);
    checkInputs(image, nucleusIn, cytosolIn, params);
    const names = resolveChannelNames(image, o.channelNames);
    const onRows = (rowsDone: number, rows: number) => o.onStage?.({ stage: "scan", rowsDone, rows, mask: nucleusIn.name });
    const { nucleus, cytosol, plan, summary: masks } = await prepareMasks(nucleusIn, cytosolIn, { ...maskOptions(o, params), onRows });
    o.onStage?.({ stage: "planned", cells: plan.cells.length, droppedAtBorder: plan.droppedAtBorder.length, inMask: plan.maskIds.length });
    let labels: Labels | null = null;
    if (o.labels) {
      labels = readLabels(o.labels, o.labelsIdColumn);
      const unknown = unknownLabelIds(labels, (id) => hasId(plan.maskIds, id));
      if (unknown.length > 0) {
        throw new ExtractError(labels.source, `cellID(s) ${unknown.join(", ")} are not in the nucleus mask ${nucleus.name}; expected ids of labelled nuclei`);
      }
    }
    if (plan.cells.length === 0 && o.cellIds) {
      throw new ExtractError(
        "cellIds",
        `${plan.droppedAtBorder.slice(0, 20).join(",")}${plan.droppedAtBorder.length > 20 ? ",..." : ""}: ${plan.droppedAtBorder.length > 1 ? "these cells are all" : "this cell is"} at the border (the ${params.size} x ${params.size} crop around the centroid leaves the ${image.height} x ${image.width} image), so none is written; expected ids of cells away from the border, or border "pad" to zero-pad their crops`,
      );
    }
    if (plan.cells.length === 0) {
      throw new ExtractError(
        nucleus.name,
        `none of its ${plan.maskIds.length} cell(s) has its ${params.size} x ${params.size} crop inside the ${image.height} x ${image.width} image; expected a smaller size, or border "pad"`,
      );
    }

    const writer = await createStore(o.out, { zarrFormat: o.zarrFormat ?? 3, overwrite: o.overwrite });
    try {
      o.onStage?.({ stage: "start", threads });
      const result = await writeDataset(writer, plan, params, image, nucleus, cytosol, labels, threads, names.names, o);
      await writer.close();
      const seconds = (performance.now() - started) / 1000;
      return {
        cellsWritten: plan.cells.length,
        droppedAtBorder: plan.droppedAtBorder,
        missingCytosol: result.missingCytosol,
        masks,
        channelNames: names.names,
        channelNamesFrom: names.from,
        seconds,
        cellsPerSecond: plan.cells.length / seconds,
        output: o.out,
        threads,
        compression: result.compression,
        params,
      };
    } catch (e) {
      await writer.abort().catch(() => {});
      throw e;
    }
  } finally {
    await Promise.all(opened.map((s) => s.close().catch(() => {})));
  }
}

export interface StreamOptions {
  threads: number;
  bandBytes?: number;
  queueBytes?: number;
  batchSize?: number;
  /** Rows [rowStart, rowEnd) of the plan only (a part); all rows by default. */
  rowStart?: number;
  rowEnd?: number;
  /**
   * Whether the sink lets go of each stack once its promise resolves (default
   * true): then result buffers are reused. false when the sink keeps them (the
   * writer holds a block until its write completes).
   */
  recycle?: boolean;
  /**
   * Encode each stack's chunks on the thread that computed it (HDF5 output):
   * the sink then gets encoded rows (cell-batch.ts EncodedRow records).
   */
  encoding?: ChunkEncoding;
  /** Called as batches of cells are computed, with how many (any order; the sink gets them in row order). */
  onComputed?: (cells: number) => void;
}

/**
 * Extracts the rows of the plan and hands each stack (float16 bits, (C', S, S))
 * to `sink` in row order, one call at a time. The core of extract(), usable for
 * a part of the rows or with any sink. With `recycle` (the default) the sink
 * must copy what it keeps: the stack's buffer is reused once its promise resolves.
 */
export function streamStacks(
  plan: ExtractionPlan,
  params: ExtractionParams,
  sources: { image: ImageSource; nucleus: ImageSource; cytosol: ImageSource | null },
  sink: (row: number, stack: Uint16Array) => Promise<void>,
  options: StreamOptions & { encoding?: undefined },
): Promise<{ missingCytosol: number[]; spilledRows: number }>;
/** With `encoding`: the sink gets each row's encoded record (parseEncodedRow). */
export function streamStacks(
  plan: ExtractionPlan,
  params: ExtractionParams,
  sources: { image: ImageSource; nucleus: ImageSource; cytosol: ImageSource | null },
  sink: (row: number, record: Uint8Array) => Promise<void>,
  options: StreamOptions & { encoding: ChunkEncoding },
): Promise<{ missingCytosol: number[]; spilledRows: number }>;
export async function streamStacks(
  plan: ExtractionPlan,
  params: ExtractionParams,
  sources: { image: ImageSource; nucleus: ImageSource; cytosol: ImageSource | null },
  sink: (row: number, stack: any) => Promise<void>,
  options: StreamOptions,
): Promise<{ missingCytosol: number[]; spilledRows: number }> {
  const { image, nucleus, cytosol } = sources;
  const rowStart = options.rowStart ?? 0;
  const rowEnd = options.rowEnd ?? plan.cells.length;
  const size = params.size;
  const stackLength = (maskCount(params, cytosol !== null) + image.channels) * size * size;
  // Result buffers come back to the workers once all their rows are written or
  // spilled (the sink copies what it keeps), so batches do not allocate.
  const rowsLeft = new Map<ArrayBufferLike, number>();
  const free: ArrayBuffer[] = [];
  const encoding = options.encoding;
  const release = (stack: ArrayBufferView) => {
    if (encoding) return; // encoded records are not reused; the raw stacks stay in the workers
    const left = (rowsLeft.get(stack.buffer) ?? 1) - 1;
    if (left > 0) rowsLeft.set(stack.buffer, left);
    else {
      rowsLeft.delete(stack.buffer);
      if (options.recycle !== false && free.length < 2 * Math.max(1, options.threads)) free.push(stack.buffer as ArrayBuffer);
    }
  };
  const revive = encoding ? (b: Uint8Array) => b : (b: Uint8Array) => new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  const rows = new InOrderRows<ArrayBufferView>(sink, revive, options.queueBytes ?? 64 * MiB, rowStart, release);

  // Band height from the memory budget: a band's window is its rows plus the crop margin.
  const bytesPerRow =
    image.width * (image.channels * PIXEL_ARRAYS[image.dtype].BYTES_PER_ELEMENT + 2 * PIXEL_ARRAYS[nucleus.dtype].BYTES_PER_ELEMENT);
  const bandRows = Math.max(1, Math.floor((options.bandBytes ?? 32 * MiB) / bytesPerRow) - size);
  const bands = spatialBands(plan, bandRows, rowStart, rowEnd);
  const batchSize = Math.max(1, options.batchSize ?? 32);
  const missing: number[] = [];
  let runner: CellRunner | null = null;
  try {
    const maxInFlight = 2 * Math.max(1, options.threads);
    let inFlight = 0;
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    const settled = () => {
      inFlight--;
      const w = wake;
      wake = null;
      w?.();
    };
    const tasks: Promise<void>[] = [];

    // Three slots: the band being computed, the next one being read, and the
    // previous one whose last batches may still run.
    const slots: BandSlot[] = [[], [], []];
    const bandDone: Promise<void>[] = [];
    const readAt = (b: number) => {
      const p = (async () => {
        if (b >= 3) await bandDone[b - 3];
        return readBand(
          bands[b].map((r) => plan.cells[r]),
          size,
          image,
          nucleus,
          cytosol,
          slots[b % 3],
        );
      })();
      p.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
      return p;
    };
    // The first band is read while the workers start.
    let next: Promise<Window> | null = bands.length > 0 ? readAt(0) : null;
    runner = await startRunner(options.threads, params, image.channels, stackLength, encoding);
    for (let b = 0; b < bands.length; b++) {
      const win = await (next as Promise<Window>);
      next = b + 1 < bands.length ? readAt(b + 1) : null;
      const r = runner;
      r.setBand(b, win);
      const bandTasks: Promise<void>[] = [];
      const bandRowsList = bands[b];
      for (let k = 0; k < bandRowsList.length; k += batchSize) {
        while (inFlight >= maxInFlight && failure === null) await new Promise<void>((res) => (wake = res));
        if (failure !== null) throw failure;
        await rows.waitForRoom();
        const batchRows = bandRowsList.slice(k, k + batchSize);
        const batchCells = batchRows.map((row) => plan.cells[row]);
        inFlight++;
        const t = r.run(b, packCells(batchCells), free.pop()).then(
          (res) => {
            const { out, records, offsets } = res;
            if (out) rowsLeft.set(out.buffer, batchRows.length);
            batchRows.forEach((row, j) => {
              if (records && offsets) rows.put(row, records.subarray(offsets[j], offsets[j + 1]));
              else if (out) rows.put(row, out.subarray(j * stackLength, (j + 1) * stackLength));
              if (res.missing[j]) missing.push(batchCells[j].id);
            });
            options.onComputed?.(batchRows.length);
            settled();
          },
          (e) => {
            failure ??= e;
            settled();
          },
        );
        bandTasks.push(t);
        tasks.push(t);
      }
      bandDone[b] = Promise.all(bandTasks).then(() => r.releaseBand(b));
    }
    await Promise.all(tasks);
    if (failure !== null) throw failure;
    await rows.finish(rowEnd);
  } finally {
    rows.close();
    await runner?.close();
  }
  missing.sort((a, b) => a - b);
  return { missingCytosol: missing, spilledRows: rows.spilledRows };
}

async function writeDataset(
  writer: StoreWriter,
  plan: ExtractionPlan,
  params: ExtractionParams,
  image: ImageSource,
  nucleus: ImageSource,
  cytosol: ImageSource | null,
  labels: Labels | null,
  threads: number,
  channelNames: string[],
  o: ExtractOptions,
): Promise<{ missingCytosol: number[]; compression: string }> {
  const n = plan.cells.length;
  const nMasks = maskCount(params, cytosol !== null);
  const channels = nMasks + image.channels;
  const size = params.size;
  const { rowsPerUnit: _, ...arrayOptions } = imagesArrayLayout(writer.backend, writer.zarrFormat, n, channels, size, o.compression, o.shardRows);
  await writeRootAndObsm(writer);
  const array = await writer.createArray(IMAGES_PATH, arrayOptions);
  // obs / var / uns are known from the plan: written first, they sit before the
  // stacks in an HDF5 file (one range request for a remote reader) and nothing
  // is appended to the file while stack chunks are still being compressed.
  await writeObsVarUns(writer, {
    cells: plan.cells,
    droppedAtBorder: plan.droppedAtBorder,
    nMasks,
    imageChannelNames: channelNames,
    params,
    compression: array.info.compression,
    labelColumns: labels
      ? labelObsColumns(
          labels,
          plan.cells.map((c) => c.id),
        )
      : undefined,
    labelColumnOrder: labels?.columnOrder,
    sources: inputSources(o, image),
  });
  // A write unit of one row (HDF5 chunks, Zarr v2): each stack goes to the
  // writer as it is, without a RowAppender copy. Both backends copy a block
  // into their chunks within setBlock, so its buffer is free for reuse once
  // setBlock resolves. Units of many rows (shards) are gathered by a RowAppender.
  const direct = array.unit[0] === 1;
  const zeros = [0, 0, 0];
  let computed = 0;
  const onComputed = (k: number) => {
    computed += k;
    o.onProgress?.(computed, n);
  };
  const stream = { threads, bandBytes: o.bandBytes, queueBytes: o.queueBytes, batchSize: o.batchSize, onComputed };
  const sources = { image, nucleus, cytosol };
  const encoding = direct ? workerEncoding(array, channels * size * size) : null;
  if (encoding) {
    // Chunks compressed in the worker that made them (HDF5: each (S, S) plane;
    // Zarr: each stack); the main thread only places finished chunks. Zarr v3
    // of the tiled bench slide (bench/extract-tiled.mjs) went from 732 to
    // 1,400-1,450 cells/s on 2 cores when the main thread stopped copying
    // each stack into a chunk and posting it to a codec thread.
    const target = array as unknown as EncodedChunkTarget;
    const shape = [1, channels, size, size];
    const sink = async (row: number, record: Uint8Array) => {
      const { bytes, sizes, masks } = parseEncodedRow(record, (channels * size * size) / encoding.chunkElements);
      await target.setEncodedBlock([row, ...zeros], shape, bytes, sizes, masks);
    };
    const { missingCytosol } = await streamStacks(plan, params, sources, sink, { ...stream, encoding });
    await array.close();
    return { missingCytosol, compression: array.info.compression };
  }
  const appender = direct ? null : new RowAppender(array);
  const sink = async (row: number, stack: Uint16Array) => {
    const block = { dtype: "float16" as const, shape: [1, channels, size, size], data: stack };
    if (appender) await appender.append(block);
    else await array.setBlock([row, ...zeros], block);
  };
  const { missingCytosol } = await streamStacks(plan, params, sources, sink, stream);
  await appender?.flush();
  await array.close();
  return { missingCytosol, compression: array.info.compression };
}

/**
 * The array writers' side door for chunks encoded by the caller: HDF5's
 * (format's hdf5/writer.ts, `chunkFilters`) and Zarr's (zarr/writer.ts,
 * `chunkCodecs`, null when a codec encodes only asynchronously).
 */
interface EncodedChunkTarget {
  readonly chunkFilters?: H5Filter[];
  readonly chunkCodecs?: ByteCodec[] | null;
  setEncodedBlock(start: number[], shape: number[], bytes: Uint8Array, sizes: ArrayLike<number>, masks: ArrayLike<number>): Promise<void>;
}

/** How the workers encode a stack's chunks for `array`, or null: unfiltered HDF5 chunks (written straight from the stack) and writers without the side door. */
function workerEncoding(array: ArrayWriter, stackElements: number): ChunkEncoding | null {
  if (!("setEncodedBlock" in array)) return null;
  const t = array as unknown as EncodedChunkTarget;
  const chunkElements = array.unit.reduce((a, b) => a * b, 1);
  if (t.chunkFilters && t.chunkFilters.length > 0) return { filters: stackFilters(t.chunkFilters), elementSize: 2, chunkElements };
  if (t.chunkCodecs && chunkElements === stackElements) return { codecs: t.chunkCodecs, elementSize: 2, chunkElements };
  return null;
}

/**
 * Deflate of the stacks with zlib's run-length strategy: the planes are zeros
 * outside the cell and float16 noise inside, where level 1's string matching
 * finds little that runs of one byte do not. Measured on the bench slide
 * (500 cells, node:zlib, one core): 316 us per cell at ratio 7.26 against
 * level 1's 447 us at 7.10. Any inflate reads it; the file records only the level.
 */
function stackFilters(filters: H5Filter[]): H5Filter[] {
  return filters.map((f) => (f.id === "deflate" ? { ...f, strategy: "rle" } : f));
}
