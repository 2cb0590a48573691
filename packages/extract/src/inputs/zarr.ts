// Zarr / OME-Zarr input through @cellfolio/format's reader: an array of
// (Y, X), (C, Y, X) or an OME-Zarr image (axes named in `multiscales`; the
// first, full-resolution dataset; T and Z at index 0). Windows are read with
// readBlock, so only the chunks a window touches are read.
import { type ArrayInfo, type Attrs, float16ToFloat32, type NDArray, openStore, type StoreReader } from "@cellfolio/format";
import { ExtractError } from "../errors.js";
import type { ImageSource, PixelArray, PixelType } from "./source.js";

const PIXEL_TYPES: Record<string, PixelType> = {
  uint8: "uint8",
  int8: "int8",
  uint16: "uint16",
  int16: "int16",
  uint32: "uint32",
  int32: "int32",
  float32: "float32",
  float64: "float64",
  // Read as float32 (float16 values) or float64 (64-bit ids, exact below 2^53).
  float16: "float32",
  int64: "float64",
  uint64: "float64",
  bool: "uint8",
};

/** The multiscales entry of an OME-Zarr group (0.4: in attrs; 0.5: under attrs.ome). */
function multiscales(attrs: Attrs): { path: string; axes: string[] | null } | null {
  const ome = (attrs.ome as Attrs | undefined) ?? attrs;
  const ms = ome.multiscales as unknown as { datasets?: { path: string }[]; axes?: (string | { name: string })[] }[] | undefined;
  if (!Array.isArray(ms) || !ms[0]?.datasets?.[0]) return null;
  const axes = ms[0].axes?.map((a) => (typeof a === "string" ? a : a.name).toLowerCase()) ?? null;
  return { path: ms[0].datasets[0].path, axes };
}

/** OME-Zarr `omero.channels[].label` (0.4: in attrs; 0.5: under attrs.ome), when every channel has one. */
function omeroLabels(attrs: Attrs): string[] | undefined {
  const ome = (attrs.ome as Attrs | undefined) ?? attrs;
  const channels = (ome.omero as unknown as { channels?: { label?: unknown }[] } | undefined)?.channels;
  if (!Array.isArray(channels) || channels.length === 0) return undefined;
  const labels = channels.map((c) => (typeof c?.label === "string" ? c.label.trim() : ""));
  return labels.every((l) => l !== "") ? labels : undefined;
}

export class ZarrSource implements ImageSource {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly dtype: PixelType;
  readonly integer: boolean;
  readonly channelNames?: string[];
  /** Axis index of channels, rows, columns in the array; -1 where absent. */
  private readonly axis: { c: number; y: number; x: number };

  private constructor(
    readonly name: string,
    private readonly reader: StoreReader,
    private readonly arrayPath: string,
    private readonly info: ArrayInfo,
    axes: string[],
    channelNames?: string[],
  ) {
    this.axis = { c: axes.indexOf("c"), y: axes.indexOf("y"), x: axes.indexOf("x") };
    this.height = info.shape[this.axis.y];
    this.width = info.shape[this.axis.x];
    this.channels = this.axis.c >= 0 ? info.shape[this.axis.c] : 1;
    this.dtype = PIXEL_TYPES[info.dtype];
    this.integer = !info.dtype.startsWith("float");
    if (channelNames && channelNames.length === this.channels) this.channelNames = channelNames;
  }

  /** The store at `store`, its image or array at `inner` (default its root; errors name both). */
  static async open(store: string, inner = ""): Promise<ZarrSource> {
    const source = inner ? `${store}/${inner}` : store;
    let reader: StoreReader;
    try {
      reader = await openStore(store);
    } catch (e) {
      throw new ExtractError(store, `cannot open as Zarr (${(e as Error).message})`, { cause: e });
    }
    try {
      let path = inner;
      let node = await reader.get(path);
      if (!node && inner) throw new ExtractError(store, `no array or group at "/${inner}" in the store; expected the path of an image array inside it (e.g. masks/0)`);
      let axes: string[] | null = null;
      let names: string[] | undefined;
      if (node?.kind === "group") {
        names = omeroLabels(node.attrs);
        const ms = multiscales(node.attrs);
        if (!ms) throw new ExtractError(source, "a Zarr group without OME-Zarr multiscales; expected an array (C, Y, X) or an OME-Zarr image");
        path = inner ? `${inner}/${ms.path}` : ms.path;
        axes = ms.axes;
        node = await reader.get(path);
      }
      if (node?.kind !== "array") throw new ExtractError(source, `no array at "/${path}"; expected an image array`);
      if (!(node.dtype in PIXEL_TYPES)) throw new ExtractError(source, `/${path}: ${node.dtype} pixels; expected integers or floats`);
      const rank = node.shape.length;
      if (!axes) {
        if (rank === 2) axes = ["y", "x"];
        else if (rank === 3) axes = ["c", "y", "x"];
        else if (rank === 5) axes = ["t", "c", "z", "y", "x"];
        else throw new ExtractError(source, `/${path}: ${rank}-d array of shape (${node.shape}); expected (Y, X), (C, Y, X) or (T, C, Z, Y, X)`);
      }
      if (axes.length !== rank || !axes.includes("y") || !axes.includes("x")) {
        throw new ExtractError(source, `/${path}: axes [${axes}] do not fit shape (${node.shape}); expected y and x axes`);
      }
      if (axes.includes("c") && axes.indexOf("c") > axes.indexOf("y")) {
        throw new ExtractError(source, `/${path}: axes [${axes}]: channel axis after y; expected channels before rows and columns`);
      }
      // A z-stack or a time series: which plane is meant is the user's call, not a silent first one.
      const shape = node.shape;
      const more = (axes as string[]).flatMap((a, i) => (a !== "c" && a !== "y" && a !== "x" && shape[i] > 1 ? [`${shape[i]} along ${a}`] : []));
      if (more.length > 0) {
        throw new ExtractError(
          source,
          `/${path}: axes [${axes}] of shape (${shape}), ${more.join(", ")}; expected one 2-D plane per channel (every axis but c, y and x of size 1): write the plane to extract (one z or t, or a maximum projection) to its own image`,
        );
      }
      return new ZarrSource(source, reader, path, node, axes, names);
    } catch (e) {
      await reader.close();
      throw e;
    }
  }

  async readWindow(y0: number, x0: number, h: number, w: number): Promise<PixelArray[]> {
    const start = this.info.shape.map(() => 0);
    const shape = this.info.shape.map(() => 1);
    start[this.axis.y] = y0;
    start[this.axis.x] = x0;
    shape[this.axis.y] = h;
    shape[this.axis.x] = w;
    if (this.axis.c >= 0) shape[this.axis.c] = this.channels;
    let block: NDArray;
    try {
      block = await this.reader.readBlock(this.arrayPath, start, shape);
    } catch (e) {
      throw new ExtractError(this.name, `cannot read rows ${y0}..${y0 + h}: ${(e as Error).message}`, { cause: e });
    }
    let data = block.data as PixelArray | BigInt64Array | BigUint64Array;
    if (this.info.dtype === "float16") data = float16ToFloat32(data as Uint16Array);
    else if (data instanceof BigInt64Array || data instanceof BigUint64Array) data = Float64Array.from(data, Number);
    const plane = h * w;
    // Channel planes are contiguous when C precedes Y and X (C order).
    const planes: PixelArray[] = [];
    if (this.axis.c < 0) return [data as PixelArray];
    for (let c = 0; c < this.channels; c++) planes.push((data as PixelArray).subarray(c * plane, (c + 1) * plane));
    return planes;
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}
