// Masks as people have them, made into what the extraction needs (one id per
// cell, the same id in the nucleus and the cytosol mask), before the plan:
//
// Labels are positive integers, 0 the background: a mask holding a negative
// label is refused after the first scan (plan.ts refuseNegativeLabels, once a
// label, not per run), before anything is written.
//
// Binary masks. A mask holding exactly one non-zero value whose pixels form
// more than one connected component (a 0/255 or 0/1 thresholded mask) is
// labelled into its connected components, as skimage.measure.label labels a
// 2-D image by default: 8-connectivity, ids 1, 2, ... in raster order of each
// component's first pixel (kernels/components.ts). `binaryMasks: "refuse"`
// stops instead. A mask of one label and one component is one cell.
//
// Matching nucleus and cytosol. Two independent segmentations (Cellpose
// nuclei + Cellpose cyto) give unrelated ids. With match "overlap" the pairs
// are found as scPortrait's mask-matching filter (MatchNucleusCytosolIds,
// scportrait/processing/masks/mask_filtering.py) finds them:
//   1. a nucleus with any pixel on cytosol background is not matched;
//   2. otherwise it is matched to the cytosol label covering the largest share
//      of its pixels, if that share is >= matchThreshold (scPortrait's
//      filtering_threshold; default 0.95, its segmentation workflows'
//      default) - so a nucleus covered by several cytosols none of which
//      holds that share is not matched; at a tie of 0.5 the smaller label wins;
//   3. a cytosol chosen by several nuclei (a cytosol over several nuclei) is
//      dropped with all of those nuclei;
//   4. a cytosol chosen by no nucleus is dropped.
// Unmatched nuclei are not written (scPortrait removes them from the nucleus
// mask); each matched cytosol is stored relabelled to its nucleus's id. With
// thresholds >= 0.5 (the range allowed) "the largest share, if >= threshold"
// is exactly scPortrait's "the first label whose share is >= threshold".
//
// match "ids" takes the labels as they are (today's behaviour). "auto" (the
// default) uses ids when they already agree - at least 90% of the nuclei lie
// mostly (>= half their pixels) on the cytosol label of their own id, i.e. the
// masks come from one segmentation - and overlap otherwise. Where ids agree,
// overlap matching pairs the same ids; it would only drop the few cells
// scPortrait's filter rejects (a nucleus poking out of its cytosol), which
// "ids" keeps, as it always has.
//
// Either way, when more than half of the selected cells would have no cytosol
// the run stops before writing anything and says which option helps.
//
// Memory: one band of each mask at a time (bandBytes), the cells, and one
// counter per (nucleus, cytosol) label pair that touch; a binary mask is held
// as labelled runs (12 bytes per run of foreground pixels), never as a plane.
// The scan keeps both masks' runs (inputs/run-mask.ts, up to MAX_KEPT_RUNS)
// and the extraction reads its windows from them, not from the files again.
import { MASK_CHANNEL_NAMES } from "@cellfolio/format";
import { ExtractError } from "./errors.js";
import { LabelledSource, RelabelledSource } from "./inputs/derived.js";
import { MAX_KEPT_RUNS, type RunMaskSource, RunRecorder } from "./inputs/run-mask.js";
import { type ImageSource, PIXEL_ARRAYS } from "./inputs/source.js";
import { CellAccumulator, type CellTable } from "./kernels/cells.js";
import { RunLabeller, type RunLabels } from "./kernels/components.js";
import { LabelTable } from "./kernels/label-table.js";
import { type MaskArray, MaskRunScanner, RUN_STARTS, runStarts } from "./kernels/mask-runs.js";
import type { Rect } from "./kernels/rect.js";
import { type ExtractionPlan, planCells, refuseNegativeLabels, SCAN_BAND_BYTES } from "./plan.js";
import { kernelsFromEnv } from "./worker-pool.js";

export type BinaryMasks = "label" | "refuse";
export type MatchMode = "auto" | "overlap" | "ids";

