// cellfolio lmd: selected cells of a segmentation mask to the XML a Leica
// LMD6 / LMD7 cuts from (the shapes py-lmd's SegmentationLoader makes), with
// a summary and an optional PNG of the shapes on the mask. Selections: cellIDs,
// a file of cellIDs, an obs column of a dataset, or several cell sets, one
// well each.
import { existsSync, readFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { type CellSet, LmdError, type LmdOptions, type LmdResult, lmdExport, openImageSource, parseCalibration } from "@cellfolio/extract";
import { OBS_COLUMNS } from "@cellfolio/format";
import { openDataset } from "@cellfolio/lazy";
import { type CommandSpec, choice, flag, helpText, idList, int, num, type Parsed, parse, str, strs, usageLine } from "../args.js";
import type { Command } from "../command.js";
import { InputError, UsageError } from "../errors.js";
import { cleanUpOnSignal } from "../interrupt.js";
import { ensureParentDir } from "../paths.js";
import { renderOverlay } from "./lmd-overlay.js";

const spec: CommandSpec = {
  name: "lmd",
  options: [
    { name: "mask", value: "MASK", required: true, help: "the segmentation mask the cells were extracted from (TIFF / OME-TIFF / Zarr; cellIDs as pixel values)" },
    { name: "calibration", value: "R,C R,C R,C", required: true, help: "three calibration points (row, col) in mask pixels, or a file with one point a line" },
    { name: "out", value: "OUT.xml", required: true, help: "the Leica XML to write (new unless --overwrite; written whole or not at all)" },
    { name: "cells", value: "ID,ID,...", help: "cellIDs to cut (one well)", usage: "(--cells IDS | --cells-file F | --where COL=V | --set WELL=SEL ...)" },
    { name: "cells-file", value: "FILE", help: "cellIDs to cut, one a line (or the first column of a CSV; a header line is skipped)", usage: "" },
    { name: "where", value: "COL=VALUE", help: "the cells of --dataset whose obs column COL equals VALUE", usage: "" },
    { name: "set", value: "WELL=SEL", multiple: true, help: "a cell set cut into WELL (repeat for more wells); SEL is ID,ID,... or @FILE or COL=VALUE (with --dataset)", usage: "" },
    { name: "well", value: "WELL", help: "the well (<CapID>) of --cells / --cells-file / --where (default: none written)" },
    { name: "dataset", value: "FILE", help: "a dataset extracted from this mask (.h5sc / .zarr): for --where, and to check the cellIDs and the mask's size" },
    { name: "shape-dilation", value: "N", help: "disk radius (px) each cell is dilated by before touching cells are joined (default 0)" },
    { name: "shape-erosion", value: "N", help: "disk radius (px) each cell is eroded by; only with --no-join, as in py-lmd (default 0)" },
    { name: "binary-smoothing", value: "N", help: "radius of the closing that smooths each shape (default 3)" },
    { name: "convolution-smoothing", value: "N", help: "length of the moving average over the outline's half-pixel points (default 15)" },
    { name: "rdp-epsilon", value: "X", help: "Ramer-Douglas-Peucker tolerance in px (default 0.1)" },
    { name: "path-optimization", value: "none|hilbert|greedy", help: "cutting order within a well (default hilbert)" },
    { name: "hilbert-p", value: "N", help: "order of the Hilbert curve (default 7; 4 for 1 mm x 1 mm)" },
    { name: "no-join", help: "do not join shapes that overlap (py-lmd's join_intersecting false)" },
    { name: "distance-heuristic", value: "PX", help: "only cells with centres this close are tested for overlap (default 300)" },
    { name: "xml-decimal-transform", value: "N", help: "factor before rounding coordinates to the XML's integers (default 100)" },
    { name: "orientation-transform", value: "A,B,C,D", help: "2 x 2 matrix, row-major, applied as [row, col] @ M (default 1,0,0,1)" },
    { name: "png", value: "FILE.png", help: "also draw the shapes on the mask (at most 2048 px across)" },
    { name: "overwrite", help: "replace OUT.xml (and --png) if they exist" },
    { name: "json", help: "print the summary as one JSON object on stdout" },
  ],
  about: `Writes the shapes a Leica LMD6 / LMD7 cuts for the selected cells: each
cell's pixels in MASK are (optionally) dilated and joined with the cells they
then overlap, closed, outlined at half-pixel steps, smoothed and simplified,
ordered to shorten the laser's path, and written with the three calibration
points as the XML py-lmd writes. The options are py-lmd's SegmentationLoader
options with the same defaults. The mask is read in strips of rows; only the
selected cells' pixels are kept. A problem (cellIDs not in the mask or the
dataset, all of them listed; calibration points on one line; a mask of another
size than the dataset's slide) stops the run with what to fix, before anything
is written.`,
  examples: [
    "cellfolio lmd --mask seg.tif --cells 12,40,41 --well A1 --calibration '0,0 0,9000 9000,4500' --out cut.xml",
    "cellfolio lmd --mask seg.tif --dataset cells.h5sc --set A1=mitotic=1 --set B1=@controls.txt --calibration cal.txt --out cut.xml --png cut.png",
  ],
};

/** Lines of a file as cellIDs: one a line, or the first column of a CSV; a header line of words is skipped. */
function idsFromFile(file: string, flagName: string): number[] {
  if (!existsSync(file)) throw new InputError(`${flagName} ${file}: no such file`);
  const lines = readFileSync(file, "utf8").split(/\r?\n/).map((l) => l.split(/[,\t;]/)[0].trim());
  const ids: number[] = [];
  lines.forEach((l, i) => {
    if (l === "") return;
    if (/^\d+$/.test(l)) ids.push(Number(l));
    else if (i > 0 || /^\d/.test(l)) throw new InputError(`${flagName} ${file}: line ${i + 1} "${l}" is not a cellID; expected one integer a line (or a CSV whose first column holds them)`);
  });
  if (ids.length === 0) throw new InputError(`${flagName} ${file}: holds no cellID`);
  return ids;
}

type Dataset = Awaited<ReturnType<typeof openDataset>>;

/** The cellIDs of the dataset's cells whose obs column equals the value. */
function idsWhere(ds: Dataset | undefined, expr: string, flagName: string): number[] {
  const m = /^([^=]+)=(.*)$/.exec(expr);
  if (!m) throw new UsageError(`${flagName} ${expr}: expected COL=VALUE (e.g. mitotic=1)`);
  if (!ds) throw new UsageError(`${flagName} ${expr}: selecting by an obs column needs --dataset FILE`);
  const [, col, value] = m;
  const names = Object.keys(ds.obs.columns);
  if (!names.includes(col)) throw new InputError(`${flagName} ${expr}: the dataset has no obs column "${col}"; its columns are ${names.join(", ")}`);
  const c = ds.obs.columns[col];
  const missing = ds.obs.missing[col]; // a missing value matches nothing (its placeholder is 0, false or "")
  const want = value === "true" ? 1 : value === "false" ? 0 : Number(value);
  const ids: number[] = [];
  for (let r = 0; r < c.length; r++) {
    if (missing?.[r]) continue;
    const v = c[r];
    const hit = typeof v === "string" ? v === value : typeof v === "bigint" ? Number(v) === want : Number(v) === want;
    if (hit) ids.push(Number(ds.cellIds[r]));
  }
  if (ids.length === 0) throw new InputError(`${flagName} ${expr}: no cell of the dataset has ${col} = ${value}`);
  return ids;
}

function selections(p: Parsed, ds: Dataset | undefined): { sets: CellSet[]; flags: string[] } {
  const given = ["cells", "cells-file", "where"].filter((f) => str(p, f) !== undefined);
  const setArgs = strs(p, "set");
  if (given.length + (setArgs.length ? 1 : 0) !== 1) {
    throw new UsageError(`give exactly one of --cells, --cells-file, --where, or one or more --set${given.length ? ` (got ${given.map((g) => `--${g}`).join(", ")}${setArgs.length ? ", --set" : ""})` : ""}\nusage: ${usageLine(spec)}`);
  }
  if (setArgs.length) {
    if (str(p, "well") !== undefined) throw new UsageError("--well is for --cells / --cells-file / --where; with --set, each set names its well (--set WELL=SEL)");
    const wells = new Set<string>();
    const sets = setArgs.map((a) => {
      const m = /^([^=]+)=(.+)$/.exec(a);
      if (!m) throw new UsageError(`--set ${a}: expected WELL=SEL, e.g. --set A1=12,40,41 or --set B1=@cells.txt or --set C1=mitotic=1`);
      const [, well, sel] = m;
      if (wells.has(well)) throw new UsageError(`--set ${a}: well ${well} is given twice; expected one --set per well`);
      wells.add(well);
      let ids: number[];
      if (sel.startsWith("@")) ids = idsFromFile(sel.slice(1), `--set ${well}=@`);
      else if (/^\d+(,\d+)*$/.test(sel.replace(/\s/g, ""))) ids = sel.split(",").map((s) => Number(s.trim()));
      else ids = idsWhere(ds, sel, `--set ${well}=`);
      return { cellIds: ids, well, name: well };
    });
    return { sets, flags: setArgs.map((a) => `--set ${a}`) };
  }
  const well = str(p, "well");
  const f = given[0];
  const v = str(p, f) as string;
  const ids = f === "cells" ? (idList(p, "cells") as number[]) : f === "cells-file" ? idsFromFile(v, "--cells-file") : idsWhere(ds, v, "--where");
  return { sets: [{ cellIds: ids, well, name: well ?? "cells" }], flags: [`--${f} ${v}`] };
}

function options(p: Parsed): Partial<LmdOptions> {
  const o: Partial<LmdOptions> = {};
  const ints: [string, keyof LmdOptions][] = [
    ["shape-dilation", "shapeDilation"],
    ["shape-erosion", "shapeErosion"],
    ["binary-smoothing", "binarySmoothing"],
  ];
  for (const [f, k] of ints) {
    const v = int(p, f, { min: 0, max: 1000 });
    if (v !== undefined) (o as Record<string, number>)[k] = v;
  }
  const conv = int(p, "convolution-smoothing", { min: 1, max: 10_000 });
  if (conv !== undefined) o.convolutionSmoothing = conv;
  const hp = int(p, "hilbert-p", { min: 1, max: 15 });
  if (hp !== undefined) o.hilbertP = hp;
  const eps = str(p, "rdp-epsilon");
  if (eps !== undefined) {
    const e = Number(eps);
    if (eps.trim() === "" || !(e >= 0)) throw new UsageError(`--rdp-epsilon ${JSON.stringify(eps)}: expected a number >= 0`);
    o.rdpEpsilon = e;
  }
  const dh = num(p, "distance-heuristic", { positive: true });
  if (dh !== undefined) o.distanceHeuristic = dh;
  const xd = num(p, "xml-decimal-transform", { positive: true });
  if (xd !== undefined) o.xmlDecimalTransform = xd;
  const po = choice(p, "path-optimization", ["none", "hilbert", "greedy"] as const);
  if (po !== undefined) o.pathOptimization = po;
  if (flag(p, "no-join")) o.joinIntersecting = false;
  const ot = str(p, "orientation-transform");
  if (ot !== undefined) {
    const m = ot.split(/[,\s]+/).filter(Boolean).map(Number);
    if (m.length !== 4 || !m.every(Number.isFinite) || m[0] * m[3] - m[1] * m[2] === 0) {
      throw new UsageError(`--orientation-transform ${ot}: expected four numbers A,B,C,D (the matrix [[A, B], [C, D]]) that can be inverted, e.g. 0,-1,1,0`);
    }
    o.orientationTransform = m as [number, number, number, number];
  }
  return o;
}

function calibration(text: string): number[][] {
  const fromFile = !/^[-+\d.,;\s]+$/.test(text);
  if (fromFile && !existsSync(text)) throw new InputError(`--calibration ${text}: neither three points "R,C R,C R,C" nor a file that exists`);
  const points = parseCalibration(fromFile ? readFileSync(text, "utf8") : text);
  if (points.length !== 3 || !points.every((q) => q.length === 2 && q.every(Number.isFinite))) {
    throw new UsageError(`--calibration ${text}: expected three points (row, col) in mask pixels, "R,C R,C R,C" (or a file with one point a line), got ${points.length} point${points.length === 1 ? "" : "s"}`);
  }
  return points;
}

/** The selected cellIDs must be in the dataset, and the dataset's cells inside the mask. */
function checkAgainstDataset(ds: Dataset, datasetPath: string, sets: CellSet[], flags: string[], height: number, width: number, maskPath: string): void {
  const known = new Set(Array.from(ds.cellIds, Number));
  sets.forEach((s, k) => {
    const missing = Array.from(s.cellIds).filter((id) => !known.has(id));
    if (missing.length) {
      const shown = missing.length > 20 ? `${missing.slice(0, 20).join(", ")}, ... (${missing.length} in all)` : missing.join(", ");
      throw new InputError(`${flags[k]}: cellID ${shown} ${missing.length === 1 ? "is" : "are"} not in --dataset ${datasetPath}; nothing was written (leave them out, or see cellfolio info ${datasetPath})`);
    }
  });
  const shape = ds.info.sourceShape;
  if (shape && (shape[0] !== height || shape[1] !== width)) {
    throw new InputError(
      `--mask ${maskPath}: is ${height} x ${width} pixels, but --dataset ${datasetPath} was extracted from a ${shape[0]} x ${shape[1]} slide (uns source_shape); expected the mask the dataset was extracted from; nothing was written`,
    );
  }
  const cy = ds.obs.columns[OBS_COLUMNS.centroidY];
  const cx = ds.obs.columns[OBS_COLUMNS.centroidX];
  if (!cy || !cx || typeof cy[0] === "string") return;
  let maxY = 0;
  let maxX = 0;
  for (let r = 0; r < cy.length; r++) {
    maxY = Math.max(maxY, Number(cy[r]));
    maxX = Math.max(maxX, Number(cx[r]));
  }
  if (maxY >= height || maxX >= width) {
    throw new InputError(
      `--mask ${maskPath}: is ${height} x ${width} pixels, but --dataset ${datasetPath} has cells up to (${maxY.toFixed(1)}, ${maxX.toFixed(1)}) (obs centroid_y, centroid_x); expected the mask the dataset was extracted from; nothing was written`,
    );
  }
}

/** An LmdError from the library, said in flags. */
function inFlagsLmd(e: LmdError, mask: string): Error {
  if (e.option === "mask") return new InputError(`--mask ${mask}: ${e.message.replace(/^[^:]*: /, "")}; nothing was written`);
  if (e.option === "calibration") return new InputError(`--calibration ${e.message.replace(/^calibration: /, "")}; nothing was written`);
  const flagName = `--${e.option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return new InputError(`${flagName}: ${e.message}; nothing was written`);
}

function summaryText(out: string, r: LmdResult, png: string | undefined): string {
  const points = r.sets.reduce((a, s) => a + s.points, 0);
  const lines = [
    `wrote ${out}: ${r.shapes.length} shapes, ${points} points, ${r.sets.length} well${r.sets.length === 1 ? "" : "s"} (mask ${r.height} x ${r.width}; path optimisation ${r.options.pathOptimization})`,
    ...r.sets.map(
      (s) =>
        `  ${(s.well ?? "(no well)").padEnd(8)} ${s.cells} cells -> ${s.shapes} shapes, ${s.points} points; path ${s.pathBefore.toFixed(1)} px -> ${s.pathAfter.toFixed(1)} px`,
    ),
  ];
  if (png) lines.push(`drew the shapes on the mask in ${png}`);
  return `${lines.join("\n")}\n`;
}

export const lmdCommand: Command = {
  name: "lmd",
  summary: "write the Leica LMD XML (py-lmd's shapes) for selected cells of a mask",
  spec,
  help: helpText(spec),
  async run(argv) {
    const p = parse(argv, spec);
    if (p.positionals.length) throw new UsageError(`unexpected argument ${p.positionals[0]}\nusage: ${usageLine(spec)}`);
    const missing = ["mask", "calibration", "out"].filter((f) => str(p, f) === undefined);
    if (missing.length) throw new UsageError(`missing ${missing.map((f) => `--${f}`).join(", ")}\nusage: ${usageLine(spec)}`);
    const maskPath = str(p, "mask") as string;
    const out = str(p, "out") as string;
    const png = str(p, "png");
    const overwrite = flag(p, "overwrite");
    if (!/\.xml$/i.test(out)) throw new UsageError(`--out ${out}: expected a path ending in .xml`);
    if (png !== undefined && !/\.png$/i.test(png)) throw new UsageError(`--png ${png}: expected a path ending in .png`);
    for (const [f, file] of [["--out", out], ["--png", png]] as const) {
      if (file !== undefined && existsSync(file) && !overwrite) throw new InputError(`${f} ${file}: already exists; pass --overwrite to replace it`);
    }
    const opts = options(p);
    const cal = calibration(str(p, "calibration") as string);
    const datasetPath = str(p, "dataset");
    if (!existsSync(maskPath) && !/^https?:\/\//.test(maskPath)) throw new InputError(`--mask ${maskPath}: no such file or directory`);
    const ds = datasetPath === undefined ? undefined : await openDataset(datasetPath);
    let result: LmdResult;
    try {
      const { sets, flags } = selections(p, ds);
      const mask = await openImageSource(maskPath);
      try {
        if (ds && datasetPath) checkAgainstDataset(ds, datasetPath, sets, flags, mask.height, mask.width, maskPath);
        try {
          result = await lmdExport(mask, sets, cal, opts);
        } catch (e) {
          throw e instanceof LmdError ? inFlagsLmd(e, maskPath) : e;
        }
        const outputs = [out, ...(png ? [png] : [])];
        const stop = cleanUpOnSignal(outputs);
        const temps: string[] = [];
        try {
          await ensureParentDir(out);
          const tmp = `${out}.tmp-${process.pid}-${Date.now().toString(36)}`;
          temps.push(tmp);
          await writeFile(tmp, result.xml);
          let pngTmp: string | undefined;
          if (png) {
            await ensureParentDir(png);
            pngTmp = `${png}.tmp-${process.pid}-${Date.now().toString(36)}`;
            temps.push(pngTmp);
            await writeFile(pngTmp, await renderOverlay(mask, result, sets));
          }
          await rename(tmp, out);
          if (png && pngTmp) await rename(pngTmp, png);
        } catch (e) {
          await Promise.all(temps.map((t) => rm(t, { force: true })));
          throw e;
        } finally {
          stop();
        }
      } finally {
        await mask.close();
      }
    } finally {
      await ds?.close();
    }
    if (flag(p, "json")) {
      const points = result.sets.reduce((a, s) => a + s.points, 0);
      process.stdout.write(
        `${JSON.stringify({
          out: path.resolve(out),
          png: png ? path.resolve(png) : undefined,
          mask: { path: maskPath, height: result.height, width: result.width },
          shapes: result.shapes.length,
          points,
          calibration: result.calibration,
          options: result.options,
          sets: result.sets,
        })}\n`,
      );
    } else {
      process.stdout.write(summaryText(out, result, png));
    }
    return 0;
  },
};
