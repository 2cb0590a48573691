// Extraction across a cluster: N independent jobs (a Slurm array,
// a Kubernetes Indexed Job) each write a disjoint set of the shards of one
// Zarr store, then one finalize job writes the metadata that makes it a
// dataset.
//
// Layout of an unfinished store OUT.zarr:
//   .cellfolio/plan.json            the plan every part computed (first writer wins, others compare)
//   .cellfolio/parts/part-I.json    part I's record: "running" at start, "complete" (rows, ids, centroids, timings) last
//   .cellfolio/tmp/                 parts' and finalize's scratch stores
//   obsm/single_cell_images/c/...   shard files, each renamed into place whole
// There is no root zarr.json until finalize moves it in as its very last step,
// so neither zarr-python nor anndata (nor `cellfolio validate`) opens an
// unfinished store as a dataset.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { type Compression, createImagesArray, createZarr, IMAGES_PATH, imagesArrayLayout, type LayoutInfo, writeSingleCellLayout } from "@cellfolio/format";
import { ExtractError } from "./errors.js";
import { labelObsColumns, readLabels } from "./inputs/labels-csv.js";
import { planParts } from "./plan.js";
import { type ExtractOptions, type ExtractSummary, inputSources, type PartSpec, prepareExtraction, streamOptions } from "./prepare.js";
import type { ExtractionParams } from "./presets.js";
import { streamToArray } from "./stream.js";

export type { PartSpec } from "./prepare.js";

/** What every part must agree on; written once to .cellfolio/plan.json. */
export interface StorePlan {
  version: 1;
  count: number;
  rows: number;
  shape: number[];
  rowsPerUnit: number;
  zarrFormat: 2 | 3;
  compression: Compression | null;
  params: ExtractionParams;
  nMasks: number;
  imageChannelNames: string[];
  labels: { path: string; idColumn: string | null } | null;
  droppedAtBorder: number[];
  /** The input files and the slide's size, for uns (parts agree on them). */
  sources?: LayoutInfo["sources"];
  /** First / last cellID of the rows and their count: parts from different masks disagree here. */
  firstId: number;
  lastId: number;
}

export interface PartRecord {
  status: "running" | "complete";
  index: number;
  count: number;
  host: string;
  pid: number;
  started: string;
  rowStart?: number;
  rowEnd?: number;
  unitStart?: number;
  unitEnd?: number;
  /** Shard (or chunk) keys this part wrote, relative to the images array. */
  keys?: string[];
  ids?: number[];
  centroidY?: number[];
  centroidX?: number[];
  missingCytosol?: number[];
  finished?: string;
  seconds?: number;
  cellsPerSecond?: number;
  /** Seconds spent planning (the scan of the whole nucleus mask every part makes), extracting and writing, moving shards into place. */
  timings?: { plan: number; extract: number; move: number };
}

/** extract()'s summary for the part's rows, plus where they sit in the whole. */
export interface PartSummary extends ExtractSummary {
  part: PartSpec;
  rowStart: number;
  rowEnd: number;
  /** Rows of the whole extraction. */
  cellsTotal: number;
}

export interface FinalizeSummary {
  output: string;
  cells: number;
  parts: number;
  seconds: number;
}

const META = ".cellfolio";
const planPath = (store: string) => path.join(store, META, "plan.json");
const recordPath = (store: string, i: number) => path.join(store, META, "parts", `part-${i}.json`);
const scratchDir = (store: string) => path.join(store, META, "tmp");

/** Writes `text` to `file` through a temporary name and a rename: readers see the old or the new file, never half of one. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (e: any) {
    if (e?.code === "ENOENT") return null;
    throw new ExtractError(file, `unreadable (${e?.message ?? e}); expected a JSON document written by cellfolio extract --part`, { cause: e });
  }
}

/** Every file under `dir`, as paths relative to it. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}

/** Moves each file of `from` to the same place under `to` (rename: each appears whole, replacing an older one). */
async function moveFiles(from: string, to: string, files: string[]): Promise<void> {
  const made = new Set<string>();
  for (const rel of files) {
    const dst = path.join(to, ...rel.split("/"));
    const dir = path.dirname(dst);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    await rename(path.join(from, ...rel.split("/")), dst);
  }
}

