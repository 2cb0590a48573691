// The on-disk layout of a single-cell image dataset (docs/format.md): an
// AnnData whose obsm/single_cell_images holds the float16 stacks (N, C', S, S)
// and whose obs / var / uns say which cell and channel each slice is. The
// elements go through @cellfolio/format's registry so they carry exactly the
// encodings anndata writes.
import {
  type Categorical,
  type Compression,
  type CreateArrayOptions,
  type DataFrame,
  type Dict,
  type Elem,
  type NDArray,
  type Scalar,
  type StoreWriter,
  writeElem,
} from "@cellfolio/format";
import type { CellInfo } from "./kernels/cells.js";
import type { ExtractionParams } from "./presets.js";

export const IMAGES_PATH = "obsm/single_cell_images";

/**
 * HDF5 default filter: gzip level 1. Stock h5py, h5dump, HDF5 in R / MATLAB
 * read it (lzf is h5py's own). The extraction workers compress the planes
 * themselves, with zlib's RLE strategy (pipeline.ts stackFilters). Codec cost
 * per cell on the bench slide (160 KiB of float16, one core): gzip 1 RLE
 * 300 us at ratio 7.26 (level 1's default strategy 393 us at 7.10); shuffle +
 * gzip 1 RLE 388 us at 7.65; lzf (JS) 310 us at 6.23. End to end (20,000
 * cells, 2 threads): gzip 1 at 1,128 cells per CPU second, 300 us of the
 * ~890 us per cell; compression is still the largest single stage.
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
 * How obsm/single_cell_images is stored: HDF5 chunks (1, 1, S, S) as scPortrait
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
  const attrs = { "encoding-type": "array", "encoding-version": "0.2.0" };
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

/** Stored channel names: the masks first, then the image channels. */
export function storedChannelNames(nMasks: number, imageChannelNames: string[]): string[] {
  const masks = ["nucleus_mask", "cytosol_mask"].slice(0, nMasks);
  return [...masks, ...imageChannelNames];
}

