// The single-cell layout: the one module that names its elements, obs
// columns, uns keys and the mask / channel mapping (docs/format.md describes
// it for people). It writes the layout (extract), reads it (@cellfolio/lazy,
// `cellfolio info`, the viewer) and validates it (`cellfolio validate`), and
// tells apart the layouts scPortrait and its predecessor SPARCSpy wrote over
// their versions: readAnnData (so convert) reads SPARCSpy's files by it.
//
// - scPortrait 1.3.0: obs `cell_id` uint32; var of zero rows whose columns
//   are the channel names; file single_cells.h5adsc.
// - scPortrait 1.3.1-1.3.2: obs `cell_id` uint64; var a row a channel
//   (`channels`, `channel_mapping`); file single_cells.h5sc.
// - scPortrait >= 1.3.3 (and cellfolio): the column is `scportrait_cell_id`.
// Its pipeline writes lzf with uns `image_size` and the normalisation keys;
// its numpy_to_h5sc / write_h5sc write gzip with `image_size_x` /
// `image_size_y` and no normalisation keys.
// - SPARCSpy: plain HDF5, `single_cell_data` (N, C, S, S) and
//   `single_cell_index` (N, 2) of [row, cellID]; no channel names.
import { FormatError } from "./errors.js";
import type { Categorical, DataFrame, Dict, Elem, Scalar } from "./model.js";
import { encodingAttrs, writeElem } from "./registry.js";
import type { ArrayInfo, ArrayWriter, AttrValue, Compression, CreateArrayOptions, NDArray, NodeInfo, StoreReader, StoreWriter } from "./types.js";

/** The image stacks (N, C', S, S), float16. */
export const IMAGES_PATH = "obsm/single_cell_images";
/** What the stacks are: the keys of SingleCellImagesInfo. */
export const UNS_PATH = "uns/single_cell_images";
export const SPARCSPY_IMAGES = "single_cell_data";
export const SPARCSPY_INDEX = "single_cell_index";
/** The obs columns the layout writes. */
export const OBS_COLUMNS = { cellId: "scportrait_cell_id", centroidY: "centroid_y", centroidX: "centroid_x" } as const;
/** obs's index (row names "0".."N-1"), as anndata names it. */
export const OBS_INDEX = "_index";
/**
 * The obs names the layout writes itself: the index, the cellID and the
 * centroid. A label column (extract --labels, view --annotate) of one of these
 * names would replace what was computed from the mask, so it is refused.
 */
export const OWNED_OBS_COLUMNS: readonly string[] = [OBS_INDEX, OBS_COLUMNS.cellId, OBS_COLUMNS.centroidY, OBS_COLUMNS.centroidX];
/** Where the cellIDs may be, newest writer first (scPortrait < 1.3.3: cell_id). */
export const CELL_ID_COLUMNS = [OBS_COLUMNS.cellId, "cellID", "cell_id"];
/** The mask planes' names, in stored order, before the image channels. */
export const MASK_CHANNEL_NAMES = ["nucleus_mask", "cytosol_mask"];

export type LayoutId = "scportrait-1.3.0" | "scportrait-1.3.1" | "scportrait-1.3.3" | "sparcspy";

export interface SingleCellLayout {
  id: LayoutId;
  /** For people: the writer, its versions and what tells it apart. */
  name: string;
  /** The image array (N, C, S, S). */
  imagesPath: string;
  /** Where the cellIDs are: an obs column, or column 1 of SPARCSpy's index array; none: the rows. */
  cellIds: { obsColumn: string } | { indexArray: string } | null;
  /** Where the channel names are: var `channels`, var's column names (1.3.0), or nowhere (SPARCSpy). */
  channelNames: "var-channels" | "var-columns" | "uns" | "none";
  /** var's column names (1.3.0 keeps the channel names there). */
  varColumns: string[];
  /** The uns / attribute key of the image size: the pipeline's `image_size`, numpy_to_h5sc's `image_size_x`. */
  imageSizeKey: "image_size" | "image_size_x" | null;
  /** What scPortrait's newest layout would do differently (empty: nothing). */
  notes: string[];
}