export interface MaskOptions {
  size: number;
  border: "drop" | "pad";
  cellIds?: Iterable<number>;
  /** A binary mask: "label" (default) its connected components, or "refuse" it. */
  binaryMasks?: BinaryMasks;
  /** How cytosol labels are paired with nuclei (default "auto"). */
  match?: MatchMode;
  /** overlap: the share of a nucleus's pixels its cytosol must cover, 0.5 to 1 (default 0.95). */
  matchThreshold?: number;
  /** Bytes of each mask held at once while scanning (default SCAN_BAND_BYTES, plan.ts). */
  bandBytes?: number;
  /** Runs of both masks kept for the extraction, at most (default MAX_KEPT_RUNS; 0: the extraction reads the files again). */
  keptRuns?: number;
  /** Called before and after each band of the first scan: (mask rows read, rows). */
  onRows?: (done: number, total: number) => void;
}

/** What was done to the masks, for the summary. */
export interface MaskSummary {
  /** Connected components the nucleus mask was labelled into, when it was binary; null for a label mask. */
  nucleusBinary: number | null;
  /** The same for the cytosol mask; null for a label mask or without one. */
  cytosolBinary: number | null;
  /** How cytosols were paired with nuclei; null without a cytosol mask. */
  match: "ids" | "overlap" | null;
  /** Share of nuclei lying mostly on the cytosol label of their own id ("auto" uses ids from 0.9). */
  idsAgree: number;
  /** overlap: selected nuclei not written because no cytosol matched them, by reason (ids sorted). */
  unmatchedNuclei: {
    /** Some of its pixels lie on cytosol background. */
    outsideCytosol: number[];
    /** No cytosol label covers matchThreshold of it. */
    noMajorityCytosol: number[];
    /** Its cytosol also holds another nucleus. */
    sharedCytosol: number[];
  };
  /** overlap: cytosol labels no nucleus matched (left out of the stored cytosol mask), sorted. */
  unmatchedCytosols: number[];
  /** ids: selected cells whose id the cytosol mask does not hold at all, sorted. */
  idsMissingFromCytosol: number[];
}

export interface PreparedMasks {
  nucleus: ImageSource;
  cytosol: ImageSource | null;
  plan: ExtractionPlan;
  summary: MaskSummary;
  /** The mask sources given are not read again (the scan kept their runs): the caller may close them now. */
  inputsDone: boolean;
}

/** Pair keys: nucleus slot * 2^26 + cytosol index (0 = background); exact below 2^52. */
const PAIR = 2 ** 26;

/** One pass over the nucleus and (if given) the cytosol mask, band by band. */
interface Scan {
  cells: CellTable;
  /** Nucleus labels by slot (order of first sight) and their pixels. */
  nucleusIds: Float64Array;
  nucleusArea: Float64Array;
  /** Cytosol labels -> index (index 0: background, 0), their pixels and tight boxes (y0, x0, y1, x1 by index; slide coordinates). */
  cytosolIndex: LabelTable;
  cytosolPixels: Float64Array;
  cytosolBoxes: Int32Array;
  /** Pair keys (nucleus slot * PAIR + cytosol index) -> index, and pixels by index. */
  pairs: LabelTable;
  pairCounts: Float64Array;
  /** The masks as the runs the scan found (inputs/run-mask.ts), when they fit; the extraction reads them instead of the files. */
  nucleusRuns: RunMaskSource | null;
  cytosolRuns: RunMaskSource | null;
}

/** `a` with room for index k (doubled when full). */
function room<T extends Float64Array | Int32Array>(a: T, k: number): T {
  if (k < a.length) return a;
  const grown = new (a.constructor as new (n: number) => T)(2 * a.length);
  grown.set(a);
  return grown;
}