function checkPartOptions(o: ExtractOptions, part: PartSpec): string {
  const { index, count } = part;
  if (!Number.isInteger(count) || count < 1) throw new ExtractError("part", `count ${count}; expected a positive integer`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new ExtractError("part", `index ${index}; expected an integer in 0..${count - 1}`);
  if (typeof o.out !== "string" || o.out === "") throw new ExtractError("out", "missing; expected a .zarr store path");
  if (!/\.zarr\/?$/i.test(o.out)) {
    throw new ExtractError(
      o.out,
      "parts write one Zarr store (one HDF5 file cannot take parallel writers); expected OUT.zarr, then `cellfolio convert OUT.zarr OUT.h5sc` once it is finalized",
    );
  }
  if (o.zarrFormat !== undefined && o.zarrFormat !== 2 && o.zarrFormat !== 3) throw new ExtractError("zarrFormat", `${o.zarrFormat}; expected 2 or 3`);
  if (o.labels !== undefined && typeof o.labels !== "string") {
    throw new ExtractError("labels", "rows given in memory; with parts expected a CSV path (finalize reads it again for obs)");
  }
  return path.resolve(o.out.replace(/\/+$/, ""));
}

/** Records the plan once; a part whose plan differs (other masks, options or part count) is refused. */
async function agreeOnPlan(store: string, plan: StorePlan): Promise<void> {
  const file = planPath(store);
  const text = JSON.stringify(plan);
  const tmp = `${file}.tmp-${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, text);
  try {
    await link(tmp, file); // fails if another part got there first
  } catch (e: any) {
    if (e?.code !== "EEXIST") throw e;
    const have = await readFile(file, "utf8");
    if (have !== text) {
      const old = JSON.parse(have) as StorePlan;
      const differs = (Object.keys(plan) as (keyof StorePlan)[]).filter((k) => JSON.stringify(old[k]) !== JSON.stringify(plan[k]));
      throw new ExtractError(
        store,
        `its plan (${file}) was written by a part with other inputs or options (${differs.join(", ")} differ); expected every part run with the same masks, options and part count (or a new OUT)`,
      );
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Part I of N: extracts rows [rowStart, rowEnd) of the plan into its own shards of the shared store, then its record. */
export async function extractPart(o: ExtractOptions, part: PartSpec): Promise<PartSummary> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const store = checkPartOptions(o, part);
  if (existsSync(path.join(store, o.zarrFormat === 2 ? ".zgroup" : "zarr.json"))) {
    throw new ExtractError(store, "is already finalized; expected an unfinished store (write parts to a new OUT)");
  }
  const p = await prepareExtraction(o);
  const { plan, params, image, threads, nMasks } = p;
  try {
    const planned = performance.now();
    const n = plan.cells.length;
    const zarrFormat = o.zarrFormat ?? 3;
    const channels = nMasks + image.channels;
    const { rowsPerUnit, ...arrayOptions } = imagesArrayLayout("zarr", zarrFormat, n, channels, params.size, o.compression, o.shardRows);
    const mine = planParts(n, rowsPerUnit, part.count)[part.index];

    await mkdir(path.join(store, META, "parts"), { recursive: true });
    await mkdir(scratchDir(store), { recursive: true });
    await agreeOnPlan(store, {
      version: 1,
      count: part.count,
      rows: n,
      shape: arrayOptions.shape,
      rowsPerUnit,
      zarrFormat,
      compression: o.compression ?? null,
      params,
      nMasks,
      imageChannelNames: p.names.names,
      labels: typeof o.labels === "string" ? { path: path.resolve(o.labels), idColumn: o.labelsIdColumn ?? null } : null,
      droppedAtBorder: plan.droppedAtBorder,
      sources: inputSources(o, image),
      firstId: plan.cells.id(0),
      lastId: plan.cells.id(n - 1),
    });

    // "running" first: from here until the complete record, the part's shards may be half replaced.
    const base: PartRecord = { status: "running", index: part.index, count: part.count, host: hostname(), pid: process.pid, started: startedAt };
    await writeAtomic(recordPath(store, part.index), JSON.stringify(base));
    const scratchName = `part-${part.index}-`;
    for (const e of await readdir(scratchDir(store))) {
      if (e.startsWith(scratchName)) await rm(path.join(scratchDir(store), e), { recursive: true, force: true }); // a killed earlier run's leftovers
    }

    // The part's shards go to a scratch store of the full shape (only its rows set), then each shard file is renamed into OUT.
    const scratch = path.join(scratchDir(store), `${scratchName}${randomBytes(4).toString("hex")}`);
    const writer = await createZarr(scratch, { zarrFormat, consolidated: false });
    let missingCytosol: number[] = [];
    let compression = "";
    try {
      const array = await createImagesArray(writer, arrayOptions);
      if (array.unit[0] !== 1) throw new ExtractError(store, `the Zarr writer's write unit is ${array.unit[0]} rows; expected single rows`);
      if (mine.rowEnd > mine.rowStart) missingCytosol = (await streamToArray(array, plan, params, p, { ...streamOptions(o, threads, mine.rowStart, mine.rowEnd), workers: p.workers })).missingCytosol;
      compression = array.info.compression;
      await array.close();
      await writer.close();
    } catch (e) {
      await writer.abort().catch(() => {});
      throw e;
    }
    const extracted = performance.now();
    const arrayDir = path.join(scratch, ...IMAGES_PATH.split("/"));
    const keys = (await listFiles(arrayDir)).filter((k) => k !== "zarr.json" && !k.startsWith("."));
    await moveFiles(arrayDir, path.join(store, ...IMAGES_PATH.split("/")), keys);
    await rm(scratch, { recursive: true, force: true });

    const cells = plan.cells.slice(mine.rowStart, mine.rowEnd);
    const seconds = (performance.now() - started) / 1000;
    const record: PartRecord = {
      ...base,
      status: "complete",
      rowStart: mine.rowStart,
      rowEnd: mine.rowEnd,
      unitStart: mine.unitStart,
      unitEnd: mine.unitEnd,
      keys,
      ids: [...cells.column("id")],
      centroidY: [...cells.column("centroidY")],
      centroidX: [...cells.column("centroidX")],
      missingCytosol,
      finished: new Date().toISOString(),
      seconds,
      cellsPerSecond: cells.length / seconds,
      timings: { plan: (planned - started) / 1000, extract: (extracted - planned) / 1000, move: (performance.now() - extracted) / 1000 },
    };
    await writeAtomic(recordPath(store, part.index), JSON.stringify(record));
    return {
      part,
      rowStart: mine.rowStart,
      rowEnd: mine.rowEnd,
      cellsWritten: cells.length,
      cellsTotal: n,
      droppedAtBorder: part.index === 0 ? plan.droppedAtBorder : [],
      missingCytosol,
      masks: p.masks,
      channelNames: p.names.names,
      channelNamesFrom: p.names.from,
      seconds,
      cellsPerSecond: cells.length / seconds,
      output: store,
      threads,
      compression,
      params,
    };
  } finally {
    await p.close();
  }
}

