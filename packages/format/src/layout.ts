// The single-cell layouts scPortrait and its predecessor SPARCSpy wrote over
// their versions, told apart from what a store holds. One home for this
// knowledge: readAnnData (so convert) reads SPARCSpy's files by it,
// @cellfolio/lazy's openDataset reads every layout by it, and
// `cellfolio validate` and `info` name it.
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
import type { DataFrame, Elem } from "./model.js";
import type { NodeInfo, StoreReader } from "./types.js";

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

export const SCPORTRAIT_IMAGES = "obsm/single_cell_images";
export const SPARCSPY_IMAGES = "single_cell_data";
export const SPARCSPY_INDEX = "single_cell_index";

/** For a Dataset made without detection: the current scPortrait layout. */
export const DEFAULT_LAYOUT: SingleCellLayout = {
  id: "scportrait-1.3.3",
  name: "scPortrait >= 1.3.3",
  imagesPath: SCPORTRAIT_IMAGES,
  cellIds: { obsColumn: "scportrait_cell_id" },
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
  const images = await get(store, SCPORTRAIT_IMAGES);
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
        `scPortrait writes an AnnData .h5sc instead: the images at ${SCPORTRAIT_IMAGES} (float16), the cellIDs in obs/scportrait_cell_id (uint64), the channel names in var/channels with var/channel_mapping (mask / image_channel)`,
      ],
    };
  }
  const obsColumns = await frameColumns(store, "obs");
  const column = cellIdColumn ?? ["scportrait_cell_id", "cellID", "cell_id"].find((c) => obsColumns.includes(c));
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
  if (column !== "scportrait_cell_id") notes.push(`scPortrait >= 1.3.3 names the cellID column obs/scportrait_cell_id (this file: ${column ? `obs/${column}` : "none"})`);
  if (idType && idType !== "uint64") notes.push(`scPortrait >= 1.3.1 stores the cellIDs as uint64 (this file: ${idType})`);
  if (channelNames !== "var-channels") notes.push("scPortrait >= 1.3.1 writes var as a row a channel with columns channels and channel_mapping");
  if (/\.h5adsc$/i.test(store.source)) notes.push("scPortrait >= 1.3.1 names the file single_cells.h5sc (this file: .h5adsc)");
  return { id, name, imagesPath: SCPORTRAIT_IMAGES, cellIds: column ? { obsColumn: column } : null, channelNames, varColumns, imageSizeKey: sizeKey, notes };
}

async function indexLength(store: StoreReader, frame: NodeInfo): Promise<number | null> {
  const name = typeof frame.attrs._index === "string" ? frame.attrs._index : "_index";
  const idx = await get(store, `${frame.path}/${name}`);
  return idx?.kind === "array" ? idx.shape[0] : null;
}

async function imageSizeKey(store: StoreReader, images: NodeInfo): Promise<SingleCellLayout["imageSizeKey"]> {
  for (const key of ["image_size", "image_size_x"] as const) {
    if (images.attrs[key] !== undefined || (await get(store, `uns/single_cell_images/${key}`))) return key;
  }
  return null;
}

/**
 * A SPARCSpy file as the AnnData scPortrait writes today: the images (left on
 * disk, as stored) at obsm/single_cell_images, the cellIDs of its index in
 * obs/scportrait_cell_id (uint64), channels named by their position.
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
    obs: frame(Array.from({ length: n }, (_, i) => String(i)), { scportrait_cell_id: { dtype: "uint64", shape: [n], data: ids } }),
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
