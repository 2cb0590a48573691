// Shared by the pipeline tests: synthetic slides made by make_slide.py
// (tifffile) and the NumPy/SciPy reference's output for them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PYTHON12 } from "../../../../test-utils/oracle.js";

const HERE = import.meta.dirname;
export const REFERENCE = path.resolve(HERE, "../../reference/extract_reference.py");

export interface Slide {
  dir: string;
  height: number;
  width: number;
  channels: number;
  dtype: string;
  ids: number[];
  missing: number;
  image: string;
  nucleus: string;
  cytosol: string;
}

export function tempDir(tag: string): string {
  return mkdtempSync(path.join(tmpdir(), `cellfolio-g-${tag}-`));
}

export function makeSlide(cfg: { height: number; width: number; channels: number; seed?: number; dtype?: string; spacing?: number; shuffle_ids?: boolean }): Slide {
  const dir = tempDir("slide");
  const res = spawnSync(PYTHON12, [path.join(HERE, "make_slide.py"), dir, JSON.stringify(cfg)], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`make_slide.py failed: ${res.stderr}`);
  const info = JSON.parse(res.stdout.trim().split("\n").pop() as string);
  return { dir, dtype: cfg.dtype ?? "uint16", height: cfg.height, width: cfg.width, channels: cfg.channels, ...info };
}

export interface ReferenceResult {
  ids: number[];
  centroids: [number, number][];
  cytosol_missing: number[];
  dropped: number[];
  /** float16 bits, (N, C', S, S). */
  stacks: Uint16Array;
}

/** extract_reference.py on the slide's raw planes with the given parameters. */
export function reference(
  slide: Slide,
  params: Record<string, unknown>,
  opts: {
    ids?: number[];
    cytosol?: boolean;
    /** Other raw masks of the slide's H x W (file in slide.dir, numpy dtype), e.g. masks matched by make_inputs.py. */
    nucleusRaw?: [string, string];
    cytosolRaw?: [string, string];
  } = {},
): ReferenceResult {
  const out = path.join(slide.dir, `ref-${Math.random().toString(36).slice(2)}.f16`);
  const manifest = {
    image: path.join(slide.dir, "image.raw"),
    dtype: slide.dtype,
    channels: slide.channels,
    height: slide.height,
    width: slide.width,
    nucleus: path.join(slide.dir, opts.nucleusRaw?.[0] ?? "nucleus.raw"),
    nucleus_dtype: opts.nucleusRaw?.[1] ?? "int32",
    cytosol: opts.cytosol === false ? null : path.join(slide.dir, opts.cytosolRaw?.[0] ?? "cytosol.raw"),
    cytosol_dtype: opts.cytosolRaw?.[1] ?? "uint16",
    params,
    ids: opts.ids ?? null,
    out,
  };
  const mpath = `${out}.json`;
  writeFileSync(mpath, JSON.stringify(manifest));
  const res = spawnSync(PYTHON12, [REFERENCE, "run", mpath], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (res.status !== 0) throw new Error(`extract_reference.py failed: ${res.stderr}`);
  const r = JSON.parse(res.stdout.trim().split("\n").pop() as string);
  const bytes = readFileSync(out);
  return { ...r, stacks: new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2) };
}

function halfToFloat(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const v = e === 0 ? m * 2 ** -24 : e === 31 ? (m ? Number.NaN : Number.POSITIVE_INFINITY) : (1024 + m) * 2 ** (e - 25);
  return h & 0x8000 ? -v : v;
}

/** Largest |a - b| over two float16 arrays (as bits), and where. */
export function maxAbsDiff(a: Uint16Array, b: Uint16Array): { max: number; at: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const d = Math.abs(halfToFloat(a[i]) - halfToFloat(b[i]));
    if (!(d <= max)) {
      max = d;
      at = i;
    }
  }
  return { max, at };
}
