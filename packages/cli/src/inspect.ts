// What a store holds, walked once: the tree of groups and arrays with their
// encodings, shapes, dtypes, chunks and codecs; AnnData's n_obs / n_vars; and
// for single-cell image datasets the summary of uns/single_cell_images.
import type { ArrayInfo, Attrs, NodeInfo, StoreReader } from "@cellfolio/format";
import { elemShape } from "@cellfolio/format";
import { detectLayout } from "@cellfolio/lazy";

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
  /** Which scPortrait / SPARCSpy layout (see @cellfolio/lazy's detectLayout). */
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

function attrString(attrs: Attrs, key: string): string | undefined {
  const v = attrs[key];
  return typeof v === "string" ? v : undefined;
}

async function readScalarOrAttr(reader: StoreReader, group: string, arrayAttrs: Attrs, key: string): Promise<unknown> {
  const node = await reader.get(`${group}/${key}`);
  if (node?.kind === "array") {
    const a = await reader.readArray(`${group}/${key}`);
    if (a.shape.length === 0) {
      const v = (a.data as ArrayLike<unknown>)[0];
      return typeof v === "bigint" ? Number(v) : v;
    }
    return Array.from(a.data as ArrayLike<unknown>, (v) => (typeof v === "bigint" ? Number(v) : v));
  }
  return arrayAttrs[key];
}

function asStrings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (v && typeof v === "object" && "data" in (v as object)) return Array.from((v as { data: ArrayLike<unknown> }).data, String);
  return typeof v === "string" ? [v] : [];
}

export async function singleCellSummary(reader: StoreReader): Promise<SingleCellSummary | null> {
  const layout = await detectLayout(reader);
  if (!layout) return null;
  const images = await reader.get(layout.imagesPath);
  if (images?.kind !== "array") return null;
  const info = images as ArrayInfo;
  const group = "uns/single_cell_images";
  const num = async (key: string) => {
    const v = await readScalarOrAttr(reader, group, info.attrs, key);
    return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : null;
  };
  const names = asStrings(await readScalarOrAttr(reader, group, info.attrs, "channel_names"));
  const mapping = asStrings(await readScalarOrAttr(reader, group, info.attrs, "channel_mapping"));
  const preset = await readScalarOrAttr(reader, group, info.attrs, "extraction_preset");
  return {
    layout: layout.name,
    nCells: info.shape[0],
    nChannels: info.shape[1],
    nMasks: (await num("n_masks")) ?? (mapping.length ? mapping.filter((m) => m === "mask").length : null),
    imageSize: info.shape[2],
    channelNames: names,
    channelMapping: mapping,
    preset: typeof preset === "string" ? preset : null,
    dtype: info.dtype,
    chunks: info.chunks,
    compression: info.compression,
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
    nObs: (await elemShape(reader, "obs"))?.[0] ?? null,
    nVars: (await elemShape(reader, "var"))?.[0] ?? null,
    elements,
    singleCell: await singleCellSummary(reader),
  };
}