/** For a Dataset made without detection: the current scPortrait layout. */
export const DEFAULT_LAYOUT: SingleCellLayout = {
  id: "scportrait-1.3.3",
  name: "scPortrait >= 1.3.3",
  imagesPath: IMAGES_PATH,
  cellIds: { obsColumn: OBS_COLUMNS.cellId },
  channelNames: "var-channels",
  varColumns: [],
  imageSizeKey: "image_size",
  notes: [],
};

/** A dataframe group's column-order, as strings (none when it is no group). */
async function frameColumns(store: StoreReader, path: string): Promise<string[]> {
  const node = await get(store, path);
  const order = node?.kind === "group" ? node.attrs["column-order"] : undefined;
  if (Array.isArray(order)) return order.map(String);
  if (order && typeof order === "object" && "data" in order) return Array.from(order.data as ArrayLike<unknown>, String);
  return typeof order === "string" ? [order] : [];
}

const get = (store: StoreReader, path: string): Promise<NodeInfo | null> => store.get(path).catch(() => null);

/** The layout of a store, or null when it holds no single-cell images. `cellIdColumn` overrides the obs column looked for. */
export async function detectLayout(store: StoreReader, cellIdColumn?: string): Promise<SingleCellLayout | null> {
  const images = await get(store, IMAGES_PATH);
  if (!images) {
    const data = await get(store, SPARCSPY_IMAGES);
    if (data?.kind !== "array") return null;
    const index = await get(store, SPARCSPY_INDEX);
    return {
      id: "sparcspy",
      name: "SPARCSpy (single_cell_data + single_cell_index)",
      imagesPath: SPARCSPY_IMAGES,
      cellIds: index?.kind === "array" && index.shape.length === 2 && index.shape[1] >= 2 ? { indexArray: SPARCSPY_INDEX } : null,
      channelNames: "none",
      varColumns: [],
      imageSizeKey: null,
      notes: [
        `scPortrait writes an AnnData .h5sc instead: the images at ${IMAGES_PATH} (float16), the cellIDs in obs/${OBS_COLUMNS.cellId} (uint64), the channel names in var/channels with var/channel_mapping (mask / image_channel)`,
      ],
    };
  }
  const obsColumns = await frameColumns(store, "obs");
  const column = cellIdColumn ?? CELL_ID_COLUMNS.find((c) => obsColumns.includes(c));
  const idNode = column ? await get(store, `obs/${column}`) : null;
  const idType = idNode?.kind === "array" ? idNode.dtype : undefined;
  const varColumns = await frameColumns(store, "var");
  const var_ = await get(store, "var");
  const varRows = var_?.kind === "group" ? await indexLength(store, var_) : null;
  const namesAsColumns = varRows === 0 && images.kind === "array" && varColumns.length === images.shape[1];
  const sizeKey = await imageSizeKey(store, images);
  const writer = sizeKey === "image_size_x" ? ", numpy_to_h5sc / write_h5sc" : sizeKey === "image_size" ? ", pipeline" : "";
  const notes: string[] = [];
  const channelNames = namesAsColumns ? "var-columns" : varColumns.includes("channels") ? "var-channels" : "uns";
  let id: LayoutId;
  let name: string;
  if (column === "cell_id" && namesAsColumns) {
    id = "scportrait-1.3.0";
    name = `scPortrait 1.3.0 (cell_id ${idType ?? "?"}, var columns as channel names${writer})`;
  } else if (column === "cell_id") {
    id = "scportrait-1.3.1";
    name = `scPortrait 1.3.1-1.3.2 (cell_id ${idType ?? "?"}, var channels / channel_mapping${writer})`;
  } else {
    id = "scportrait-1.3.3";
    name = `scPortrait >= 1.3.3 (${column ?? "no cellID column"}${idType ? ` ${idType}` : ""}${writer})`;
  }
  if (column !== OBS_COLUMNS.cellId) notes.push(`scPortrait >= 1.3.3 names the cellID column obs/${OBS_COLUMNS.cellId} (this file: ${column ? `obs/${column}` : "none"})`);
  if (idType && idType !== "uint64") notes.push(`scPortrait >= 1.3.1 stores the cellIDs as uint64 (this file: ${idType})`);
  if (channelNames !== "var-channels") notes.push("scPortrait >= 1.3.1 writes var as a row a channel with columns channels and channel_mapping");
  if (/\.h5adsc$/i.test(store.source)) notes.push("scPortrait >= 1.3.1 names the file single_cells.h5sc (this file: .h5adsc)");
  return { id, name, imagesPath: IMAGES_PATH, cellIds: column ? { obsColumn: column } : null, channelNames, varColumns, imageSizeKey: sizeKey, notes };
}

