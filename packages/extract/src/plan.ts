// The plan of an extraction, deterministic from the nucleus mask and the
// options alone: which cells are kept, in cellID order (row r of the output is
// cells[r]), which are dropped at the border, and how rows split into parts
// along write-unit (shard) boundaries so that parts never share a unit. Every
// process that computes the plan from the same inputs gets the same one, which
// is what lets separate jobs each write their part of one store (parts.ts)
// without talking to each other.
import { ExtractError } from "./errors.js";
import { type ImageSource, PIXEL_ARRAYS } from "./inputs/source.js";
import { CellAccumulator, type CellTable } from "./kernels/cells.js";
import { cropInside } from "./presets.js";

/**
 * Bytes of each mask a scan holds at once (the scans of masks.ts hold two
 * bands of both masks: one scanned, the next one read). 8 MiB: 262 rows of a
 * 4000-wide uint32 mask, half a 512-row tile; tiles stay decoded across the
 * bands that cut them (inputs/tiff.ts). At 32 MiB the scan's 67 MB of planes
 * were still held when the extraction's bands came: 10-15 MB more peak RSS
 * on the bench's slides, and the plan no faster.
 */
export const SCAN_BAND_BYTES = 8 << 20;

export interface ExtractionPlan {
  height: number;
  width: number;
  size: number;
  border: "drop" | "pad";
  /** Kept cells sorted by id: row r of the output holds cell r. */
  cells: CellTable;
  /** Ids of cells whose crop leaves the image, not written (border "drop"). */
  droppedAtBorder: number[];
  /** Every id of the nucleus mask, sorted (kept, dropped or not selected). */
  maskIds: Float64Array;
  /** Ids of selected cells left out by `exclude` (nuclei no cytosol matched), sorted; not written. */
  excluded: number[];
}

export interface PlanOptions {
  size: number;
  border: "drop" | "pad";
  /** Only these cells (ids of the nucleus mask); all cells when absent. */
  cellIds?: Iterable<number>;
  /** Bytes of mask held at once while scanning (default SCAN_BAND_BYTES). */
  bandBytes?: number;
  /** The nucleus mask's cells when the caller has scanned it already (masks.ts): no scan here. */
  cells?: CellTable;
  /** Cells not to write (ids), reported as `excluded`. */
  exclude?: { has(id: number): boolean };
  /** Called before and after each band of the scan: (mask rows read, rows). */
  onRows?: (done: number, total: number) => void;
}

/**
 * Refuses a mask holding negative labels (`labels`: each label once): the
 * cellIDs are stored as uint64 (obs/scportrait_cell_id), where -n would read
 * back as 2^64 - n. Checked on the labels a scan found, not per run or pixel.
 */
export function refuseNegativeLabels(mask: string, what: string, labels: ArrayLike<number>): void {
  const negative: number[] = [];
  for (let k = 0; k < labels.length; k++) if (labels[k] < 0) negative.push(labels[k]);
  if (negative.length === 0) return;
  negative.sort((a, b) => b - a);
  const some = `${negative.slice(0, 5).join(", ")}${negative.length > 5 ? ", ..." : ""}`;
  throw new ExtractError(
    mask,
    `${what} holds ${negative.length} negative label(s) (${some}); expected positive integer labels, 0 the background: relabel it to positive ids (e.g. skimage.segmentation.relabel_sequential(np.where(mask == 0, 0, mask - mask.min() + 1))[0]; it refuses negative labels itself), or take np.abs(mask) if the sign is an artefact of how the mask was written`,
  );
}

/** Whether `sorted` (ascending) holds `id`. */
export function hasId(sorted: Float64Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === id;
}

/**
 * One streaming pass over the nucleus mask, band of rows by band of rows: every
 * cell's id, centroid and bounding box (a nucleus crossing bands is summed over
 * them), then the border policy and the subset of ids.
 */
export async function planCells(nucleus: ImageSource, options: PlanOptions): Promise<ExtractionPlan> {
  const { height, width } = nucleus;
  let all = options.cells;
  if (!all) {
    const bytesPerRow = width * 8; // the widest mask dtype read
    const bandRows = Math.max(1, Math.min(height, Math.floor((options.bandBytes ?? SCAN_BAND_BYTES) / bytesPerRow)));
    const acc = new CellAccumulator();
    const into = new PIXEL_ARRAYS[nucleus.dtype](bandRows * width); // reused band after band
    for (let y0 = 0; y0 < height; y0 += bandRows) {
      options.onRows?.(y0, height);
      const h = Math.min(bandRows, height - y0);
      const [plane] = await nucleus.readWindow(y0, 0, h, width, [into.subarray(0, h * width)]);
      acc.add(plane, h, width, y0, 0);
    }
    options.onRows?.(height, height);
    all = acc.finish();
    refuseNegativeLabels(nucleus.name, "the nucleus mask", all.column("id"));
  }
  const maskIds = all.column("id");
  if (all.length === 0) throw new ExtractError(nucleus.name, "the nucleus mask holds no cells (only 0); expected labelled nuclei");

  let wanted: Set<number> | null = null;
  if (options.cellIds) {
    wanted = new Set(options.cellIds);
    const unknown = [...wanted].filter((id) => !hasId(maskIds, id));
    if (unknown.length > 0) {
      throw new ExtractError(
        "cellIds",
        `${unknown.length} id(s) not in the nucleus mask ${nucleus.name} (${unknown.slice(0, 10).join(", ")}${unknown.length > 10 ? ", ..." : ""}); expected ids of labelled nuclei`,
      );
    }
  }
  const kept: number[] = [];
  const droppedAtBorder: number[] = [];
  const excluded: number[] = [];
  for (let r = 0; r < all.length; r++) {
    const id = all.id(r);
    if (wanted && !wanted.has(id)) continue;
    if (options.exclude?.has(id)) excluded.push(id);
    else if (options.border === "pad" || cropInside(all.cy(r), all.cx(r), height, width, options.size)) kept.push(r);
    else droppedAtBorder.push(id);
  }
  const cells = kept.length === all.length ? all : all.rows(kept);
  return { height, width, size: options.size, border: options.border, cells, droppedAtBorder, maskIds, excluded };
}

/** A part of the rows, [rowStart, rowEnd), made of whole write units. */
export interface PlanPart {
  /** 0-based part index. */
  index: number;
  count: number;
  rowStart: number;
  rowEnd: number;
  /** Write units (shards) [unitStart, unitEnd) this part alone writes. */
  unitStart: number;
  unitEnd: number;
}

/**
 * Splits `rows` rows into `count` parts along units of `rowsPerUnit` rows, as
 * evenly as whole units allow; part i owns units [floor(iU/n), floor((i+1)U/n)).
 * Parts may be empty when there are fewer units than parts.
 */
export function planParts(rows: number, rowsPerUnit: number, count: number): PlanPart[] {
  if (!Number.isInteger(count) || count < 1) throw new ExtractError("parts", `${count}; expected a positive integer`);
  const units = Math.ceil(rows / rowsPerUnit);
  const parts: PlanPart[] = [];
  for (let i = 0; i < count; i++) {
    const unitStart = Math.floor((i * units) / count);
    const unitEnd = Math.floor(((i + 1) * units) / count);
    parts.push({
      index: i,
      count,
      unitStart,
      unitEnd,
      rowStart: Math.min(rows, unitStart * rowsPerUnit),
      rowEnd: Math.min(rows, unitEnd * rowsPerUnit),
    });
  }
  return parts;
}