/** Why the parts of `store` do not make a whole yet (empty when they do), and their records in row order. */
export async function checkParts(store: string): Promise<{ plan: StorePlan; records: PartRecord[]; problems: string[] }> {
  const plan = await readJson<StorePlan>(planPath(store));
  if (!plan) throw new ExtractError(store, `holds no ${META}/plan.json; expected a store written by cellfolio extract --part I/N (no part has started)`);
  const records: PartRecord[] = [];
  const problems: string[] = [];
  const arrayDir = path.join(store, ...IMAGES_PATH.split("/"));
  const expected = planParts(plan.rows, plan.rowsPerUnit, plan.count);
  for (let i = 0; i < plan.count; i++) {
    const r = await readJson<PartRecord>(recordPath(store, i));
    if (!r) {
      problems.push(`part ${i}/${plan.count} is missing (never started)`);
      continue;
    }
    if (r.status !== "complete") {
      problems.push(`part ${i}/${plan.count} is incomplete (started ${r.started} as pid ${r.pid} on ${r.host}: still running, or killed / failed; rerun it)`);
      continue;
    }
    const e = expected[i];
    if (r.rowStart !== e.rowStart || r.rowEnd !== e.rowEnd || r.count !== plan.count || r.ids?.length !== e.rowEnd - e.rowStart) {
      problems.push(`part ${i}/${plan.count} holds rows [${r.rowStart}, ${r.rowEnd}) of ${r.count} parts; expected [${e.rowStart}, ${e.rowEnd}) of ${plan.count}`);
    }
    const absent: string[] = [];
    for (const k of r.keys ?? []) if (!existsSync(path.join(arrayDir, ...k.split("/")))) absent.push(k);
    if (absent.length > 0) problems.push(`part ${i}/${plan.count} is complete but its shard(s) ${absent.slice(0, 5).join(", ")} are gone; rerun it`);
    records.push(r);
  }
  return { plan, records, problems };
}

/**
 * Finalize: once every part is complete, writes the root, obs (from the part
 * records, row order), var, uns, the images array's metadata and the
 * consolidated metadata; the root zarr.json goes in last and marks the store
 * complete. One finalize at a time: an exclusive lock file, created with "wx".
 */