async function indexLength(store: StoreReader, frame: NodeInfo): Promise<number | null> {
  const name = typeof frame.attrs._index === "string" ? frame.attrs._index : "_index";
  const idx = await get(store, `${frame.path}/${name}`);
  return idx?.kind === "array" ? idx.shape[0] : null;
}

async function imageSizeKey(store: StoreReader, images: NodeInfo): Promise<SingleCellLayout["imageSizeKey"]> {
  for (const key of ["image_size", "image_size_x"] as const) {
    if (images.attrs[key] !== undefined || (await get(store, `${UNS_PATH}/${key}`))) return key;
  }
  return null;
}

/**
 * A SPARCSpy file as the AnnData scPortrait writes today: the images (left on
 * disk, as stored) at IMAGES_PATH, the cellIDs of its index in the cellID
 * column (uint64), channels named by their position.
 */
export async function sparcspyAsAnnData(
  reader: StoreReader,
  layout: SingleCellLayout,
): Promise<{ obs: DataFrame; var: DataFrame; obsm: Record<string, Elem>; uns: Record<string, Elem> }> {
  const images = await reader.get(layout.imagesPath);
  if (images?.kind !== "array" || images.shape.length !== 4) throw new Error(`${reader.source}: /${layout.imagesPath}: expected SPARCSpy's (N, channels, S, S) image array`);
  const [n, c] = images.shape;
  const ids = new BigUint64Array(n);
  if (layout.cellIds && "indexArray" in layout.cellIds) {
    const a = await reader.readArray(layout.cellIds.indexArray);
    const w = a.shape[1];
    if (a.shape[0] !== n) throw new Error(`${reader.source}: /${layout.cellIds.indexArray}: ${a.shape[0]} rows, /${layout.imagesPath} has ${n} cells`);
    for (let r = 0; r < n; r++) ids[r] = BigInt((a.data as ArrayLike<number | bigint>)[r * w + 1]);
  } else for (let r = 0; r < n; r++) ids[r] = BigInt(r);
  const names = Array.from({ length: c }, (_, i) => String(i));
  const frame = (index: string[], columns: Record<string, Elem>): DataFrame => ({ kind: "dataframe", index, indexName: "_index", columns, columnOrder: Object.keys(columns) });
  return {
    obs: frame(Array.from({ length: n }, (_, i) => String(i)), { [OBS_COLUMNS.cellId]: { dtype: "uint64", shape: [n], data: ids } }),
    var: frame(names, { channels: { dtype: "string", shape: [c], data: names } }),
    obsm: { single_cell_images: { kind: "array-handle", reader, path: layout.imagesPath, info: images } },
    uns: {
      single_cell_images: {
        kind: "dict",
        items: {
          n_cells: { kind: "numeric-scalar", dtype: "int64", value: n },
          n_channels: { kind: "numeric-scalar", dtype: "int64", value: c },
          image_size: { kind: "numeric-scalar", dtype: "int64", value: images.shape[2] },
          channel_names: { dtype: "string", shape: [c], data: names },
        },
      },
    },
  };
}