async function scanMasks(
  nucleus: ImageSource,
  cytosol: ImageSource | null,
  bandBytes: number,
  keptRuns: number,
  onRows?: (done: number, total: number) => void,
): Promise<Scan> {
  const { height, width } = nucleus;
  const bandRows = Math.max(1, Math.min(height, Math.floor(bandBytes / (width * 8))));
  // Labels are counted in typed tables (kernels/label-table.ts), looked up once a run.
  const acc = new CellAccumulator();
  const cytosolIndex = new LabelTable();
  cytosolIndex.add(0);
  let cytosolPixels = new Float64Array(1024);
  let boxes = new Int32Array(4 * 1024); // by cytosol index: y0, x0, y1, x1
  const pairs = new LabelTable();
  let pairCounts = new Float64Array(1024);
  // Runs of one cytosol label follow each other along a row: the last lookup is kept.
  let lastC = 0;
  let lastIndex = 0;
  const cIndex = (id: number) => {
    if (id === lastC) return lastIndex;
    const known = cytosolIndex.size;
    const k = cytosolIndex.add(id);
    if (k === known) {
      if (k >= PAIR) throw new ExtractError(cytosol?.name ?? "cytosol", `more than ${PAIR} cytosol labels; expected fewer`);
      cytosolPixels = room(cytosolPixels, k);
      boxes = room(boxes, 4 * k + 3);
      boxes.set([0x7fffffff, 0x7fffffff, -0x80000000, -0x80000000], 4 * k);
    }
    lastC = id;
    lastIndex = k;
    return k;
  };
  let nucleusRuns = keptRuns > 0 ? RunRecorder.for(nucleus) : null;
  let cytosolRuns = cytosol ? RunRecorder.for(cytosol) : null;
  if (cytosol && !cytosolRuns) nucleusRuns = null; // both or neither: one would save little
  // A run of `len` pixels of labels (n, c), not both 0, on slide row y from column x.
  const visit = (n: number, c: number, y: number, x: number, len: number) => {
    if (nucleusRuns) {
      if (n !== 0) nucleusRuns.add(n, y, x, len);
      if (c !== 0) cytosolRuns?.add(c, y, x, len);
    }
    let ci = 0;
    if (c !== 0) {
      ci = cIndex(c);
      cytosolPixels[ci] += len;
      // the cytosol's box, for the extraction's crop of it
      const b = 4 * ci;
      if (y < boxes[b]) boxes[b] = y;
      if (x < boxes[b + 1]) boxes[b + 1] = x;
      if (y + 1 > boxes[b + 2]) boxes[b + 2] = y + 1;
      if (x + len > boxes[b + 3]) boxes[b + 3] = x + len;
    }
    if (n !== 0) {
      const k = acc.addRun(n, y, x, len);
      if (cytosol) {
        if (k >= PAIR) throw new ExtractError(nucleus.name, `more than ${PAIR} nucleus labels; expected fewer to match against a cytosol mask`);
        const p = pairs.add(k * PAIR + ci);
        pairCounts = room(pairCounts, p);
        pairCounts[p] += len;
      }
    }
  };
  // Both masks of a band are read at once, and the next band is read while
  // this one is scanned, into two sets of planes used in turn: a tall slide
  // leaves no trail of band-sized garbage behind. The planes lie in the
  // WebAssembly kernel's memory where it takes the masks' pixel types
  // (kernels/mask-runs.ts): it finds where the labels change, and the scan
  // visits runs of equal labels, not pixels.
  const N = PIXEL_ARRAYS[nucleus.dtype] as MaskArray;
  const C = cytosol ? (PIXEL_ARRAYS[cytosol.dtype] as MaskArray) : null;
  const scanner = kernelsFromEnv() === "js" ? null : MaskRunScanner.create(N, C, bandRows * width);
  const sets = scanner ? scanner.sets : [0, 1].map(() => ({ n: new N(bandRows * width), c: C ? new C(bandRows * width) : null }));
  const starts = scanner ? scanner.starts : new Int32Array(RUN_STARTS);
  let turn = 0;
  const read = (y0: number) => {
    const h = Math.min(bandRows, height - y0);
    const set = turn++ % 2;
    const { n, c } = sets[set];
    const p = Promise.all([nucleus.readWindow(y0, 0, h, width, [n.subarray(0, h * width)]), cytosol?.readWindow(y0, 0, h, width, c ? [c.subarray(0, h * width)] : undefined)]).then(
      ([[nGot], cGot]) => {
        // a source that did not fill the planes gave its own: copied in, for the kernel
        if (nGot.buffer !== n.buffer) n.set(nGot);
        if (c && cGot && cGot[0].buffer !== c.buffer) c.set(cGot[0]);
        return set;
      },
    );
    p.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    return p;
  };
  let next = read(0);
  for (let y0 = 0; y0 < height; y0 += bandRows) {
    onRows?.(y0, height);
    const h = Math.min(bandRows, height - y0);
    const set = await next;
    if (y0 + bandRows < height) next = read(y0 + bandRows);
    const { n, c } = sets[set];
    const len = h * width;
    for (let from = 0; from < len; ) {
      const { count, resume } = scanner ? scanner.find(set, len, width, from) : runStarts(n, c, len, width, from, starts);
      for (let j = 0; j < count; j++) {
        const at = starts[j];
        const nv = n[at];
        const cv = c ? c[at] : 0;
        if (nv === 0 && cv === 0) continue;
        const row = Math.floor(at / width);
        visit(nv, cv, y0 + row, at - row * width, (j + 1 < count ? starts[j + 1] : resume) - at);
      }
      from = resume;
    }
    if (nucleusRuns && nucleusRuns.runs + (cytosolRuns?.runs ?? 0) > keptRuns) nucleusRuns = cytosolRuns = null;
  }
  onRows?.(height, height);
  const kept = nucleusRuns ? { nucleusRuns: nucleusRuns.finish(), cytosolRuns: cytosolRuns?.finish() ?? null } : { nucleusRuns: null, cytosolRuns: null };
  const nucleusIds = Float64Array.from({ length: acc.labels }, (_, k) => acc.label(k));
  const nucleusArea = Float64Array.from({ length: acc.labels }, (_, k) => acc.area(k));
  return { cells: acc.finish(), nucleusIds, nucleusArea, cytosolIndex, cytosolPixels, cytosolBoxes: boxes, pairs, pairCounts, ...kept };
}

