// The set-up every extraction shares, the single-process one (pipeline.ts)
// and a part of a cluster extraction (parts.ts): the parameters resolved, the
// inputs opened and checked, the masks made into the plan of rows, the labels
// checked against it. The output is each caller's own.
import { availableParallelism } from "node:os";
import path from "node:path";
import type { Compression, LayoutInfo } from "@cellfolio/format";
import { ExtractError } from "./errors.js";
import { maskCount } from "./extract-cell.js";
import { type ImageInput, openImageSource } from "./inputs/index.js";
import { type LabelRows, type Labels, readLabels, unknownLabelIds } from "./inputs/labels-csv.js";
import { holdsIntegers, type ImageSource } from "./inputs/source.js";
import { type BinaryMasks, type MaskSummary, type MatchMode, prepareMasks, resolveChannelNames } from "./masks.js";
import { type ExtractionPlan, hasId } from "./plan.js";
import { type ExtractionParams, ParamError, type Preset, resolveParams } from "./presets.js";
import type { StreamOptions } from "./stream.js";
import { type CellWorkers, startCellWorkers } from "./worker-pool.js";

/** Part I of N of a cluster extraction (parts.ts). */
export interface PartSpec {
  /** 0-based index of this part. */
  index: number;
  /** Number of parts of the whole extraction. */
  count: number;
}

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
  /** Bytes of slide held per band (default 24 MiB; three bands are held: the one computed, the next one read ahead, the last batches of the previous one). */
  bandBytes?: number;
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

function resolveOrThrow(o: ExtractOptions, nChannels?: number): ExtractionParams {
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

/** An input given as one file: its absolute path (recorded in uns). */
function filePath(input: ImageInput): string | undefined {
  return typeof input === "string" ? path.resolve(input) : undefined;
}

/** What uns records of the inputs (single-process runs and parts alike). */
export function inputSources(o: Pick<ExtractOptions, "image" | "nucleus" | "cytosol">, image: ImageSource): NonNullable<LayoutInfo["sources"]> {
  return { image: filePath(o.image), nucleus: filePath(o.nucleus), cytosol: o.cytosol ? filePath(o.cytosol) : undefined, height: image.height, width: image.width };
}

function checkInputs(image: ImageSource, nucleus: ImageSource, cytosol: ImageSource | null, params: ExtractionParams): void {
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
    if (!holdsIntegers(mask)) {
      // by the stored type, not the values: a float mask is refused even where it holds whole numbers
      throw new ExtractError(
        mask.name,
        `${what} holds ${mask.dtype} values; expected an integer label image (8 to 64-bit integers; a float mask is refused even when its values are whole numbers): write the labels as integers, e.g. mask.astype(np.uint32)`,
      );
    }
    if (mask.channels !== 1) throw new ExtractError(mask.name, `${what} has ${mask.channels} channels; expected one label plane`);
  }
  if (params.size > image.height || params.size > image.width) {
    throw new ExtractError("size", `${params.size} is larger than the image ${image.name} (${image.height} x ${image.width}); expected at most ${Math.min(image.height, image.width)}`);
  }
}


/** The inputs opened and checked, and the rows planned; `close()` closes the inputs. */
export interface Prepared {
  params: ExtractionParams;
  threads: number;
  image: ImageSource;
  nucleus: ImageSource;
  cytosol: ImageSource | null;
  plan: ExtractionPlan;
  masks: MaskSummary;
  names: ReturnType<typeof resolveChannelNames>;
  labels: Labels | null;
  /** Mask planes stored before the image channels. */
  nMasks: number;
  /** The cell workers, started while the plan was made (null for threads 0): for streamStacks, which closes them. */
  workers: CellWorkers | null;
  /** Closes the inputs (and the workers, if nothing took them). */
  close(): Promise<void>;
}

export async function prepareExtraction(o: ExtractOptions): Promise<Prepared> {
  let params = resolveOrThrow(o);
  const threads = o.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 0) throw new ExtractError("threads", `${threads}; expected an integer >= 0`);
  const opened: ImageSource[] = [];
  const workers = startCellWorkers(threads);
  const close = async () => {
    await Promise.all([...opened.map((s) => s.close().catch(() => {})), workers?.close()]);
  };
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
    // Read before the masks' scan: a bad labels file is said at once, not after a slide's scan.
    const labels: Labels | null = o.labels ? readLabels(o.labels, o.labelsIdColumn) : null;
    const onRows = (rowsDone: number, rows: number) => o.onStage?.({ stage: "scan", rowsDone, rows, mask: nucleusIn.name });
    // Deterministic: every part of a cluster extraction comes to the same plan.
    const { nucleus, cytosol, plan, summary: masks, inputsDone } = await prepareMasks(nucleusIn, cytosolIn, {
      size: params.size,
      border: params.border,
      cellIds: o.cellIds,
      binaryMasks: o.binaryMasks,
      match: o.match,
      matchThreshold: o.matchThreshold,
      onRows,
    });
    o.onStage?.({ stage: "planned", cells: plan.cells.length, droppedAtBorder: plan.droppedAtBorder.length, inMask: plan.maskIds.length });
    // The masks are read from the scan's runs now: their files, and the tiles a TIFF reader keeps decoded, go.
    if (inputsDone) {
      for (const s of [nucleusIn, cytosolIn]) {
        const k = s ? opened.indexOf(s) : -1;
        if (k < 0) continue;
        opened.splice(k, 1);
        await (s as ImageSource).close().catch(() => {});
      }
    }
    if (labels) {
      const unknown = unknownLabelIds(labels, (id) => hasId(plan.maskIds, id));
      if (unknown.length > 0) {
        throw new ExtractError(labels.source, `cellID(s) ${unknown.join(", ")} are not in the nucleus mask ${nucleus.name}; expected ids of labelled nuclei`);
      }
    }
    const crop = `${params.size} x ${params.size}`;
    const slide = `${image.height} x ${image.width} image`;
    if (plan.cells.length === 0 && o.cellIds) {
      const ids = plan.droppedAtBorder;
      throw new ExtractError(
        "cellIds",
        `${ids.slice(0, 20).join(",")}${ids.length > 20 ? ",..." : ""}: ${ids.length > 1 ? "these cells are all" : "this cell is"} at the border (the ${crop} crop around the centroid leaves the ${slide}), so none is written; expected ids of cells away from the border, or border "pad" to zero-pad their crops`,
      );
    }
    if (plan.cells.length === 0) {
      throw new ExtractError(nucleus.name, `none of its ${plan.maskIds.length} cell(s) has its ${crop} crop inside the ${slide}; expected a smaller size, or border "pad"`);
    }
    return { params, threads, image, nucleus, cytosol, plan, masks, names, labels, nMasks: maskCount(params, cytosol !== null), workers, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The streaming options `o` gives for rows [rowStart, rowEnd), progress counted over those rows. */
export function streamOptions(o: ExtractOptions, threads: number, rowStart: number, rowEnd: number): StreamOptions {
  let computed = 0;
  const onComputed = (k: number) => {
    computed += k;
    o.onProgress?.(computed, rowEnd - rowStart);
  };
  return { threads, bandBytes: o.bandBytes, batchSize: o.batchSize, rowStart, rowEnd, onComputed };
}