/** Whether each stored channel is a mask: by the mapping recorded (uns `channel_mapping`), else by its name. */
export function maskChannels(names: readonly string[], mapping?: readonly string[]): boolean[] {
  return names.map((name, k) => (mapping?.[k] !== undefined ? mapping[k] === "mask" : /mask/i.test(name)));
}

/** Stored channel names: the masks first, then the image channels. */
export function storedChannelNames(nMasks: number, imageChannelNames: string[]): string[] {
  return [...MASK_CHANNEL_NAMES.slice(0, nMasks), ...imageChannelNames];
}

// ---- Writing -------------------------------------------------------------

/**
 * HDF5 default filter: gzip level 1. Stock h5py, h5dump, HDF5 in R / MATLAB
 * read it (lzf is h5py's own). The extraction workers compress the planes
 * themselves, with zlib's run-length parse (extract's stream.ts
 * stackFilters), which @cellfolio/codecs' WebAssembly encoder writes at
 * ~40 us a 32 KiB plane, 2.2x node:zlib's Z_RLE at the same size (the tiled
 * bench slide's planes, one core). The README's "Which compression, measured"
 * compares it end to end with lzf, shuffle + gzip and Zarr.
 */
export const HDF5_DEFAULT_COMPRESSION: Compression = { codec: "gzip", level: 1 };

/** Rows of a Zarr v3 shard: about 32 MiB of uncompressed stacks, so a store of millions of cells is thousands of files. */
export function rowsPerShard(rowBytes: number): number {
  return Math.max(1, Math.min(4096, Math.floor((32 << 20) / rowBytes)));
}

export interface ImagesArrayLayout extends CreateArrayOptions {
  /** Rows of one write unit: parts of a plan split along these. */
  rowsPerUnit: number;
}

/**
 * How the images array is stored: HDF5 chunks (1, 1, S, S) as scPortrait
 * writes them; Zarr one cell per (inner) chunk (1, C', S, S), so a remote read of
 * a cell is one range request; v3 sharded along rows.
 */
export function imagesArrayLayout(
  backend: "hdf5" | "zarr" | "memory",
  zarrFormat: 2 | 3 | undefined,
  rows: number,
  channels: number,
  size: number,
  compression?: Compression,
  /** Zarr v3: rows per shard instead of rowsPerShard()'s ~32 MiB (small stores, tests of parts). */
  shardRows?: number,
): ImagesArrayLayout {
  const shape = [rows, channels, size, size];
  const attrs = encodingAttrs("array");
  if (backend === "hdf5") {
    return { shape, dtype: "float16", chunks: [1, 1, size, size], compression: compression ?? HDF5_DEFAULT_COMPRESSION, attrs, rowsPerUnit: 1 };
  }
  const chunks = [1, channels, size, size];
  if (backend === "zarr" && zarrFormat === 3) {
    const r = shardRows ?? rowsPerShard(channels * size * size * 2);
    return { shape, dtype: "float16", chunks, shards: [r, channels, size, size], compression, attrs, rowsPerUnit: r };
  }
  return { shape, dtype: "float16", chunks, shards: null, compression, attrs, rowsPerUnit: 1 };
}