export interface LayoutInfo {
  /** The kept cells, row order. */
  cells: CellInfo[];
  nMasks: number;
  imageChannelNames: string[];
  params: ExtractionParams;
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

const str = (values: string[]): NDArray => ({ dtype: "string", shape: [values.length], data: values });
const int = (value: number): Scalar => ({ kind: "numeric-scalar", dtype: "int64", value });
const float = (value: number): Scalar => ({ kind: "numeric-scalar", dtype: "float64", value });

function rowIndex(n: number): string[] {
  const index = new Array<string>(n);
  for (let i = 0; i < n; i++) index[i] = String(i);
  return index;
}

/** obs: index "0".."N-1", scportrait_cell_id (uint64), centroid_y / centroid_x (float64), then the labels. */
export function obsFrame(info: Pick<LayoutInfo, "cells" | "labelColumns" | "labelColumnOrder">): DataFrame {
  const n = info.cells.length;
  const ids = new BigUint64Array(n);
  const cy = new Float64Array(n);
  const cx = new Float64Array(n);
  info.cells.forEach((c, r) => {
    ids[r] = BigInt(c.id);
    cy[r] = c.centroidY;
    cx[r] = c.centroidX;
  });
  const columns: Record<string, Elem> = {
    scportrait_cell_id: { dtype: "uint64", shape: [n], data: ids },
    centroid_y: { dtype: "float64", shape: [n], data: cy },
    centroid_x: { dtype: "float64", shape: [n], data: cx },
    ...(info.labelColumns ?? {}),
  };
  const labelOrder = (info.labelColumnOrder ?? Object.keys(info.labelColumns ?? {})).filter((c) => !(c in { scportrait_cell_id: 1, centroid_y: 1, centroid_x: 1 }));
  return {
    kind: "dataframe",
    index: rowIndex(n),
    indexName: "_index",
    columns,
    columnOrder: ["scportrait_cell_id", "centroid_y", "centroid_x", ...labelOrder],
  };
}

/** var: one row per stored channel, `channels` (names) and `channel_mapping` ("mask" / "image_channel"). */
export function varFrame(nMasks: number, imageChannelNames: string[]): DataFrame {
  const names = storedChannelNames(nMasks, imageChannelNames);
  const categories = ["image_channel", "mask"];
  const mapping: Categorical = {
    kind: "categorical",
    codes: { dtype: "int8", shape: [names.length], data: Int8Array.from(names, (_, k) => (k < nMasks ? 1 : 0)) },
    categories: str(categories),
    ordered: false,
  };
  return {
    kind: "dataframe",
    index: rowIndex(names.length),
    indexName: "_index",
    columns: { channels: str(names), channel_mapping: mapping },
    columnOrder: ["channels", "channel_mapping"],
  };
}

/** uns/single_cell_images: the keys scPortrait's readers look for, plus the preset and its parameters. */
export function singleCellImagesUns(info: LayoutInfo): Dict {
  const names = storedChannelNames(info.nMasks, info.imageChannelNames);
  const { params } = info;
  const dropped = info.droppedAtBorder ?? [];
  return {
    kind: "dict",
    items: {
      n_cells: int(info.cells.length),
      n_channels: int(names.length),
      n_masks: int(info.nMasks),
      n_image_channels: int(info.imageChannelNames.length),
      image_size: int(params.size),
      normalization: { kind: "numeric-scalar", dtype: "bool", value: true },
      normalization_range_lower: float(params.quantiles[0]),
      normalization_range_upper: float(params.quantiles[1]),
      channel_names: str(names),
      channel_mapping: str(names.map((_, k) => (k < info.nMasks ? "mask" : "image_channel"))),
      compression: { kind: "string", dtype: "string", value: info.compression },
      extraction_preset: { kind: "string", dtype: "string", value: params.preset },
      extraction_params: { kind: "string", dtype: "string", value: JSON.stringify(params) },
      // so a cell asked for later can be told "dropped at the border", not just "not here"
      dropped_at_border: { dtype: "uint64", shape: [dropped.length], data: BigUint64Array.from(dropped, BigInt) },
      ...sourceKeys(info.sources),
    },
  };
}

/** uns keys naming the input files (source_image, source_nucleus_mask, source_cytosol_mask) and the slide's size. */
function sourceKeys(sources: LayoutInfo["sources"]): Record<string, Elem> {
  if (!sources) return {};
  const out: Record<string, Elem> = {};
  const named = { source_image: sources.image, source_nucleus_mask: sources.nucleus, source_cytosol_mask: sources.cytosol };
  for (const [key, value] of Object.entries(named)) if (value) out[key] = { kind: "string", dtype: "string", value } satisfies Scalar;
  // [height, width]: a mask given later (cellfolio lmd) is checked against it
  out.source_shape = { dtype: "int64", shape: [2], data: BigInt64Array.from([BigInt(sources.height), BigInt(sources.width)]) };
  return out;
}

/** The root group's attributes and the obsm group. */
export async function writeRootAndObsm(writer: StoreWriter): Promise<void> {
  await writer.setAttrs("", { "encoding-type": "anndata", "encoding-version": "0.1.0" });
  await writer.createGroup("obsm", { "encoding-type": "dict", "encoding-version": "0.1.0" });
}

/** obs, var, uns and the empty mappings anndata writes (all known from the plan, so written before the stacks). */
export async function writeObsVarUns(writer: StoreWriter, info: LayoutInfo): Promise<void> {
  await writeElem(writer, "obs", obsFrame(info));
  await writeElem(writer, "var", varFrame(info.nMasks, info.imageChannelNames));
  await writeElem(writer, "uns", { kind: "dict", items: { single_cell_images: singleCellImagesUns(info) } });
  for (const empty of ["layers", "obsp", "varm", "varp"]) await writeElem(writer, empty, { kind: "dict", items: {} });
}