/** The box of cytosol label `label` (empty when the mask lacks it). */
function cytosolBox(scan: Scan, label: number): Rect {
  const k = scan.cytosolIndex.get(label);
  if (k <= 0) return { y0: 0, x0: 0, y1: 0, x1: 0 };
  const b = scan.cytosolBoxes;
  return { y0: b[4 * k], x0: b[4 * k + 1], y1: b[4 * k + 2], x1: b[4 * k + 3] };
}

/** A binary mask's connected components as runs (one more pass over the mask). */
async function labelComponents(mask: ImageSource, bandBytes: number): Promise<RunLabels> {
  const { height, width } = mask;
  const bandRows = Math.max(1, Math.min(height, Math.floor(bandBytes / (width * 8))));
  const labeller = new RunLabeller(height, width);
  for (let y0 = 0; y0 < height; y0 += bandRows) {
    const h = Math.min(bandRows, height - y0);
    const [plane] = await mask.readWindow(y0, 0, h, width);
    labeller.addRows(plane, h);
  }
  return labeller.finish();
}

/**
 * Whether a mask of a single non-zero label `value` is binary (several
 * components): its labelled form then, or a refusal; null when it is one cell.
 */
async function binaryForm(mask: ImageSource, what: string, value: number, o: MaskOptions, bandBytes: number): Promise<LabelledSource | null> {
  const runs = await labelComponents(mask, bandBytes);
  if (runs.count <= 1) return null;
  if ((o.binaryMasks ?? "label") === "refuse") {
    throw new ExtractError(
      mask.name,
      `${what} is binary (one label, ${value}, over ${runs.count} separate regions); expected a label mask with one id per cell, or --binary-masks label (binaryMasks: "label") to label its connected components`,
    );
  }
  return new LabelledSource(mask.name, runs);
}

function sortedIds(ids: Iterable<number>): number[] {
  return [...ids].sort((a, b) => a - b);
}

function preview(ids: number[]): string {
  return ids.length <= 10 ? ids.join(", ") : `${ids.slice(0, 10).join(", ")}, ...`;
}

