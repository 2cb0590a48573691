// Opening an input by what it is: a TIFF, a Zarr store, several single-channel
// files stacked, or an ImageSource given directly.
import { existsSync, statSync } from "node:fs";
import { isZarrName } from "@cellfolio/format";
import { ExtractError } from "../errors.js";
import { type ImageSource, StackedSource } from "./source.js";
import { TiffSource } from "./tiff.js";
import { ZarrSource } from "./zarr.js";

export type ImageInput = string | string[] | ImageSource;

export async function openImageSource(input: ImageInput): Promise<ImageSource> {
  if (typeof input === "object" && !Array.isArray(input)) return input;
  if (Array.isArray(input)) {
    if (input.length === 0) throw new ExtractError("image", "an empty list of files; expected at least one");
    if (input.length === 1) return openImageSource(input[0]);
    const parts: ImageSource[] = [];
    try {
      for (const p of input) parts.push(await openImageSource(p));
      for (const p of parts.slice(1)) {
        if (p.height !== parts[0].height || p.width !== parts[0].width) {
          throw new ExtractError(p.name, `${p.height} x ${p.width} pixels but ${parts[0].name} is ${parts[0].height} x ${parts[0].width}; expected one size for all channels`);
        }
      }
    } catch (e) {
      await Promise.all(parts.map((p) => p.close()));
      throw e;
    }
    return new StackedSource(parts);
  }
  // undefined for a path that is not there, also one through a file (ENOTDIR: a zipped store's inner path)
  const stat = (() => {
    try {
      return statSync(input);
    } catch {
      return undefined;
    }
  })();
  const inStore = stat ? null : arrayInStore(input);
  if (inStore) return ZarrSource.open(inStore.store, inStore.inner);
  if (stat?.isDirectory() || isZarrName(input) || /^https?:\/\//.test(input)) return ZarrSource.open(input);
  return TiffSource.open(input);
}

/**
 * An array or image inside a Zarr store, for a path that does not exist
 * itself: the store's path and the path within it (`cells.zarr.zip/masks/0`:
 * 10x Xenium's nucleus mask), when the store part exists. A zipped store's
 * inner path is not a file; a directory store's arrays are directories already.
 */
function arrayInStore(input: string): { store: string; inner: string } | null {
  const m = /^(.*?\.(?:zarr\.zip|zip|zarr))\/+(.+?)\/*$/i.exec(input);
  return m && existsSync(m[1]) ? { store: m[1], inner: m[2] } : null;
}

export { type Labels, readLabels } from "./labels-csv.js";
export { holdsIntegers, type ImageSource, isIntegerType, type PixelArray, type PixelType, StackedSource } from "./source.js";
export { TiffSource } from "./tiff.js";
export { ZarrSource } from "./zarr.js";