/** What writeSingleCellLayout records besides the stacks. */
export interface LayoutInfo {
  /** The kept cells, row order: their cellIDs and centroids (slide pixels), a column each. */
  cells: { id: ArrayLike<number>; centroidY: ArrayLike<number>; centroidX: ArrayLike<number> };
  nMasks: number;
  imageChannelNames: string[];
  /** The extraction parameters (recorded whole, as JSON). */
  params: { preset: string; size: number; quantiles: readonly [number, number] };
  /** The stacks' codec pipeline as the writer names it. */
  compression: string;
  /** Extra obs columns (labels), row order. */
  labelColumns?: Record<string, Elem>;
  labelColumnOrder?: string[];
  /** cellIDs of the mask not written because their crop left the image (--border drop). */
  droppedAtBorder?: number[];
  /**
   * The files the cells were cut from (absolute paths; absent for inputs given
   * as several files or as sources): `cellfolio view` shows the slide from
   * them, `cellfolio lmd` finds the mask.
   */
  sources?: { image?: string; nucleus?: string; cytosol?: string; height: number; width: number };
}

const strs = (values: string[]): NDArray => ({ dtype: "string", shape: [values.length], data: values });
const int = (value: number): Scalar => ({ kind: "numeric-scalar", dtype: "int64", value });
const float = (value: number): Scalar => ({ kind: "numeric-scalar", dtype: "float64", value });
const text = (value: string): Scalar => ({ kind: "string", dtype: "string", value });
const rowIndex = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

/**
 * obs: index "0".."N-1", the cellID (uint64), the centroid (float64), then
 * the labels. A label named as an owned column is refused, not written over
 * it (extract refuses such a labels file before; this is the last guard).
 */
function obsFrame(info: LayoutInfo, target: string): DataFrame {
  const labels = info.labelColumns ?? {};
  const clash = [...Object.keys(labels), ...(info.labelColumnOrder ?? [])].find((c) => OWNED_OBS_COLUMNS.includes(c));
  if (clash !== undefined) {
    throw new FormatError(target, `obs/${clash}`, `a label column named "${clash}", which the single-cell layout writes itself (${OWNED_OBS_COLUMNS.join(", ")}); expected another name for the label column`);
  }
  const n = info.cells.id.length;
  const ids = new BigUint64Array(n);
  for (let r = 0; r < n; r++) ids[r] = BigInt(info.cells.id[r]);
  const cy = Float64Array.from(info.cells.centroidY);
  const cx = Float64Array.from(info.cells.centroidX);
  const { cellId, centroidY, centroidX } = OBS_COLUMNS;
  const columns: Record<string, Elem> = {
    ...labels,
    [cellId]: { dtype: "uint64", shape: [n], data: ids },
    [centroidY]: { dtype: "float64", shape: [n], data: cy },
    [centroidX]: { dtype: "float64", shape: [n], data: cx },
  };
  const labelOrder = info.labelColumnOrder ?? Object.keys(labels);
  return { kind: "dataframe", index: rowIndex(n), indexName: OBS_INDEX, columns, columnOrder: [cellId, centroidY, centroidX, ...labelOrder] };
}

/** var: one row per stored channel, `channels` (names) and `channel_mapping` ("mask" / "image_channel"). */
function varFrame(nMasks: number, imageChannelNames: string[]): DataFrame {
  const names = storedChannelNames(nMasks, imageChannelNames);
  const mapping: Categorical = {
    kind: "categorical",
    codes: { dtype: "int8", shape: [names.length], data: Int8Array.from(names, (_, k) => (k < nMasks ? 1 : 0)) },
    categories: strs(["image_channel", "mask"]),
    ordered: false,
  };
  return {
    kind: "dataframe",
    index: rowIndex(names.length),
    indexName: "_index",
    columns: { channels: strs(names), channel_mapping: mapping },
    columnOrder: ["channels", "channel_mapping"],
  };
}