export async function prepareMasks(nucleusIn: ImageSource, cytosolIn: ImageSource | null, o: MaskOptions): Promise<PreparedMasks> {
  const bandBytes = o.bandBytes ?? SCAN_BAND_BYTES;
  const mode = o.match ?? "auto";
  if (mode !== "auto" && mode !== "overlap" && mode !== "ids") throw new ExtractError("match", `"${mode}"; expected auto, overlap or ids (--match)`);
  if (o.binaryMasks !== undefined && o.binaryMasks !== "label" && o.binaryMasks !== "refuse") {
    throw new ExtractError("binaryMasks", `"${o.binaryMasks}"; expected label or refuse (--binary-masks)`);
  }
  const threshold = o.matchThreshold ?? 0.95;
  if (!(threshold >= 0.5 && threshold <= 1)) {
    throw new ExtractError("matchThreshold", `${threshold}; expected a share of the nucleus between 0.5 and 1 (--match-threshold)`);
  }
  let nucleus = nucleusIn;
  let cytosol = cytosolIn;
  const keptRuns = o.keptRuns ?? MAX_KEPT_RUNS;
  let scan = await scanMasks(nucleus, cytosol, bandBytes, keptRuns, o.onRows);
  refuseNegativeLabels(nucleus.name, "the nucleus mask", scan.nucleusIds);
  if (cytosol) refuseNegativeLabels(cytosol.name, "the cytosol mask", scan.cytosolIndex.keys());
  if (scan.cells.length === 0) throw new ExtractError(nucleus.name, "the nucleus mask holds no cells (only 0); expected labelled nuclei");
  let nucleusBinary: number | null = null;
  let cytosolBinary: number | null = null;
  if (scan.cells.length === 1) {
    const labelled = await binaryForm(nucleus, "the nucleus mask", scan.cells.id(0), o, bandBytes);
    if (labelled) {
      nucleus = labelled;
      nucleusBinary = labelled.labels.count;
    }
  }
  if (cytosol && scan.cytosolIndex.size === 2) {
    const labelled = await binaryForm(cytosol, "the cytosol mask", scan.cytosolIndex.key(1), o, bandBytes);
    if (labelled) {
      cytosol = labelled;
      cytosolBinary = labelled.labels.count;
    }
  }
  if (nucleus !== nucleusIn || cytosol !== cytosolIn) scan = await scanMasks(nucleus, cytosol, bandBytes, keptRuns);
  // From here on the masks are read from the scan's runs where it kept them.
  const inputsDone = scan.nucleusRuns !== null;
  if (scan.nucleusRuns) {
    nucleus = scan.nucleusRuns;
    cytosol = scan.cytosolRuns;
  }

  const summary: MaskSummary = {
    nucleusBinary,
    cytosolBinary,
    match: null,
    idsAgree: 1,
    unmatchedNuclei: { outsideCytosol: [], noMajorityCytosol: [], sharedCytosol: [] },
    unmatchedCytosols: [],
    idsMissingFromCytosol: [],
  };
  const planOptions = { size: o.size, border: o.border, cellIds: o.cellIds, cells: scan.cells };
  if (!cytosol) {
    return { nucleus, cytosol, plan: await planCells(nucleus, planOptions), summary, inputsDone };
  }

  // Per nucleus: pixels on background, and the cytosol label covering most of it.
  const { nucleusIds: ids, nucleusArea: area, cytosolIndex } = scan;
  const nN = ids.length;
  const background = new Float64Array(nN);
  const own = new Float64Array(nN);
  const best = new Float64Array(nN);
  const bestLabel = new Float64Array(nN);
  const pairKeys = scan.pairs.keys();
  for (let p = 0; p < pairKeys.length; p++) {
    const key = pairKeys[p];
    const count = scan.pairCounts[p];
    const k = Math.floor(key / PAIR);
    const ci = key - k * PAIR;
    if (ci === 0) {
      background[k] += count;
      continue;
    }
    const label = cytosolIndex.key(ci);
    if (label === ids[k]) own[k] += count;
    if (count > best[k] || (count === best[k] && label < bestLabel[k])) {
      best[k] = count;
      bestLabel[k] = label;
    }
  }
  let agree = 0;
  for (let k = 0; k < nN; k++) if (own[k] * 2 >= area[k]) agree++;
  summary.idsAgree = nN > 0 ? agree / nN : 1;
  const match = mode === "auto" ? (summary.idsAgree >= 0.9 ? "ids" : "overlap") : mode;
  summary.match = match;

  if (match === "ids") {
    for (let r = 0; r < scan.cells.length; r++) scan.cells.setCytosolBox(r, cytosolBox(scan, scan.cells.id(r)));
    const plan = await planCells(nucleus, planOptions);
    const selected = [...plan.cells.column("id"), ...plan.droppedAtBorder];
    summary.idsMissingFromCytosol = sortedIds(selected.filter((id) => cytosolIndex.get(id) <= 0));
    const missing = summary.idsMissingFromCytosol.length;
    if (missing * 2 > selected.length) {
      throw new ExtractError(
        cytosol.name,
        `${missing} of ${selected.length} cells have no pixel of their id in the cytosol mask (ids ${preview(summary.idsMissingFromCytosol)}), so their cytosol would be empty: its labels are not the nucleus mask's ids (two independent segmentations?); expected the same id for a cell in both masks, or --match overlap (match: "overlap") to pair each nucleus with the cytosol it lies in`,
      );
    }
    return { nucleus, cytosol, plan, summary, inputsDone };
  }

  // overlap: scPortrait's rules, in order (see the top of this file).
  const reason = new Map<number, "outside" | "split" | "shared">();
  const chosen = new Map<number, number[]>(); // cytosol label -> nuclei choosing it
  for (let k = 0; k < nN; k++) {
    const id = ids[k];
    const a = area[k];
    if (background[k] > 0) reason.set(id, "outside");
    // The share as scPortrait computes it (count / pixels >= threshold), so boundary cases agree exactly.
    else if (!(best[k] / a >= threshold)) reason.set(id, "split");
    else {
      const list = chosen.get(bestLabel[k]);
      if (list) list.push(id);
      else chosen.set(bestLabel[k], [id]);
    }
  }
  const map = new Map<number, number>();
  for (const [label, nuclei] of chosen) {
    if (nuclei.length === 1) map.set(label, nuclei[0]);
    else for (const id of nuclei) reason.set(id, "shared");
  }
  summary.unmatchedCytosols = sortedIds([...cytosolIndex.keys().subarray(1)].filter((label) => !chosen.has(label)));
  const cytosolOf = new Map<number, number>();
  for (const [label, id] of map) cytosolOf.set(id, label);
  for (let r = 0; r < scan.cells.length; r++) {
    const label = cytosolOf.get(scan.cells.id(r));
    if (label !== undefined) scan.cells.setCytosolBox(r, cytosolBox(scan, label));
  }
  const plan = await planCells(nucleus, { ...planOptions, exclude: reason });
  const u = summary.unmatchedNuclei;
  for (const id of plan.excluded) {
    const r = reason.get(id);
    (r === "outside" ? u.outsideCytosol : r === "split" ? u.noMajorityCytosol : u.sharedCytosol).push(id);
  }
  const unmatched = plan.excluded.length;
  const selected = plan.cells.length + plan.droppedAtBorder.length + unmatched;
  if (unmatched * 2 > selected) {
    throw new ExtractError(
      cytosol.name,
      `only ${selected - unmatched} of ${selected} nuclei lie in a cytosol of their own (${u.outsideCytosol.length} reach outside every cytosol, ${u.noMajorityCytosol.length} have no cytosol covering ${threshold} of them, ${u.sharedCytosol.length} share a cytosol with another nucleus); expected most nuclei matched: check that the two masks belong to one image, or lower --match-threshold (matchThreshold), or --match ids if the masks already share ids`,
    );
  }
  return { nucleus, cytosol: new RelabelledSource(cytosol, map, nucleus.dtype), plan, summary, inputsDone };
}

