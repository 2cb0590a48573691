// What a store holds, walked once: the tree of groups and arrays with their
// encodings, shapes, dtypes, chunks and codecs; AnnData's n_obs / n_vars; and
// for single-cell image datasets the summary of uns/single_cell_images.
import { attrString, detectLayout, type NodeInfo, readSingleCellLayout, type StoreReader } from "@cellfolio/format";

export interface ElementSummary {
  path: string;
  kind: "group" | "array";
  encodingType?: string;
  encodingVersion?: string;
  shape?: number[];
  dtype?: string;
  chunks?: number[] | null;
  shards?: number[] | null;
  compression?: string;
}

export interface SingleCellSummary {
  /** Which scPortrait / SPARCSpy layout (see @cellfolio/format's detectLayout). */
  layout: string;
  nCells: number;
  nChannels: number;
  nMasks: number | null;
  imageSize: number;
  channelNames: string[];
  channelMapping: string[];
  preset: string | null;
  dtype: string;
  chunks: number[] | null;
  compression: string;
}

export interface StoreSummary {
  source: string;
  backend: string;
  zarrFormat: number | null;
  nObs: number | null;
  nVars: number | null;
  elements: ElementSummary[];
  singleCell: SingleCellSummary | null;
}

export async function walk(reader: StoreReader, path = "", out: NodeInfo[] = [], depth = 0): Promise<NodeInfo[]> {
  const node = await reader.get(path);
  if (!node) return out;
  out.push(node);
  if (node.kind === "group" && depth < 32) {
    for (const child of await reader.list(path)) {
      await walk(reader, path ? `${path}/${child}` : child, out, depth + 1);
    }
  }
  return out;
}

/** Length of a dataframe (obs / var): its index array, or a legacy compound dataset. */
export async function dataframeLength(reader: StoreReader, path: string): Promise<number | null> {
  const node = await reader.get(path);
  if (!node) return null;
  if (node.kind === "array") return node.shape[0] ?? null;
  const index = attrString(node.attrs, "_index") ?? "_index";
  const idx = await reader.get(`${path}/${index}`);
  if (idx?.kind === "array") return idx.shape[0];
  return null;
}

export async function singleCellSummary(reader: StoreReader): Promise<SingleCellSummary | null> {
  const layout = await detectLayout(reader);
  if (!layout) return null;
  const images = await reader.get(layout.imagesPath);
  if (images?.kind !== "array") return null;
  const sc = await readSingleCellLayout(reader, images);
  const mapping = sc.channelMapping ?? [];
  return {
    layout: layout.name,
    nCells: images.shape[0],
    nChannels: images.shape[1],
    nMasks: sc.nMasks ?? (mapping.length ? mapping.filter((m) => m === "mask").length : null),
    imageSize: images.shape[2],
    channelNames: sc.channelNames ?? [],
    channelMapping: mapping,
    preset: sc.extractionPreset ?? null,
    dtype: images.dtype,
    chunks: images.chunks,
    compression: images.compression,
  };
}

export async function summarize(reader: StoreReader): Promise<StoreSummary> {
  const nodes = await walk(reader);
  const elements: ElementSummary[] = nodes.map((n) => {
    const base: ElementSummary = {
      path: `/${n.path}`,
      kind: n.kind,
      encodingType: attrString(n.attrs, "encoding-type"),
      encodingVersion: attrString(n.attrs, "encoding-version"),
    };
    if (n.kind === "array") {
      Object.assign(base, { shape: n.shape, dtype: n.fields ? `compound(${n.fields.map((f) => f.name).join(",")})` : n.dtype, chunks: n.chunks, compression: n.compression });
      if (n.shards) base.shards = n.shards;
    }
    return base;
  });
  return {
    source: reader.source,
    backend: reader.backend,
    zarrFormat: reader.zarrFormat ?? null,
    nObs: await dataframeLength(reader, "obs"),
    nVars: await dataframeLength(reader, "var"),
    elements,
    singleCell: await singleCellSummary(reader),
  };
}