/** uns/single_cell_images: the keys scPortrait's readers look for, plus the preset and its parameters. */
function unsDict(info: LayoutInfo): Dict {
  const names = storedChannelNames(info.nMasks, info.imageChannelNames);
  const { params, sources } = info;
  const dropped = info.droppedAtBorder ?? [];
  const items: Record<string, Elem> = {
    n_cells: int(info.cells.id.length),
    n_channels: int(names.length),
    n_masks: int(info.nMasks),
    n_image_channels: int(info.imageChannelNames.length),
    image_size: int(params.size),
    normalization: { kind: "numeric-scalar", dtype: "bool", value: true },
    normalization_range_lower: float(params.quantiles[0]),
    normalization_range_upper: float(params.quantiles[1]),
    channel_names: strs(names),
    channel_mapping: strs(names.map((_, k) => (k < info.nMasks ? "mask" : "image_channel"))),
    compression: text(info.compression),
    extraction_preset: text(params.preset),
    extraction_params: text(JSON.stringify(params)),
    // so a cell asked for later can be told "dropped at the border", not just "not here"
    dropped_at_border: { dtype: "uint64", shape: [dropped.length], data: BigUint64Array.from(dropped, BigInt) },
  };
  if (sources) {
    const named = { source_image: sources.image, source_nucleus_mask: sources.nucleus, source_cytosol_mask: sources.cytosol };
    for (const [key, value] of Object.entries(named)) if (value) items[key] = text(value);
    // [height, width]: a mask given later (cellfolio lmd) is checked against it
    items.source_shape = { dtype: "int64", shape: [2], data: BigInt64Array.from([BigInt(sources.height), BigInt(sources.width)]) };
  }
  return { kind: "dict", items };
}

/** The root group's attributes, the obsm group and the (empty) images array, whose rows the caller writes. */
export async function createImagesArray(writer: StoreWriter, options: CreateArrayOptions): Promise<ArrayWriter> {
  await writer.setAttrs("", encodingAttrs("anndata"));
  await writer.createGroup("obsm", encodingAttrs("dict"));
  return writer.createArray(IMAGES_PATH, options);
}

/** obs, var, uns and the empty mappings anndata writes (all known from the plan, so written before the stacks). */
export async function writeSingleCellLayout(writer: StoreWriter, info: LayoutInfo): Promise<void> {
  await writeElem(writer, "obs", obsFrame(info, writer.target));
  await writeElem(writer, "var", varFrame(info.nMasks, info.imageChannelNames));
  await writeElem(writer, "uns", { kind: "dict", items: { [UNS_PATH.split("/")[1]]: unsDict(info) } });
  for (const empty of ["layers", "obsp", "varm", "varp"]) await writeElem(writer, empty, { kind: "dict", items: {} });
}

// ---- Reading -------------------------------------------------------------

/** What uns/single_cell_images (and the image array's attributes, where scPortrait keeps them too) say. */
export interface SingleCellImagesInfo {
  nCells?: number;
  nChannels?: number;
  nMasks?: number;
  nImageChannels?: number;
  imageSize?: number;
  channelNames?: string[];
  channelMapping?: string[];
  normalization?: boolean;
  normalizationRange?: [number, number];
  compression?: string;
  extractionPreset?: string;
  extractionParams?: unknown;
  /** The files extract cut the cells from (absolute paths on the machine that extracted). */
  sourceImage?: string;
  sourceNucleusMask?: string;
  sourceCytosolMask?: string;
  /** [height, width] of the slide extract read. */
  sourceShape?: [number, number];
  /** cellIDs not written because their crop left the image. */
  droppedAtBorder?: number[];
  /** Everything found, as read (keys as on disk). */
  raw: Record<string, unknown>;
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Array.isArray(v) && v.length === 1 ? num(v[0]) : undefined);
const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : undefined);
const str = (v: unknown) => (typeof v === "string" ? v : Array.isArray(v) && v.length === 1 ? String(v[0]) : undefined);

/** An NDArray as a plain JS value: 0-d -> scalar, 1-d -> array; bigints become numbers. */
function plainValue(a: NDArray): unknown {
  const conv = (x: unknown) => (typeof x === "bigint" ? Number(x) : a.dtype === "bool" ? Boolean(x) : x);
  return a.shape.length === 0 ? conv((a.data as ArrayLike<unknown>)[0]) : Array.from(a.data as ArrayLike<unknown>, conv);
}