export async function finalizeParts(out: string): Promise<FinalizeSummary> {
  const started = performance.now();
  const store = path.resolve(out.replace(/\/+$/, ""));
  if (!existsSync(store)) throw new ExtractError(store, "does not exist; expected a store written by cellfolio extract --part I/N");
  const lockFile = path.join(store, META, "finalize.lock");
  const isFinal = () => existsSync(path.join(store, "zarr.json")) || existsSync(path.join(store, ".zgroup"));
  if (isFinal()) throw new ExtractError(store, "is already finalized");
  if (!existsSync(path.join(store, META))) throw new ExtractError(store, `holds no ${META}/; expected a store written by cellfolio extract --part I/N`);
  let lock: Awaited<ReturnType<typeof open>>;
  try {
    lock = await open(lockFile, "wx");
  } catch (e: any) {
    if (e?.code !== "EEXIST") throw e;
    const holder = await readFile(lockFile, "utf8").catch(() => "?");
    throw new ExtractError(store, `another finalize holds ${lockFile} (${holder.trim()}); expected one finalize at a time (remove the lock if that one died)`);
  }
  try {
    await lock.writeFile(`pid ${process.pid} on ${hostname()} since ${new Date().toISOString()}\n`);
    await lock.close();
    if (isFinal()) throw new ExtractError(store, "is already finalized");
    const { plan, records, problems } = await checkParts(store);
    if (problems.length > 0) throw new ExtractError(store, `cannot finalize: ${problems.join("; ")}`);

    // The parts' records in row order: the obs columns of the whole store.
    const cells = {
      id: records.flatMap((r) => r.ids ?? []),
      centroidY: records.flatMap((r) => r.centroidY ?? []),
      centroidX: records.flatMap((r) => r.centroidX ?? []),
    };
    let labelColumns: ReturnType<typeof labelObsColumns> | undefined;
    let labelColumnOrder: string[] | undefined;
    if (plan.labels) {
      const labels = readLabels(plan.labels.path, plan.labels.idColumn ?? undefined);
      labelColumns = labelObsColumns(
        labels,
        cells.id,
      );
      labelColumnOrder = labels.columnOrder;
    }
    const [, channels, size] = plan.shape;
    const { rowsPerUnit: _, ...arrayOptions } = imagesArrayLayout("zarr", plan.zarrFormat, plan.rows, channels, size, plan.compression ?? undefined, plan.zarrFormat === 3 ? plan.rowsPerUnit : undefined);

    // Metadata of the whole dataset in a scratch store, then moved in: every file but the root's, then the root's.
    const scratch = path.join(scratchDir(store), `finalize-${randomBytes(4).toString("hex")}`);
    const writer = await createZarr(scratch, { zarrFormat: plan.zarrFormat });
    try {
      const array = await createImagesArray(writer, arrayOptions);
      await array.close();
      await writeSingleCellLayout(writer, {
        cells,
        nMasks: plan.nMasks,
        imageChannelNames: plan.imageChannelNames,
        params: plan.params,
        compression: array.info.compression,
        labelColumns,
        labelColumnOrder,
        droppedAtBorder: plan.droppedAtBorder,
        sources: plan.sources,
      });
      await writer.close();
    } catch (e) {
      await writer.abort().catch(() => {});
      throw e;
    }
    const rootKeys = plan.zarrFormat === 2 ? [".zmetadata", ".zattrs", ".zgroup"] : ["zarr.json"];
    const files = await listFiles(scratch);
    await moveFiles(
      scratch,
      store,
      files.filter((f) => !rootKeys.includes(f)),
    );
    await moveFiles(
      scratch,
      store,
      rootKeys.filter((f) => files.includes(f)),
    );
    await rm(scratch, { recursive: true, force: true });
    return { output: store, cells: cells.id.length, parts: plan.count, seconds: (performance.now() - started) / 1000 };
  } finally {
    await unlink(lockFile).catch(() => {});
  }
}

/** "I/N" -> { index: I, count: N }. */
export function parsePart(text: string): PartSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new ExtractError("part", `"${text}"; expected I/N with 0 <= I < N (e.g. 0/4)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new ExtractError("part", `"${text}"; expected I/N with 0 <= I < N (e.g. 0/4)`);
  return { index, count };
}

/** Whether a path holds a finalized store (a root zarr.json / .zgroup), for callers that poll. */
export async function isFinalized(out: string): Promise<boolean> {
  for (const f of ["zarr.json", ".zgroup"]) {
    try {
      await stat(path.join(out, f));
      return true;
    } catch {}
  }
  return false;
}
