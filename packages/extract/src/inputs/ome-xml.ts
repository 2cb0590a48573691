// OME-XML, as an OME-TIFF carries it in its first page's ImageDescription (or
// a companion .ome file does for a set of TIFFs): which TIFF directory (IFD)
// of which file holds each channel's plane, and the channels' names. Only the
// first <Image> is read (further ones are other series: a label, a macro
// image, another well). The plane map follows the OME schema's TiffData rules:
// planes are numbered in the Pixels' DimensionOrder; a TiffData maps
// PlaneCount planes from (FirstC, FirstZ, FirstT) onto consecutive IFDs from
// IFD, in the file its UUID's FileName names (this file without a UUID).
// Platform-neutral: text in, plane list out.
import { ExtractError } from "../errors.js";

/** Where one channel's plane is: a file (relative to the XML's file; null: the file the XML came from) and a directory of it. */
export interface OmePlane {
  file: string | null;
  ifd: number;
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return XML_ENTITIES[e] ?? m;
  });
}

/** The attributes of an element's start tag (the text after its name). */
function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out.set(m[1].replace(/^\w+:/, ""), unescapeXml(m[2] ?? m[3]));
  return out;
}

/** Whether `text` is OME-XML. */
export function isOmeXml(text: string): boolean {
  return /<(?:\w+:)?OME[\s>]/.test(text);
}

/** The first <Image> element's text (or all of it, when there is none). */
function firstImage(xml: string): string {
  return /<(?:\w+:)?Image[\s>][\s\S]*?<\/(?:\w+:)?Image>/.exec(xml)?.[0] ?? xml;
}

/**
 * The channel names of the first OME-XML Image (`<Channel ... Name="DNA">` in
 * order), when it names exactly `channels` channels, each with a name; else undefined.
 */
export function omeChannelNames(description: string, channels: number): string[] | undefined {
  if (!isOmeXml(description)) return undefined;
  const names: string[] = [];
  for (const m of firstImage(description).matchAll(/<(?:\w+:)?Channel\b([^>]*)>/g)) {
    const name = attributes(m[1]).get("Name");
    if (name === undefined) return undefined;
    names.push(name.trim());
  }
  return names.length === channels && names.every((n) => n !== "") ? names : undefined;
}

/** A file whose OME-XML is only a pointer to a companion metadata file (BinaryOnly): that file's name; else null. */
export function omeMetadataFile(xml: string): string | null {
  const m = /<(?:\w+:)?BinaryOnly\b([^>]*)>/.exec(xml);
  return m ? (attributes(m[1]).get("MetadataFile") ?? null) : null;
}

/**
 * Each channel's plane at the first z and time point, in channel order, from
 * the first Image of `xml` (OME-XML read from `where`, named in errors).
 * Refused: a z-stack or a time series (an extraction takes one 2-D plane per
 * channel), a channel whose plane no TiffData maps, a plane in a file named by
 * UUID alone.
 */
export function omeChannelPlanes(xml: string, where: string): OmePlane[] {
  const image = firstImage(xml);
  const pixelsTag = /<(?:\w+:)?Pixels\b([^>]*)>/.exec(image);
  if (!pixelsTag) throw new ExtractError(where, "its OME-XML has no <Pixels> element; expected the image's size and plane layout there");
  const pixels = attributes(pixelsTag[1]);
  const size = (axis: string) => {
    const v = Number(pixels.get(`Size${axis}`) ?? "1");
    if (!Number.isInteger(v) || v < 1) throw new ExtractError(where, `OME-XML Size${axis}="${pixels.get(`Size${axis}`)}"; expected a positive integer`);
    return v;
  };
  const Z = size("Z");
  const T = size("T");
  if (Z > 1 || T > 1) {
    throw new ExtractError(
      where,
      `an OME-TIFF of ${Z} z-plane(s) and ${T} time point(s); expected one 2-D plane per channel (SizeZ = SizeT = 1): write the plane to extract (a single z, or a maximum projection) to its own file`,
    );
  }
  // One plane per <Channel> (a channel of several samples, RGB, is one plane); SizeC without them.
  const channelTags = [...image.matchAll(/<(?:\w+:)?Channel\b/g)].length;
  const C = channelTags > 0 ? channelTags : size("C");
  const order = (pixels.get("DimensionOrder") ?? "XYCZT").toUpperCase();
  if (!/^XY(CZT|CTZ|ZCT|ZTC|TCZ|TZC)$/.test(order)) throw new ExtractError(where, `OME-XML DimensionOrder="${order}"; expected XY followed by C, Z and T in some order`);
  const extent: Record<string, number> = { C, Z, T };
  // Plane number of (c, z, t): the first axis after XY varies fastest.
  const planeOf = (at: Record<string, number>) => {
    let p = 0;
    for (const axis of [...order.slice(2)].reverse()) p = p * extent[axis] + at[axis];
    return p;
  };
  const planes = C * Z * T;
  const map = new Map<number, OmePlane>();
  const ownUuid = attributes(/<(?:\w+:)?OME\b([^>]*)>/.exec(xml)?.[1] ?? "").get("UUID");
  const tiffData = [...image.matchAll(/<(?:\w+:)?TiffData\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?TiffData>)/g)];
  if (tiffData.length === 0) for (let p = 0; p < planes; p++) map.set(p, { file: null, ifd: p });
  for (const [, tag, body] of tiffData) {
    const a = attributes(tag);
    const int = (name: string, fallback: number) => {
      const v = Number(a.get(name) ?? fallback);
      if (!Number.isInteger(v) || v < 0) throw new ExtractError(where, `OME-XML TiffData ${name}="${a.get(name)}"; expected an integer >= 0`);
      return v;
    };
    const first = planeOf({ C: int("FirstC", 0), Z: int("FirstZ", 0), T: int("FirstT", 0) });
    const ifd = int("IFD", 0);
    // The schema's default: one plane when an IFD is given, else every plane from there on.
    const count = int("PlaneCount", a.has("IFD") ? 1 : planes - first);
    let file: string | null = null;
    const uuid = body ? /<(?:\w+:)?UUID\b([^>]*)>([^<]*)</.exec(body) : null;
    if (uuid) {
      const name = attributes(uuid[1]).get("FileName");
      if (name !== undefined && name !== "") file = name;
      else if (uuid[2].trim() !== ownUuid) {
        throw new ExtractError(where, `OME-XML TiffData points at the file ${uuid[2].trim()} by UUID only; expected a FileName="..." beside it (as Bio-Formats writes)`);
      }
    }
    for (let k = 0; k < count; k++) map.set(first + k, { file, ifd: ifd + k });
  }
  const out: OmePlane[] = [];
  for (let c = 0; c < C; c++) {
    const plane = map.get(planeOf({ C: c, Z: 0, T: 0 }));
    if (!plane) throw new ExtractError(where, `OME-XML maps no TIFF directory to channel ${c}'s plane; expected a TiffData covering every channel`);
    out.push(plane);
  }
  return out;
}