function plainAttr(v: AttrValue): unknown {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && "data" in v && "dtype" in v && "shape" in v) return plainValue(v as NDArray);
  return typeof v === "bigint" ? Number(v) : v;
}

/** A group's arrays (and groups, nested) as plain values: cellfolio's encoded dict or scPortrait's untagged group. */
async function readPlainGroup(store: StoreReader, path: string): Promise<Record<string, unknown>> {
  const names = await store.list(path);
  const values = await Promise.all(
    names.map(async (name) => {
      const p = `${path}/${name}`;
      const node = await store.get(p);
      return node && (node.kind === "group" ? readPlainGroup(store, p) : plainValue(await store.readArray(p)));
    }),
  );
  const out: Record<string, unknown> = {};
  names.forEach((name, i) => {
    if (values[i] !== undefined && values[i] !== null) out[name] = values[i];
  });
  return out;
}

/** The layout's record from what was read: the image array's attributes, overridden by uns's keys. */
export function singleCellInfo(images: ArrayInfo, uns: Record<string, unknown> = {}): SingleCellImagesInfo {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(images.attrs)) if (!k.startsWith("encoding-")) raw[k] = plainAttr(v);
  Object.assign(raw, uns);
  const lo = num(raw.normalization_range_lower);
  const hi = num(raw.normalization_range_upper);
  const range = Array.isArray(raw.normalization_range) ? raw.normalization_range.map(Number) : lo !== undefined && hi !== undefined ? [lo, hi] : undefined;
  let params: unknown = raw.extraction_params;
  if (typeof params === "string") {
    try {
      params = JSON.parse(params);
    } catch {}
  }
  const shape = Array.isArray(raw.source_shape) && raw.source_shape.length === 2 ? (raw.source_shape.map(Number) as [number, number]) : undefined;
  // older cellfolio and hand-made files named the dropped cellIDs differently
  const dropped = ["dropped_at_border", "cellids_dropped_at_border", "droppedAtBorder"].map((k) => raw[k]).find((v) => v !== undefined);
  return {
    nCells: num(raw.n_cells),
    nChannels: num(raw.n_channels),
    nMasks: num(raw.n_masks),
    nImageChannels: num(raw.n_image_channels),
    imageSize: num(raw.image_size) ?? num(raw.image_size_x),
    channelNames: strings(raw.channel_names),
    channelMapping: strings(raw.channel_mapping),
    normalization: raw.normalization === undefined ? undefined : Boolean(typeof raw.normalization === "object" ? (raw.normalization as unknown[])[0] : raw.normalization),
    normalizationRange: range as [number, number] | undefined,
    compression: str(raw.compression),
    extractionPreset: str(raw.extraction_preset),
    extractionParams: params,
    sourceImage: str(raw.source_image),
    sourceNucleusMask: str(raw.source_nucleus_mask),
    sourceCytosolMask: str(raw.source_cytosol_mask),
    sourceShape: shape,
    droppedAtBorder: dropped === undefined ? undefined : (Array.isArray(dropped) ? dropped : [dropped]).map(Number),
    raw,
  };
}

/** Reads uns/single_cell_images (with the image array's attributes) of a store whose images are `images`. */
export async function readSingleCellLayout(store: StoreReader, images: ArrayInfo): Promise<SingleCellImagesInfo> {
  const uns = await store.get(UNS_PATH);
  return singleCellInfo(images, uns?.kind === "group" ? await readPlainGroup(store, UNS_PATH) : {});
}

// ---- Validating ----------------------------------------------------------

export interface LayoutProblem {
  /** The element, without a leading "/". */
  path: string;
  message: string;
  severity: "error" | "warning";
}

/**
 * What of the single-cell layout a reader could not use: the images' shape
 * and type against obs / var (`nObs` / `nVars`, null where unknown), the
 * cellID column, and uns's counts against the images. SPARCSpy's files get
 * SPARCSpy's checks. A store without images has nothing to check.
 */