/**
 * The image channel names: `given` (--channel-names), else the names the
 * image file gives (OME-XML / omero), else channel_0, channel_1, ...; refused
 * when two are equal, one is empty, or one is a mask channel's name.
 */
export function resolveChannelNames(image: ImageSource, given: string[] | undefined): { names: string[]; from: "option" | "file" | "default" } {
  if (given) {
    if (given.length !== image.channels) {
      throw new ExtractError(
        "channelNames",
        `${given.length} names for the ${image.channels} channel(s) of ${image.name}; expected one per channel (--channel-names ${Array.from({ length: image.channels }, (_, k) => `name${k}`).join(",")})`,
      );
    }
    checkNames(given, "channelNames", "in --channel-names", "give each channel its own name in --channel-names");
    return { names: [...given], from: "option" };
  }
  if (image.channelNames && image.channelNames.length === image.channels) {
    checkNames(image.channelNames, image.name, "among the channel names the file gives", "name the channels with --channel-names a,b,c");
    return { names: [...image.channelNames], from: "file" };
  }
  return { names: Array.from({ length: image.channels }, (_, k) => `channel_${k}`), from: "default" };
}

function checkNames(names: string[], input: string, where: string, fix: string): void {
  const seen = new Set<string>();
  names.forEach((name, k) => {
    if (typeof name !== "string" || name.trim() === "") throw new ExtractError(input, `channel ${k} has an empty name ${where}; expected a name for every channel: ${fix}`);
    if (MASK_CHANNEL_NAMES.includes(name)) {
      throw new ExtractError(input, `channel ${k} is named "${name}" ${where}, the name of a mask channel; expected image channel names other than ${MASK_CHANNEL_NAMES.join(" and ")}: ${fix}`);
    }
    if (seen.has(name)) throw new ExtractError(input, `"${name}" names two channels ${where}; expected a different name for each channel: ${fix}`);
    seen.add(name);
  });
}