export async function validateSingleCellLayout(
  reader: StoreReader,
  layout: SingleCellLayout | null,
  counts: { nObs: number | null; nVars: number | null } = { nObs: null, nVars: null },
): Promise<LayoutProblem[]> {
  const problems: LayoutProblem[] = [];
  const err = (path: string, message: string) => problems.push({ path, message, severity: "error" });
  if (layout?.id === "sparcspy") {
    const data = await get(reader, SPARCSPY_IMAGES);
    const index = await get(reader, SPARCSPY_INDEX);
    if (data?.kind !== "array" || data.shape.length !== 4) {
      err(SPARCSPY_IMAGES, `expected an array (N, channels, S, S)${data?.kind === "array" ? `, found shape (${data.shape.join(", ")})` : ""}`);
    } else if (index?.kind !== "array" || index.shape.length !== 2 || index.shape[1] < 2) {
      err(SPARCSPY_INDEX, "missing or not (N, 2): SPARCSpy keeps [row, cellID] a cell there");
    } else if (index.shape[0] !== data.shape[0]) err(SPARCSPY_INDEX, `${index.shape[0]} rows, ${SPARCSPY_IMAGES} has ${data.shape[0]} cells`);
    return problems;
  }
  const images = await get(reader, IMAGES_PATH);
  if (!images) return problems;
  if (images.kind !== "array") {
    err(IMAGES_PATH, "must be an array (N, channels, S, S)");
    return problems;
  }
  if (images.dtype !== "float16") problems.push({ path: IMAGES_PATH, message: `dtype ${images.dtype}, the layout stores float16`, severity: "warning" });
  if (images.shape.length !== 4) {
    err(IMAGES_PATH, `shape (${images.shape.join(", ")}), expected 4 axes (N, channels, S, S)`);
    return problems;
  }
  const [n, c, h, w] = images.shape;
  const { nObs, nVars } = counts;
  if (h !== w) err(IMAGES_PATH, `images of ${h} x ${w}, expected square`);
  if (nObs !== null && n !== nObs) err(IMAGES_PATH, `${n} cells, obs has ${nObs} rows`);
  if (nVars !== null && nVars !== 0 && c !== nVars) err(IMAGES_PATH, `${c} channels, var has ${nVars} rows`);
  // older scPortrait named the column cell_id (the layout note says so); any integer type reads
  const idColumn = layout?.cellIds && "obsColumn" in layout.cellIds ? layout.cellIds.obsColumn : OBS_COLUMNS.cellId;
  const ids = await get(reader, `obs/${idColumn}`);
  if (!ids) err(`obs/${OBS_COLUMNS.cellId}`, "missing: every stored cell needs its cellID (scPortrait < 1.3.3: obs/cell_id)");
  else if (ids.kind === "array" && !/^u?int/.test(ids.dtype)) err(`obs/${idColumn}`, `dtype ${ids.dtype}, expected integers (scPortrait writes uint64)`);
  if (!(await get(reader, UNS_PATH))) {
    if (images.attrs.n_cells === undefined) err(UNS_PATH, "missing (n_cells, n_channels, image_size, channel names)");
    return problems;
  }
  const sizeKey = layout?.imageSizeKey ?? "image_size";
  for (const [key, value] of [
    ["n_cells", n],
    ["n_channels", c],
    [sizeKey, h],
  ] as const) {
    const a = await get(reader, `${UNS_PATH}/${key}`);
    const x = a?.kind === "array" ? ((await reader.readArray(a.path)).data as ArrayLike<unknown>)[0] : undefined;
    const v = typeof x === "bigint" ? Number(x) : x;
    if (v === undefined) err(`${UNS_PATH}/${key}`, "missing");
    else if (v !== value) err(`${UNS_PATH}/${key}`, `is ${v}, the image array says ${value}`);
  }
  return problems;
}
